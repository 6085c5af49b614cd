/**
 * Hardware task switching for 32-bit TSSs (SDM Vol. 3A 9.3): far JMP/CALL
 * to a TSS descriptor or task gate, interrupts and exceptions through a
 * task gate, and IRET with NT = 1. 16-bit TSSs are not supported (#GP);
 * task switching does not exist in IA-32e mode (callers raise #GP there).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { CpuFault, gp, Vec } from "./fault.ts";
import { sysRead, sysWrite } from "./memory.ts";
import { dAttrs, dBase, descAddr, descHi, descLo, dLimit, loadSeg, readDesc } from "./segment.ts";
import { recomputeMode, refreshSeg } from "./state.ts";
import { writeCr3 } from "./exec_system.ts";
import { push } from "./regs.ts";
import { offerExit } from "./exits.ts";
import type { TaskSwitchExit } from "../core/vmexit.ts";

/** Why a task switch happens (it decides busy bits, NT and the back link). */
export const enum TaskSource {
  JMP = 0,
  CALL = 1,
  IRET = 2,
  INT = 3,
}

function ts(sel: number): never {
  throw new CpuFault(Vec.TS, sel & 0xfffc);
}

/**
 * Switch to the task whose TSS selector is `sel` (a TSS descriptor in the
 * GDT). `retIp` is the EIP saved in the old TSS. For events, `err` >= 0 is
 * pushed on the new task's stack.
 */
export function taskSwitch(c: Cpu, sel: number, src: TaskSource, retIp: number, err = -1): void {
  if ((sel & 4) !== 0 || !readDesc(c, sel)) gp(sel & 0xfffc);
  const nAddr = descAddr;
  const nLo = descLo;
  const nHi = descHi;
  const nA = dAttrs(nHi);
  const type = nA & 0x1f;
  if (src === TaskSource.IRET ? type !== 0xb : type !== 0x9) {
    if (type === 0x1 || type === 0x3) gp(sel & 0xfffc); // 16-bit TSS: not supported
    gp(sel & 0xfffc);
  }
  if ((nA & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  const nBase = dBase(nLo, nHi);
  const nLimit = dLimit(nLo, nHi);
  if (nLimit < 0x67) ts(sel);
  // In VMX non-root operation the attempt is a VM exit once these checks pass.
  if (c.nonRoot && offerTaskSwitch(c, sel, src, retIp)) return;
  const tr = c.seg[7];
  if (tr.limit < 0x67 || (tr.attrs & 0xf) !== 0xb) ts(tr.selector);
  const oBase = tr.base;
  // Read the new task's state first (faults leave the old task intact).
  const rd = (o: number) => sysRead(c, nBase + o, 4);
  const nCr3 = rd(0x1c);
  const nEip = rd(0x20);
  const nFlags = rd(0x24);
  const nRegs: number[] = [];
  for (let r = 0; r < 8; r++) nRegs.push(rd(0x28 + 4 * r));
  const nSegs: number[] = [];
  for (let s = 0; s < 6; s++) nSegs.push(rd(0x48 + 4 * s) & 0xffff);
  const nLdt = rd(0x60) & 0xffff;
  // Save the old task.
  let oFlags = c.rflags;
  if (src === TaskSource.JMP || src === TaskSource.IRET) oFlags &= ~0x4000;
  const wr = (o: number, v: number) => sysWrite(c, oBase + o, 4, v >>> 0);
  wr(0x20, retIp);
  wr(0x24, oFlags);
  for (let r = 0; r < 8; r++) wr(0x28 + 4 * r, c.gpr[r << 1]);
  for (let s = 0; s < 6; s++) wr(0x48 + 4 * s, c.seg[s].selector);
  // Busy bits and the back link.
  if (src === TaskSource.JMP || src === TaskSource.IRET) {
    if (readDesc(c, tr.selector)) sysWrite(c, descAddr + 5, 1, (descHi >>> 8) & 0xfd);
  }
  if (src !== TaskSource.IRET) sysWrite(c, nAddr + 5, 1, ((nHi >>> 8) & 0xff) | 2);
  let flags = nFlags;
  if (src === TaskSource.CALL || src === TaskSource.INT) {
    sysWrite(c, nBase, 2, tr.selector);
    flags |= 0x4000;
  }
  // Load TR, CR0.TS, CR3, registers.
  tr.selector = sel & 0xffff;
  tr.base = nBase;
  tr.limit = nLimit;
  tr.attrs = nA | 2;
  refreshSeg(c, 7);
  c.cr0 |= 8;
  if ((c.cr0 & 0x80000000) !== 0) writeCr3(c, nCr3, 0);
  c.rflags = (flags & 0x3f7fd7) | 2;
  for (let r = 0; r < 8; r++) {
    c.gpr[r << 1] = nRegs[r];
    c.gpr[(r << 1) + 1] = 0;
  }
  c.rip = nEip;
  if ((flags & 0x20000) !== 0) {
    // Entering virtual-8086 mode: segments are real-mode style.
    c.cpl = 3;
    for (let s = 0; s < 6; s++) {
      Object.assign(c.seg[s], {
        selector: nSegs[s],
        base: nSegs[s] * 16,
        limit: 0xffff,
        attrs: 0xf3,
      });
    }
    recomputeMode(c);
  } else {
    loadTaskSegments(c, nSegs, nLdt);
  }
  if (err >= 0) push(c, (c.seg[1].attrs & 0x4000) !== 0 ? 4 : 2, err, 0);
  c.poke();
}

/** Load LDTR, CS and the data segments of the new task with #TS checks (SDM 9.3 step 11). */
function loadTaskSegments(c: Cpu, segs: number[], ldt: number): void {
  const l = c.seg[6];
  if ((ldt & 0xfffc) === 0) Object.assign(l, { selector: ldt, base: 0, limit: 0, attrs: 0x10000 });
  else {
    if ((ldt & 4) !== 0 || !readDesc(c, ldt)) ts(ldt);
    const a = dAttrs(descHi);
    if ((a & 0x1f) !== 0x2) ts(ldt);
    if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, ldt & 0xfffc);
    Object.assign(l, {
      selector: ldt,
      base: dBase(descLo, descHi),
      limit: dLimit(descLo, descHi),
      attrs: a,
    });
  }
  refreshSeg(c, 6);
  const cs = segs[1];
  if ((cs & 0xfffc) === 0 || !readDesc(c, cs)) ts(cs);
  const a = dAttrs(descHi);
  if ((a & 0x18) !== 0x18) ts(cs);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, cs & 0xfffc);
  const r = c.seg[1];
  Object.assign(r, {
    selector: cs,
    base: dBase(descLo, descHi),
    limit: dLimit(descLo, descHi),
    attrs: a,
  });
  c.cpl = cs & 3;
  // SS at the new CPL, then the data segments (checks as MOV Sreg, faults as #TS).
  recomputeMode(c);
  for (const s of [2, 0, 3, 4, 5]) {
    try {
      loadSeg(c, s, segs[s]);
    } catch (e) {
      if (e instanceof CpuFault && e.vector === Vec.GP) ts(segs[s]);
      throw e;
    }
  }
  recomputeMode(c);
}

const TASK_SWITCH_SOURCE = ["jmp", "call", "iret", "idt"] as const;

/**
 * Offer the task-switch exit of L2 (SDM Vol. 3C 26.6.2); true when a
 * plugin completed it. The instruction length is that of the far JMP,
 * CALL or IRET (`retIp` is the address after it); for a task gate in the
 * IDT the VMX plugin reports the event being delivered instead.
 */
function offerTaskSwitch(c: Cpu, sel: number, src: TaskSource, retIp: number): boolean {
  const e: TaskSwitchExit = {
    kind: "task-switch",
    level: 2,
    instructionLength: src === TaskSource.INT ? 0 : (retIp - c.ip0 + 0x100000000) % 0x100000000,
    selector: sel & 0xffff,
    source: TASK_SWITCH_SOURCE[src],
  };
  return offerExit(c, e);
}

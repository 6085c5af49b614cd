/**
 * Event delivery: exceptions, software interrupts, NMI and external
 * interrupts through the real-mode IVT or the protected/long-mode IDT
 * (SDM Vol. 3A chapter 6), the double- and triple-fault rules (6.15,
 * Table 6-5), and the per-boundary event check of the run loop.
 *
 * @module
 */

import type { Cpu, CpuStop } from "./cpu.ts";
import type { ExceptionExit } from "../core/vmexit.ts";
import { ABANDON, CpuFault, hasErrorCode, Vec } from "./fault.ts";
import { Acc, beginWide, fillWalked, writePhys } from "./memory.ts";
import { translate } from "./paging.ts";
import { offerEvent } from "./exits.ts";
import { takeSignals } from "./init_sipi.ts";
import { sysRead, sysRead64 } from "./memory.ts";
import {
  dAttrs,
  descHi,
  loadCsDesc,
  loadInnerSs,
  loadSegReal,
  readDesc,
  setSeg,
  tssIst,
  tssStack,
} from "./segment.ts";
import { recomputeMode } from "./state.ts";
import { pmuDeadline } from "./pmu.ts";
import { TaskSource, taskSwitch } from "./task.ts";
import { DR6_BS, DR7_GD, execHits, RFLAGS_RF } from "./debug.ts";

/** Event types (VMX interruption-information encoding). */
export const enum Ev {
  EXT = 0,
  NMI = 2,
  HW = 3,
  SWINT = 4,
  PRIV = 5,
  SWEXC = 6,
}

const TYPE_NAMES: ExceptionExit["type"][] = [
  "hardware",
  "hardware",
  "nmi",
  "hardware",
  "software-interrupt",
  "privileged-software",
  "software-exception",
];

/**
 * 0 benign, 1 contributory, 2 page fault (SDM Table 6-4): #VE has the
 * severity of #PF (SDM Vol. 3C 26.5.7.3).
 */
function klass(v: number): number {
  if (v === 14 || v === 20) return 2;
  if (v === 0 || (v >= 10 && v <= 13)) return 1;
  return 0;
}

/**
 * Fault-class exceptions (#DE, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #PF, #MF,
 * #AC, #XM, #VE, #CP) as a bit mask of vectors. Delivering one pushes
 * RFLAGS with RF set, so that IRET back to the faulting instruction does not
 * hit an instruction breakpoint again (SDM Vol. 3A 6.12.1, Vol. 3B
 * 18.3.1.1); a #DB for an instruction breakpoint does not (its handler sets
 * RF itself).
 */
const FAULT_VECTORS = (1 << 0) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 10) | (1 << 11) |
  (1 << 12) | (1 << 13) | (1 << 14) | (1 << 16) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21);

/** Deliver a fault raised by the current instruction (RIP = its start). */
export function deliverFault(cpu: Cpu, vector: number, errorCode: number): void {
  guarded(cpu, vector, errorCode, Ev.HW, cpu.ip0);
}

/** Deliver an event, catching ABANDON (a VM exit happened during delivery). */
export function guarded(cpu: Cpu, vector: number, err: number, type: number, retIp: number): void {
  try {
    deliverEvent(cpu, vector, err, type, retIp);
  } catch (e) {
    if (e !== ABANDON) throw e;
    cpu.finishPendingExit();
  }
  cpu.poke();
}

/**
 * Deliver an event with the double/triple-fault rules. `retIp` is the RIP
 * pushed (the faulting instruction for faults, the next one for traps and
 * software interrupts). `injected`: the event comes from VM-entry event
 * injection, which never causes a VM exit itself (SDM Vol. 3C 27.6.1.2:
 * no exception-bitmap or NMI-exiting exit for it); exceptions raised while
 * delivering it are offered as usual.
 */
export function deliverEvent(
  cpu: Cpu,
  vector: number,
  err: number,
  type: number,
  retIp: number,
  injected = false,
): void {
  let v = vector;
  let e = err;
  let t = type;
  let ip = retIp;
  let offer = !injected;
  cpu.vectoring = -1;
  for (;;) {
    if (t !== Ev.EXT && offer && offerException(cpu, v, e, t, ip)) return;
    offer = true;
    // A #PF being delivered loads CR2 now, not when the walk failed, and a
    // #DB its DR6 bits (27.1).
    if (t === Ev.HW && v === Vec.PF) cpu.cr2 = cpu.pfLinear;
    if (v === Vec.DB && (t === Ev.HW || t === Ev.PRIV)) deliverDebugStatus(cpu, t);
    try {
      cpu.delivering = v;
      cpu.deliveringType = t;
      cpu.deliveringError = t === Ev.HW && hasErrorCode(v) ? e : -1;
      cpu.deliveringLength = t === Ev.SWINT || t === Ev.SWEXC || t === Ev.PRIV ? ip - cpu.ip0 : 0;
      // RF goes into the pushed image for faults, but VM-entry injection
      // pushes RFLAGS as loaded (SDM Vol. 3C 27.6.1.2).
      const rf = t === Ev.HW && !injected && v < 32 && ((FAULT_VECTORS >>> v) & 1) !== 0;
      deliverOnce(cpu, v, e, t, ip, rf);
      cpu.delivering = -1;
      if (cpu.activity === "hlt") cpu.activity = "active";
      return;
    } catch (x) {
      cpu.delivering = -1;
      cpu.accessWidth = 0;
      if (!(x instanceof CpuFault)) throw x;
      ip = cpu.ip0;
      cpu.rip = cpu.ip0;
      // The nested exception meets the exception bitmap first, as occurring
      // during delivery of `v` (IDT-vectoring information; type and error
      // code still in delivering*): only one that causes no VM exit turns
      // into a double or triple fault (SDM Vol. 3C, "Other Causes of VM
      // Exits" and "Information for VM Exits During Event Delivery").
      cpu.vectoring = v;
      if (offerException(cpu, x.vector, x.errorCode, Ev.HW, ip)) return;
      if (t === Ev.HW && v === Vec.DF) {
        tripleFault(cpu);
        return;
      }
      const first = t === Ev.HW ? klass(v) : 0;
      const second = klass(x.vector);
      if ((first === 1 && second === 1) || (first === 2 && second !== 0)) {
        v = Vec.DF;
        e = 0;
        if (x.vector === Vec.PF) cpu.cr2 = cpu.pfLinear;
        // A #DF that causes a VM exit directly is not one during event
        // delivery (the same SDM section): no IDT-vectoring information.
        cpu.vectoring = -1;
        offer = true;
      } else {
        v = x.vector;
        e = x.errorCode;
        offer = false; // offered above
      }
      t = Ev.HW;
      injected = false;
    }
  }
}

/**
 * Offer an exception exit (non-root, or watched vectors). True if the event
 * must not be delivered: reflected to L1, or handled by a plugin that
 * watched the vector (it then owns RIP and the state).
 */
function offerException(cpu: Cpu, v: number, e: number, t: number, ip: number): boolean {
  const watched = v < 32 && ((cpu.watchedExceptions >>> v) & 1) !== 0;
  if (!cpu.nonRoot && !watched) return false;
  const exit: ExceptionExit = {
    kind: "exception",
    level: cpu.nonRoot ? 2 : 1,
    instructionLength: t === Ev.SWINT || t === Ev.SWEXC || t === Ev.PRIV ? ip - cpu.ip0 : 0,
    vector: v,
    errorCode: hasErrorCode(v) && t === Ev.HW ? e : -1,
    type: TYPE_NAMES[t],
    faultAddress: v === Vec.PF ? cpu.pfLinear : 0,
  };
  return cpu.exits(exit) !== "pass";
}

/**
 * DR6/DR7 as a #DB is delivered (SDM Vol. 3B 18.2.3, 18.2.4): B0-B3 are
 * replaced by the breakpoints this #DB reports, BD/BS are set when it is
 * one of those conditions (and never cleared), and DR7.GD is cleared so the
 * handler can use the debug registers. ICEBP takes with it data
 * breakpoint hits still held back by MOV SS blocking.
 */
function deliverDebugStatus(cpu: Cpu, t: number): void {
  if (t === Ev.PRIV && cpu.dataHits !== 0) {
    cpu.dbPending |= cpu.dataHits;
    cpu.dataHits = 0;
  }
  if (cpu.dbPending !== 0) {
    cpu.dr[6] = ((cpu.dr[6] & ~0xf) | cpu.dbPending) >>> 0;
    cpu.dbPending = 0;
  }
  if (t === Ev.HW) cpu.dr[7] = (cpu.dr[7] & ~DR7_GD) >>> 0;
}

/**
 * Triple fault: a "triple-fault" exit on the bus (the VMX plugin turns an
 * L2 triple fault into a VM exit); otherwise the CPU shuts down.
 */
export function tripleFault(cpu: Cpu): void {
  if (offerEvent(cpu, "triple-fault") === "reflected") return;
  cpu.activity = "shutdown";
  cpu.poke();
}

// =====================================================================
// Frame writes (privilege of the new CPL)
// =====================================================================

function put(cpu: Cpu, lin: number, size: number, lo: number, hi: number, user: boolean): void {
  if ((lin & 0xfff) + size > 4096) {
    for (let k = 0; k < size; k++) {
      const b = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
      put(cpu, lin + k, 1, b, 0, user);
    }
    return;
  }
  const pa = translate(cpu, lin, Acc.WRITE, user);
  if (size === 8) {
    const w = beginWide(cpu, 8);
    writePhys(cpu, pa, 4, lo);
    writePhys(cpu, pa + 4, 4, hi);
    cpu.accessWidth = w;
  } else writePhys(cpu, pa, size, lo);
  fillWalked(cpu, lin, pa, true);
}

function getRsp(cpu: Cpu): number {
  return (cpu.gpr[9] | 0) * 4294967296 + cpu.gpr[8];
}

function setRsp64(cpu: Cpu, v: number): void {
  cpu.gpr[8] = v >>> 0;
  cpu.gpr[9] = Math.floor(v / 4294967296) >>> 0;
}

// =====================================================================
// One delivery attempt
// =====================================================================

function deliverOnce(cpu: Cpu, v: number, e: number, t: number, ip: number, rf: boolean): void {
  const ext = t === Ev.EXT || t === Ev.NMI || t === Ev.HW ? 1 : 0;
  const pushErr = t === Ev.HW && hasErrorCode(v) && e >= 0;
  if ((cpu.cr0 & 1) === 0) {
    realMode(cpu, v, ip);
    return;
  }
  const flags = rf ? (cpu.rflags | 0x10000) >>> 0 : cpu.rflags;
  if ((flags & 0x20000) !== 0 && t === Ev.SWINT && ((flags >> 12) & 3) < 3) {
    throw new CpuFault(Vec.GP, 0); // INT n in v86 with IOPL < 3 (no VME)
  }
  const long = (cpu.efer & 0x400) !== 0;
  const gsz = long ? 16 : 8;
  const idtErr = v * 8 + 2 + ext;
  if (v * gsz + gsz - 1 > cpu.idtr.limit) throw new CpuFault(Vec.GP, idtErr);
  const ga = cpu.idtr.base + v * gsz;
  // A gate is read as one access (16 bytes in IA-32e mode, whose last
  // 8 are read once the first 8 passed their checks).
  const lo = sysRead64(cpu, ga);
  const hi = cpu.hi;
  const type = (hi >>> 8) & 0x1f;
  const gdpl = (hi >>> 13) & 3;
  let gate32 = true;
  if (long) {
    if (type !== 0xe && type !== 0xf) throw new CpuFault(Vec.GP, idtErr);
  } else if (type === 0x6 || type === 0x7) gate32 = false;
  else if (type !== 0xe && type !== 0xf && type !== 0x5) throw new CpuFault(Vec.GP, idtErr);
  if ((t === Ev.SWINT || t === Ev.SWEXC || t === Ev.PRIV && false) && gdpl < cpu.cpl) {
    throw new CpuFault(Vec.GP, v * 8 + 2);
  }
  if ((hi & 0x8000) === 0) throw new CpuFault(Vec.NP, idtErr);
  if (type === 0x5) {
    // Task gate: switch tasks; the error code goes on the new task's stack (SDM 6.12.2).
    taskSwitch(cpu, lo >>> 16, TaskSource.INT, ip, pushErr ? e : -1);
    if (v === Vec.NMI && t === Ev.NMI) cpu.interruptibility |= 8;
    return;
  }
  const trap = (type & 1) === 1;
  const sel = lo >>> 16;
  let off = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
  if (long) {
    const hi2 = sysRead64(cpu, ga + 8);
    off = (hi2 | 0) * 4294967296 + off;
  } else if (!gate32) off &= 0xffff;
  // Target code segment (SDM 6.12.1.1).
  if ((sel & 0xfffc) === 0) throw new CpuFault(Vec.GP, ext);
  if (!readDesc(cpu, sel)) throw new CpuFault(Vec.GP, (sel & 0xfffc) + ext);
  const ca = dAttrs(descHi);
  const cdpl = (ca >> 5) & 3;
  if ((ca & 0x18) !== 0x18 || cdpl > cpu.cpl) throw new CpuFault(Vec.GP, (sel & 0xfffc) + ext);
  if (long && ((ca & 0x2000) === 0 || (ca & 0x4000) !== 0)) {
    throw new CpuFault(Vec.GP, (sel & 0xfffc) + ext);
  }
  if ((ca & 0x80) === 0) throw new CpuFault(Vec.NP, (sel & 0xfffc) + ext);
  const conforming = (ca & 0x4) !== 0;
  const newCpl = conforming ? cpu.cpl : cdpl;
  const oldCpl = cpu.cpl;
  const v86 = (flags & 0x20000) !== 0;
  if (v86 && newCpl !== 0) throw new CpuFault(Vec.GP, (sel & 0xfffc) + ext);
  const user = newCpl === 3;
  const csSel = cpu.seg[1].selector;
  const ssSel = cpu.seg[2].selector;
  const codeDescLo = 0;
  void codeDescLo;

  if (long) {
    const ist = hi & 7;
    let rsp: number;
    if (ist !== 0) rsp = tssIst(cpu, ist);
    else if (newCpl < oldCpl) rsp = tssStack(cpu, newCpl).sp;
    else rsp = getRsp(cpu);
    if (rsp >= 0x800000000000 || rsp < -0x800000000000) throw new CpuFault(Vec.SS, 0);
    const oldRsp = getRsp(cpu);
    rsp -= ((rsp % 16) + 16) % 16;
    const n = pushErr ? 6 : 5;
    const base = rsp - n * 8;
    // Pushed from the top down: SS, RSP, RFLAGS, CS, RIP, error code.
    put(cpu, rsp - 8, 8, ssSel, 0, user);
    put(cpu, rsp - 16, 8, oldRsp >>> 0, Math.floor(oldRsp / 4294967296) >>> 0, user);
    put(cpu, rsp - 24, 8, flags >>> 0, 0, user);
    put(cpu, rsp - 32, 8, csSel, 0, user);
    put(cpu, rsp - 40, 8, ip >>> 0, Math.floor(ip / 4294967296) >>> 0, user);
    if (pushErr) put(cpu, base, 8, e >>> 0, 0, user);
    // Commit.
    readDesc(cpu, sel);
    if (newCpl < oldCpl) {
      const r = cpu.seg[2];
      r.selector = newCpl;
      r.base = 0;
      r.limit = 0;
      r.attrs = 0x10000 | (newCpl << 5);
    }
    loadCsDesc(cpu, sel, newCpl);
    setRsp64(cpu, base);
    cpu.rip = off;
  } else {
    const sz = gate32 ? 4 : 2;
    let ss = ssSel;
    let sp: number;
    let ssBase: number;
    let stack32: boolean;
    const inner = newCpl < oldCpl;
    if (inner) {
      const st = tssStack(cpu, newCpl);
      // Validate and load the new SS into a scratch copy (restored on fault below).
      const saved = { ...cpu.seg[2] };
      try {
        loadInnerSs(cpu, st.ss, newCpl);
      } catch (x) {
        Object.assign(cpu.seg[2], saved);
        throw x;
      }
      const nss = { ...cpu.seg[2] };
      Object.assign(cpu.seg[2], saved);
      ss = st.ss;
      sp = st.sp;
      ssBase = nss.base;
      stack32 = (nss.attrs & 0x4000) !== 0;
      const words = (v86 ? 9 : 5) + (pushErr ? 1 : 0);
      sp = stack32 ? (sp - words * sz) >>> 0 : (sp - words * sz) & 0xffff;
      // Pushed from the top down (GS, FS, DS, ES for v86, then SS, ESP,
      // EFLAGS, CS, EIP, error code), as the processor pushes them.
      const e0 = pushErr ? 1 : 0;
      const w = (k: number, val: number) => {
        put(cpu, ssBase + sp + (k + e0) * sz, sz, sz === 2 ? val & 0xffff : val >>> 0, 0, user);
      };
      if (v86) {
        w(8, cpu.seg[5].selector);
        w(7, cpu.seg[4].selector);
        w(6, cpu.seg[3].selector);
        w(5, cpu.seg[0].selector);
      }
      w(4, ssSel);
      w(3, cpu.gpr[8]);
      w(2, flags);
      w(1, csSel);
      w(0, ip);
      if (pushErr) w(-1, e);
      // Commit.
      Object.assign(cpu.seg[2], nss);
      cpu.seg[2].selector = ss;
      if (v86) {
        for (const s of [0, 3, 4, 5]) setSeg(cpu, s, 0, 0, 0, 0x10000);
      }
    } else {
      stack32 = (cpu.seg[2].attrs & 0x4000) !== 0;
      ssBase = cpu.seg[2].base;
      const words = pushErr ? 4 : 3;
      const cur = stack32 ? cpu.gpr[8] : cpu.gpr[8] & 0xffff;
      sp = stack32 ? (cur - words * sz) >>> 0 : (cur - words * sz) & 0xffff;
      const e0 = pushErr ? 1 : 0;
      const w = (k: number, val: number) => {
        put(cpu, ssBase + sp + (k + e0) * sz, sz, sz === 2 ? val & 0xffff : val >>> 0, 0, user);
      };
      w(2, flags);
      w(1, csSel);
      w(0, ip);
      if (pushErr) w(-1, e);
    }
    readDesc(cpu, sel);
    if (stack32) cpu.gpr[8] = sp;
    else cpu.gpr[8] = (cpu.gpr[8] & 0xffff0000) | sp;
    cpu.fl &= ~0x20000;
    loadCsDesc(cpu, sel, newCpl);
    cpu.rip = off;
  }
  // Flags: clear TF, NT, RF, VM (and IF for interrupt gates) (SDM 6.12.1.3).
  cpu.fl &= ~(0x100 | 0x4000 | 0x10000 | 0x20000);
  cpu.tfArmed = false;
  if (!trap) cpu.fl &= ~0x200;
  if (v === Vec.NMI && t === Ev.NMI) cpu.interruptibility |= 8;
  // CS and SS changed (the data segments of a v86 exit through setSeg;
  // leaving v86 mode makes this a full refresh).
  recomputeMode(cpu, 1);
}

function realMode(cpu: Cpu, v: number, ip: number): void {
  if (v * 4 + 3 > cpu.idtr.limit) throw new CpuFault(Vec.GP, 0);
  const a = cpu.idtr.base + v * 4;
  const off = sysRead(cpu, a, 2);
  const sel = sysRead(cpu, a + 2, 2);
  const flags = cpu.rflags & 0xffff;
  const ssBase = cpu.seg[2].base;
  const stack32 = (cpu.seg[2].attrs & 0x4000) !== 0;
  const cur = stack32 ? cpu.gpr[8] : cpu.gpr[8] & 0xffff;
  const sp = stack32 ? (cur - 6) >>> 0 : (cur - 6) & 0xffff;
  if (!stack32 && cur < 6 && cur !== 0) throw new CpuFault(Vec.SS, 0);
  // FLAGS, CS, IP, from the top down.
  put(cpu, ssBase + sp + 4, 2, flags, 0, false);
  put(cpu, ssBase + sp + 2, 2, cpu.seg[1].selector, 0, false);
  put(cpu, ssBase + sp, 2, ip & 0xffff, 0, false);
  if (stack32) cpu.gpr[8] = sp;
  else cpu.gpr[8] = (cpu.gpr[8] & 0xffff0000) | sp;
  cpu.fl &= ~(0x100 | 0x200 | 0x40000);
  cpu.tfArmed = false;
  loadSegReal(cpu, 1, sel);
  cpu.rip = off;
}

// =====================================================================
// The event check at instruction boundaries
// =====================================================================

/**
 * Called by the run loop when `eventPending` or a stop is set. Delivers
 * what is deliverable and returns a stop reason, or null to keep running.
 */
export function checkEvents(cpu: Cpu): CpuStop | null {
  if (cpu.stopReq) {
    cpu.stopReq = false;
    return "stop-requested";
  }
  // A counter wrapped with the instruction that just retired: its
  // overflow status and PMI belong to this boundary (cpu/pmu.ts).
  if (cpu.retired >= cpu.pmu.deadline) pmuDeadline(cpu);
  // APIC-write emulation before INIT and everything below it (SDM Vol. 3C 29.4.3.2).
  if (apicWrite(cpu)) return reflected(cpu);
  if (cpu.initPending || cpu.sipiVector >= 0) takeSignals(cpu);
  if (cpu.activity === "shutdown") return "shutdown";
  if (cpu.activity === "wait-for-sipi") {
    // Interrupts and NMIs are not taken while waiting for a SIPI (SDM Vol. 3A 9.4.2).
    cpu.eventPending = true;
    cpu.loopLimit = 0;
    return "halted";
  }
  let busy = false;
  if ((cpu.interruptibility & 3) !== 0) {
    if (cpu.retired >= cpu.shadowUntil) cpu.interruptibility &= ~3;
    else busy = true;
  }
  // Single-step (RFLAGS.TF): a #DB trap after each instruction that began
  // with TF = 1 (SDM Vol. 3B 18.3.1.4); POPF/IRET setting TF trap after the
  // following instruction.
  // Data and I/O breakpoint hits of the instruction that retired are a #DB
  // trap too. Blocking by MOV SS holds both back until the next instruction
  // has run (SDM 6.8.3); blocking by STI does not.
  const movSs = (cpu.interruptibility & 2) !== 0;
  let ssDue = cpu.tfArmed && cpu.retired > cpu.tfAt && !movSs;
  if (ssDue && (cpu.debugCtl & 2) !== 0 && (cpu.fl & 0x100) !== 0 && !lastBranched(cpu)) {
    // DEBUGCTL.BTF: single-step on branches, not on every instruction (SDM
    // Vol. 3B 18.4.3); the trap stays armed for the next instruction.
    cpu.tfAt = cpu.retired;
    ssDue = false;
  }
  const hitsDue = cpu.dataHits !== 0 && !movSs;
  if (
    (ssDue || hitsDue) && cpu.nonRoot && (cpu.windowRequests & 4) !== 0 &&
    offerEvent(cpu, "monitor-trap") === "reflected"
  ) {
    // An MTF VM exit has priority over debug traps of the instruction that
    // just completed (SDM Vol. 3C 26.2, 26.5.2): they stay pending and the
    // exit saves them in the pending-debug-exceptions field (28.3.4).
    cpu.eventPending = true;
    cpu.loopLimit = cpu.retired + 1;
    return null;
  }
  if (ssDue || hitsDue) {
    let bits = 0;
    if (ssDue) {
      cpu.tfArmed = false;
      bits |= DR6_BS;
    }
    if (hitsDue) {
      bits |= cpu.dataHits;
      cpu.dataHits = 0;
    }
    cpu.dbPending = bits; // written to DR6 when the #DB is delivered
    cpu.ip0 = cpu.rip;
    cpu.activity = "active";
    guarded(cpu, Vec.DB, -1, Ev.HW, cpu.rip);
    if (apicWrite(cpu)) return reflected(cpu);
    busy = true;
  } else if (cpu.dataHits !== 0 || cpu.tfArmed) busy = true;
  if ((cpu.fl & 0x100) !== 0 && !cpu.tfArmed) {
    cpu.tfArmed = true;
    cpu.tfAt = cpu.retired;
    busy = true;
  }
  const l2 = cpu.nonRoot;
  const ifl = (cpu.fl & 0x200) !== 0;
  const mtf = l2 && (cpu.windowRequests & 4) !== 0;
  const open = l2 && cpu.windowRequests !== 0 ? openWindows(cpu, ifl) : 0;
  let again = false;
  if (cpu.injected.length > 0) {
    const ev = cpu.injected.shift()!;
    const soft = ev.type === 4 || ev.type === 5 || ev.type === 6;
    const ip = soft ? cpu.rip + ev.instructionLength : cpu.rip;
    // Window exits whose conditions hold at VM entry are taken after the
    // injected event is delivered, before the handler's first instruction
    // (SDM Vol. 3C 27.7.5, 27.7.6): note them before delivery changes IF.
    const window = l2 ? openWindows(cpu, ifl) & 3 : 0;
    cpu.ip0 = cpu.rip;
    cpu.activity = "active";
    try {
      deliverOnceGuarded(cpu, ev.vector, ev.errorCode, ev.type, ip);
    } catch (e) {
      if (e !== ABANDON) throw e;
      cpu.finishPendingExit();
    }
    if (apicWrite(cpu)) return reflected(cpu);
    if (l2 && cpu.nonRoot) {
      if ((cpu.windowRequests & 16) !== 0) offerPreemption(cpu);
      else if (window !== 0) {
        offerEvent(cpu, (window & 1) !== 0 ? "interrupt-window" : "nmi-window");
      }
    }
    busy = true;
  } else if (mtf && offerEvent(cpu, "monitor-trap") === "reflected") {
    // An MTF VM exit takes priority over NMIs, maskable interrupts and the
    // window exits due on the same boundary (SDM Vol. 3C 26.7.2); they stay
    // pending for the next boundary.
    busy = true;
  } else if (l2 && (cpu.windowRequests & 16) !== 0) {
    // Below debug traps, above NMI-window exits (SDM Vol. 3C 26.7.4).
    offerPreemption(cpu);
    busy = true;
  } else if ((open & 2) !== 0) {
    // NMI-window exits come before NMIs (26.7.6).
    offerEvent(cpu, "nmi-window");
    busy = true;
  } else if (cpu.nmiPending && (cpu.interruptibility & 0xb) === 0) {
    // In non-root operation an NMI is offered as an exit first (NMI exiting).
    const go = !l2 || offerEvent(cpu, "nmi") !== "reflected";
    cpu.nmiPending = false;
    if (go) {
      cpu.ip0 = cpu.rip;
      cpu.activity = "active";
      guarded(cpu, Vec.NMI, -1, Ev.NMI, cpu.rip);
    }
    busy = true;
    again = true;
  } else if ((open & 1) !== 0 && offerEvent(cpu, "interrupt-window") !== "pass") {
    // Interrupt-window exits and virtual-interrupt delivery come before
    // external interrupts, below NMIs (26.7.5, 29.2.2).
    busy = true;
    again = true;
  } else if (
    // Bit 3 of windowRequests: "external-interrupt exiting" (RFLAGS.IF ignored, SDM 26.2).
    (ifl || (l2 && (cpu.windowRequests & 8) !== 0)) &&
    (cpu.interruptibility & 3) === 0 && cpu.intSource !== null && cpu.intSource.hasInterrupt()
  ) {
    // "handled": the handler took the interrupt itself (posted-interrupt processing).
    const d = l2 ? offerEvent(cpu, "external-interrupt") : "pass";
    if (d === "pass") {
      const vec = cpu.intSource.acknowledge() & 0xff;
      cpu.ip0 = cpu.rip;
      cpu.activity = "active";
      guarded(cpu, vec, -1, Ev.EXT, cpu.rip);
    }
    busy = true;
    again = d !== "handled";
  } else if (mtf || (open & 1) !== 0) {
    // Monitor trap flag not due yet (no L2 instruction since VM entry), or
    // an interrupt window nobody took: come back at the next boundary.
    busy = true;
  }
  // An event delivered above may have virtualized a write to the
  // APIC-access page: its emulation comes before the handler's first
  // instruction (and its instruction breakpoint).
  if (apicWrite(cpu)) return reflected(cpu);
  if ((cpu.fl & RFLAGS_RF) !== 0 || cpu.bpExec !== 0) {
    if (instructionBreakpoint(cpu)) busy = true;
  }
  if ((cpu.activity as string) === "shutdown") return "shutdown";
  if (cpu.stopReq) {
    cpu.stopReq = false;
    return "stop-requested";
  }
  if (cpu.activity !== "active") {
    cpu.eventPending = true;
    cpu.loopLimit = 0;
    return "halted";
  }
  // After an NMI or interrupt (virtual ones included) was taken, what else
  // is due is recognized at the boundary before the handler's first
  // instruction, not after it. The run stops at the PMU's overflow
  // deadline too, and comes back here there.
  const deadline = cpu.pmu.deadline;
  cpu.eventPending = busy || deadline < cpu.runLimit;
  cpu.loopLimit = again ? 0 : busy ? cpu.retired + 1 : Math.min(cpu.runLimit, deadline);
  return null;
}

/**
 * APIC-write emulation requested by the VMX plugin (windowRequests bit 5,
 * non-root operation only): the "apic-write" event, offered once. True
 * when it caused a VM exit.
 */
function apicWrite(cpu: Cpu): boolean {
  if ((cpu.windowRequests & 32) === 0 || !cpu.nonRoot) return false;
  cpu.windowRequests &= ~32;
  return offerEvent(cpu, "apic-write") === "reflected";
}

/**
 * A VM exit replaced the state in the middle of the boundary check: check
 * again from the start, as the boundary of the level now running.
 */
function reflected(cpu: Cpu): null {
  cpu.eventPending = true;
  cpu.loopLimit = 0;
  return null;
}

/**
 * RFLAGS.RF and instruction breakpoints at a boundary. RF, once seen set,
 * lets one instruction start without an instruction-breakpoint check and is
 * cleared when that instruction completes (SDM 18.3.1.1). An enabled
 * breakpoint at RIP is a #DB fault (RIP unchanged). Returns true while the
 * run loop must keep coming back at every boundary.
 */
function instructionBreakpoint(cpu: Cpu): boolean {
  if ((cpu.fl & RFLAGS_RF) !== 0) {
    if (cpu.rfAt < 0) {
      cpu.rfAt = cpu.retired;
      return true;
    }
    if (cpu.retired === cpu.rfAt) return true;
    cpu.fl &= ~RFLAGS_RF;
  }
  cpu.rfAt = -1;
  if (cpu.bpExec === 0) return false;
  if (cpu.activity !== "active" || (cpu.interruptibility & 2) !== 0) return true;
  const found = execHits(cpu);
  if (found !== 0) {
    cpu.dbPending = found;
    cpu.ip0 = cpu.rip;
    guarded(cpu, Vec.DB, -1, Ev.HW, cpu.rip);
  }
  return true;
}

/**
 * A VMX-preemption timer that expired at VM entry (value 0; windowRequests
 * bit 4) exits after event injection and pending debug exceptions, before
 * any L2 instruction (SDM Vol. 3C 26.7.4).
 */
function offerPreemption(cpu: Cpu): void {
  cpu.windowRequests &= ~16;
  offerEvent(cpu, "preemption-timer");
}

/**
 * Whether the instruction that just retired (at `ip0`) moved RIP somewhere
 * other than the next instruction: a taken branch. Its length comes from the
 * decoded-instruction cache of its page; when it is gone (the instruction
 * changed mode or dropped the page) the transfer is counted as a branch.
 */
function lastBranched(cpu: Cpu): boolean {
  const off = cpu.ip0 - cpu.codeIp;
  const insn = off >= 0 && off < 4096 ? cpu.codePage[off] : undefined;
  if (insn === undefined) return true;
  return cpu.rip !== cpu.ip0 + insn.len;
}

/**
 * Requested windows that are open now: bit 0 the interrupt window (IF = 1,
 * no blocking by STI or MOV SS; SDM Vol. 3C 26.7.5), bit 1 the NMI window
 * (no NMI blocking and no blocking by MOV SS; 26.7.6).
 */
function openWindows(cpu: Cpu, ifl: boolean): number {
  const req = cpu.windowRequests;
  const block = cpu.interruptibility;
  let open = 0;
  if ((req & 1) !== 0 && ifl && (block & 3) === 0) open |= 1;
  if ((req & 2) !== 0 && (block & 0xa) === 0) open |= 2;
  return open;
}

/**
 * Deliver the first queued injected event (VM-entry injection) now, at an
 * instruction boundary; a VM exit during its delivery is completed here.
 */
export function deliverInjected(cpu: Cpu): void {
  const ev = cpu.injected.shift();
  if (ev === undefined) return;
  const soft = ev.type === 4 || ev.type === 5 || ev.type === 6;
  const ip = soft ? cpu.rip + ev.instructionLength : cpu.rip;
  cpu.ip0 = cpu.rip;
  cpu.activity = "active";
  try {
    deliverOnceGuarded(cpu, ev.vector, ev.errorCode, ev.type, ip);
  } catch (e) {
    if (e !== ABANDON) throw e;
    cpu.finishPendingExit();
  }
}

function deliverOnceGuarded(cpu: Cpu, v: number, e: number, type: number, ip: number): void {
  deliverEvent(cpu, v, e, type, ip, true);
}

/** Used by snapshots: the stack pointer as a signed number. */
export function rsp64(cpu: Cpu): number {
  return getRsp(cpu);
}

/** Keep recomputeMode referenced for callers that change CR0 mid-delivery. */
export const _modeHook = recomputeMode;

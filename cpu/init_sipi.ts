/**
 * INIT and startup IPIs as the CPU takes them (Intel SDM Vol. 3A 9.4 "MP
 * initialization", 11.6.1 delivery modes INIT and Start-Up, Table 10-1).
 *
 * Both are latched by the local APIC's sender (`Vcpu.signalInit`,
 * `Vcpu.signalStartup`) and taken at the target's next instruction
 * boundary:
 * - INIT is offered to the bus as an `init-signal` exit first: the VMX
 *   plugin blocks it in VMX root operation (it stays latched, SDM Vol. 3C
 *   26.2/33.?: "INIT signals are blocked whenever a logical processor is in
 *   VMX root operation") and turns it into a VM exit (basic reason 3) in
 *   non-root operation. Otherwise the CPU performs an INIT reset: the
 *   power-up state except the x87/SSE state and the MSRs (Table 10-1's INIT
 *   column), then the boot vCPU starts at the reset vector and every other
 *   vCPU waits for a startup IPI.
 * - A startup IPI starts a vCPU that waits for one in real mode at
 *   CS = vector << 8 (base vector << 12), IP = 0. In any other state it is
 *   ignored (SDM 9.4.4: SIPIs are ignored unless in wait-for-SIPI).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { offerEvent } from "./exits.ts";
import { resetState } from "./state.ts";
import type { SipiExit } from "../core/vmexit.ts";

/** The SIPI exit record (cold path; one per process is enough: valid during dispatch only). */
const sipiExit: { -readonly [K in keyof SipiExit]: SipiExit[K] } = {
  kind: "sipi",
  level: 2,
  instructionLength: 0,
  vector: 0,
};

/** Take the latched INIT and startup signals of `cpu` (cold path, at a boundary). */
export function takeSignals(cpu: Cpu): void {
  if (cpu.initPending) {
    const d = offerEvent(cpu, "init-signal");
    if (d === "reflected") cpu.initPending = false; // a VM exit to L1 consumed it
    else if (d === "pass") {
      cpu.initPending = false;
      initReset(cpu);
    } // "handled": blocked in VMX root operation, stays latched
  }
  if (cpu.sipiVector >= 0) {
    const vector = cpu.sipiVector;
    cpu.sipiVector = -1;
    if (cpu.activity !== "wait-for-sipi") return;
    if (!cpu.nonRoot) startAt(cpu, vector);
    else {
      // L2 waits for a SIPI: a VM exit to L1 with the vector (SDM Vol. 3C 26.2).
      sipiExit.level = 2;
      sipiExit.vector = vector;
      cpu.exits(sipiExit);
    }
  }
}

/**
 * INIT reset: power-up state keeping x87/SSE, PKRU (XSAVE-managed user
 * state like them) and the MSRs (IA32_PKRS too); APs then wait for a SIPI.
 */
export function initReset(cpu: Cpu): void {
  const fpu = cpu.fpu.save();
  const pkru = cpu.pctx.pkru;
  const pkrs = cpu.pctx.pkrs; // an MSR: INIT leaves the MSRs alone (SDM Vol. 3A 10.1)
  const keep = {
    star: cpu.star,
    lstar: cpu.lstar,
    cstar: cpu.cstar,
    sfmask: cpu.sfmask,
    kernelGsBase: cpu.kernelGsBase,
    sysenterCs: cpu.sysenterCs,
    sysenterEsp: cpu.sysenterEsp,
    sysenterEip: cpu.sysenterEip,
    apicBase: cpu.apicBase,
    pat: cpu.pat,
    tscAux: cpu.tscAux,
    tscAdjust: cpu.tscAdjust,
    miscEnable: cpu.miscEnable,
  };
  resetState(cpu);
  cpu.fpu.load(fpu);
  cpu.mmu.setPkru(pkru);
  cpu.mmu.setPkrs(pkrs);
  Object.assign(cpu, keep);
  cpu.activity = cpu.apicId === 0 ? "active" : "wait-for-sipi";
}

/** Leave wait-for-SIPI at `vector`: real mode, CS = vector << 8, IP = 0. */
function startAt(cpu: Cpu, vector: number): void {
  const cs = cpu.seg[1];
  cs.selector = (vector & 0xff) << 8;
  cs.base = (vector & 0xff) << 12;
  cs.limit = 0xffff;
  cs.attrs = 0x9b;
  cpu.rip = 0;
  cpu.activity = "active";
  cpu.stateChanged();
}

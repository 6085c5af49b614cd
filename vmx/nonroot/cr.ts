/**
 * Control-register accesses of L2 (SDM Vol. 3C 26.1.3, 26.3 "Changes to
 * instruction behavior in VMX non-root operation"): CR0/CR4 guest/host
 * masks and read shadows, CLTS and LMSW, the CR3-target list, CR3 and CR8
 * load/store exiting.
 *
 * @module
 */

import type { CrAccessExit, ExitDisposition } from "../../core/vmexit.ts";
import { PROC } from "../controls.ts";
import { O, r32, rhi } from "../entry/offsets.ts";
import { Reason } from "../exit/reasons.ts";
import type { Nested } from "./session.ts";

const CR3_TARGETS = [
  O.CR3_TARGET_VALUE0,
  O.CR3_TARGET_VALUE1,
  O.CR3_TARGET_VALUE2,
  O.CR3_TARGET_VALUE3,
];

/** Qualification access types (bits 5:4). */
const MOV_TO = 0, MOV_FROM = 1, CLTS = 2, LMSW = 3;

function qual(n: Nested, cr: number, type: number, gpr: number): void {
  n.info.begin(Reason.CR_ACCESS).qual((cr & 15) | (type << 4) | ((gpr & 15) << 8));
}

/**
 * Decide a CR access: "exit" after filling the exit information, "handled"
 * when the access was performed here (shadowed reads, masked writes), or
 * "pass" when the CPU performs it unchanged.
 */
export function crAccess(n: Nested, exit: CrAccessExit, proc: number): ExitDisposition | "exit" {
  const d = n.d;
  const v = n.vcpu;
  const cr = exit.cr;
  if (cr === 3) {
    if (exit.access === "mov-from") {
      if ((proc & PROC.CR3_STORE_EXITING) === 0) return "pass";
      qual(n, 3, MOV_FROM, exit.gpr);
      return "exit";
    }
    if ((proc & PROC.CR3_LOAD_EXITING) === 0) return "pass";
    // No exit when the value equals one of the first CR3_TARGET_COUNT targets.
    const count = Math.min(r32(d, O.CR3_TARGET_COUNT), 4);
    for (let i = 0; i < count; i++) {
      if (
        r32(d, CR3_TARGETS[i]) === exit.valueLo >>> 0 &&
        rhi(d, CR3_TARGETS[i]) === exit.valueHi >>> 0
      ) {
        return "pass";
      }
    }
    qual(n, 3, MOV_TO, exit.gpr);
    return "exit";
  }
  if (cr === 8) {
    if (exit.access === "mov-from") {
      if ((proc & PROC.CR8_STORE_EXITING) === 0) return "pass";
      qual(n, 8, MOV_FROM, exit.gpr);
      return "exit";
    }
    if ((proc & PROC.CR8_LOAD_EXITING) === 0) return "pass";
    qual(n, 8, MOV_TO, exit.gpr);
    return "exit";
  }
  // CR0 / CR4.
  const maskOff = cr === 0 ? O.CR0_GUEST_HOST_MASK : O.CR4_GUEST_HOST_MASK;
  const shadowOff = cr === 0 ? O.CR0_READ_SHADOW : O.CR4_READ_SHADOW;
  const mask = r32(d, maskOff);
  const maskHi = rhi(d, maskOff);
  const shadow = r32(d, shadowOff);
  const shadowHi = rhi(d, shadowOff);
  const real = cr === 0 ? v.cr0 >>> 0 : v.cr4 >>> 0;
  switch (exit.access) {
    case "mov-from": {
      // Bits owned by L1 read from the shadow (26.3).
      const value = ((real & ~mask) | (shadow & mask)) >>> 0;
      if (exit.gpr < 0) return "pass";
      v.gpr[2 * exit.gpr] = value;
      v.gpr[2 * exit.gpr + 1] = v.mode === "long64" ? (shadowHi & maskHi) >>> 0 : 0;
      return "handled";
    }
    case "mov-to": {
      const lo = exit.valueLo >>> 0;
      const hi = exit.valueHi >>> 0;
      if (((lo ^ shadow) & mask) !== 0 || ((hi ^ shadowHi) & maskHi) !== 0) {
        qual(n, cr, MOV_TO, exit.gpr);
        return "exit";
      }
      if (mask === 0 && maskHi === 0) return "pass";
      if (hi !== 0) return v.raiseException(13, 0);
      const value = ((lo & ~mask) | (real & mask)) >>> 0;
      return cr === 0 ? writeCr0(n, value) : writeCr4(n, value);
    }
    case "clts":
      if ((mask & 8) !== 0 && (shadow & 8) !== 0) {
        qual(n, 0, CLTS, 0);
        return "exit";
      }
      // With TS owned by L1 (and its shadow clear), CLTS leaves the real TS alone.
      return (mask & 8) !== 0 ? "handled" : "pass";
    case "lmsw": {
      const src = exit.valueLo & 0xf;
      const peSet = (mask & 1) !== 0 && (shadow & 1) === 0 && (src & 1) !== 0;
      if (peSet || ((mask & 0xe) & (shadow ^ src)) !== 0) {
        n.info.begin(Reason.CR_ACCESS).qual(
          LMSW << 4 | (exit.lmswLinear >= 0 ? 64 : 0) | (src << 16),
        );
        if (exit.lmswLinear >= 0) n.info.guestLinear = exit.lmswLinear;
        return "exit";
      }
      if ((mask & 0xf) === 0) return "pass";
      // LMSW writes bits 3:1 and can set (not clear) PE; owned bits stay.
      let low = real & 0xf;
      const free = ~mask & 0xe;
      low = (low & ~free) | (src & free);
      if ((mask & 1) === 0) low |= src & 1;
      return writeCr0(n, ((real & ~0xf) | low) >>> 0);
    }
  }
  return "pass";
}

function writeCr0(n: Nested, value: number): ExitDisposition {
  const v = n.vcpu;
  // PG without PE, NW without CD: #GP(0).
  if ((value & 0x80000000) !== 0 && (value & 1) === 0) return v.raiseException(13, 0);
  if ((value & 0x20000000) !== 0 && (value & 0x40000000) === 0) return v.raiseException(13, 0);
  const old = v.cr0;
  v.cr0 = value;
  // Paging on with EFER.LME activates IA-32e mode; paging off deactivates it.
  if (((old ^ value) & 0x80000000) !== 0) {
    if ((value & 0x80000000) !== 0 && (v.efer & 0x100) !== 0) v.efer |= 0x400;
    if ((value & 0x80000000) === 0) v.efer &= ~0x400;
  }
  v.stateChanged();
  return "handled";
}

function writeCr4(n: Nested, value: number): ExitDisposition {
  const v = n.vcpu;
  if ((value & ~n.features.cr4Fixed1) !== 0) return v.raiseException(13, 0);
  v.cr4 = value;
  v.stateChanged();
  return "handled";
}

/**
 * INVEPT and INVVPID in VMX root operation (SDM Vol. 3C 31.3). The vCPU's
 * TLB keeps a context per VPID (`mm/tlb_contexts.ts`): INVVPID drops what
 * its type names there; INVEPT drops cached EPT walks and every context's
 * combined mappings (those of every VPID but 0: VMX root operation's
 * translations never go through EPT).
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import { EPT_CAP } from "../controls.ts";
import { eptpValid } from "../entry/check_controls.ts";
import { canonical } from "../entry/offsets.ts";
import { vmFail, vmSucceed, VmxError } from "../instructions/conventions.ts";
import { type MemOperand, readMem, readReg } from "../instructions/operands.ts";
import type { Vcpu } from "../../core/vcpu.ts";
import type { Nested } from "../nonroot/session.ts";
import { translatorOf } from "./nested_ept.ts";

const pair = { lo: 0, hi: 0 };

/** The memory operand, or #UD for a register form. */
function requireMemOperand(v: Vcpu, exit: VmxInstructionExit): MemOperand {
  const m = exit.operands.mem;
  if (m === undefined) return v.raiseException(6);
  return m;
}

const INVVPID_BITS = [
  EPT_CAP.INVVPID_INDIVIDUAL_ADDRESS,
  EPT_CAP.INVVPID_SINGLE_CONTEXT,
  EPT_CAP.INVVPID_ALL_CONTEXT,
  EPT_CAP.INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS,
];

/** INVEPT: type 1 single-context (descriptor's EPTP), type 2 all-context. */
export function invept(n: Nested, exit: VmxInstructionExit): ExitDisposition {
  const v = n.vcpu;
  const mem = requireMemOperand(v, exit);
  readReg(v, exit.operands.regReg, pair);
  const typeHi = v.mode === "long64" ? pair.hi : 0;
  const type = pair.lo;
  const f = n.features;
  const supported = typeHi === 0 &&
    ((type === 1 && (f.eptVpidCapLo & EPT_CAP.INVEPT_SINGLE_CONTEXT) !== 0) ||
      (type === 2 && (f.eptVpidCapLo & EPT_CAP.INVEPT_ALL_CONTEXT) !== 0));
  if (!supported) {
    vmFail(v, n.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
    return "handled";
  }
  // The 128-bit descriptor: EPTP in bits 63:0, bits 127:64 reserved.
  readMem(v, mem, 8, pair);
  const eptpLo = pair.lo, eptpHi = pair.hi;
  if (type === 1 && !eptpValid(eptpLo, eptpHi, f)) {
    vmFail(v, n.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
    return "handled";
  }
  const t = translatorOf(n);
  if (type === 1) t.invept(1, eptpHi * 0x100000000 + eptpLo);
  else t.invept(2, 0);
  v.invept();
  vmSucceed(v);
  return "handled";
}

/**
 * INVVPID: type 0 individual address, 1 single context, 2 all contexts,
 * 3 single context retaining globals. VPID 0 (except for type 2),
 * reserved descriptor bits and a non-canonical address (type 0) fail with
 * VMfail(28).
 */
export function invvpid(n: Nested, exit: VmxInstructionExit): ExitDisposition {
  const v = n.vcpu;
  const mem = requireMemOperand(v, exit);
  readReg(v, exit.operands.regReg, pair);
  const typeHi = v.mode === "long64" ? pair.hi : 0;
  const type = pair.lo;
  const hi = n.features.eptVpidCapHi;
  if (typeHi !== 0 || type > 3 || (hi & INVVPID_BITS[type]) === 0) {
    vmFail(v, n.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
    return "handled";
  }
  readMem(v, mem, 8, pair);
  const vpid = pair.lo & 0xffff;
  const reservedBad = (pair.lo & 0xffff0000) !== 0 || pair.hi !== 0;
  const addr = { lo: 0, hi: 0 };
  readMem(v, { ...mem, linear: mem.linear + 8, offset: mem.offset + 8 }, 8, addr);
  if (reservedBad || (type !== 2 && vpid === 0) || (type === 0 && !canonical(addr.hi))) {
    vmFail(v, n.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
    return "handled";
  }
  v.invvpid(type, vpid, (addr.hi | 0) * 0x100000000 + (addr.lo >>> 0));
  vmSucceed(v);
  return "handled";
}

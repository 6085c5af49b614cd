/**
 * The L2 exit decision, run by the VMX plugin's interceptor on the exit
 * bus: for every exit the CPU raises at level 2, decide from vmcs12's
 * controls whether L1 gets a VM exit ("reflected", after performing it)
 * or nestvm handles the event itself ("pass": offered to nestvm's
 * plugins, then the CPU's default). SDM Vol. 3C 26.1-26.2
 * ("Instructions that cause VM exits", "Other causes of VM exits").
 *
 * @module
 */

import type { CrAccessExit, ExceptionExit, ExitDisposition, VmExit } from "../../core/vmexit.ts";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import { O, r32, rhi } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { INTR_INFO_NMI_UNBLOCKING, intrInfo, IntrType, Reason } from "../exit/reasons.ts";
import { faultLikeRip, nmiUnblockedByIret } from "../exit/fault_like.ts";
import { basicReasonOf, vmxInstructionReason } from "../stats.ts";
import { ioExits, msrExits } from "./bitmaps.ts";
import { crAccess } from "./cr.ts";
import { addrSizeCode, descriptorInstrInfo, displacementQual, vmxInstrInfo } from "./instr_info.ts";
import type { Nested } from "./session.ts";
import { reflectEptExit } from "../ept/nested_ept.ts";
import { shadowedVmcsAccess } from "./shadow_vmcs.ts";
import { vmfunc } from "./vmfunc.ts";
import { apicvExit } from "../apicv/hooks.ts";

/** Decide on one L2 event; counts it under L2->L1, L2->L0 or virtualized. */
export function onL2Exit(n: Nested, exit: VmExit): ExitDisposition {
  if (!n.inL2) return "pass";
  const apic = apicvExit(n, exit);
  if (apic !== null) {
    // Completed by APIC virtualization: no VM exit on hardware.
    if (apic !== "reflected") n.stats.count("l2-virtualized", basicReasonOf(exit));
    return apic;
  }
  // An MTF VM exit follows an instruction (or an event delivery) of L2,
  // never the VM entry itself (SDM 26.5.2).
  if (
    exit.kind === "monitor-trap" && n.vcpu.retired === n.entryRetired && !n.injectedPending &&
    !n.deliveredSinceEntry
  ) {
    return "pass";
  }
  const r = decide(n, exit);
  if (r !== "reflected") {
    n.stats.count("l2-l0", basicReasonOf(exit));
    // An event L1 does not intercept is delivered in L2 (e.g. a fault of the
    // first instruction): an MTF VM exit follows its delivery (27.7.2).
    if (exit.kind === "exception" || exit.kind === "nmi" || exit.kind === "external-interrupt") {
      n.deliveredSinceEntry = true;
    }
  }
  return r;
}

/** The RIP to save for an exit caused by an instruction of `len` bytes (0: an event). */
function ripOf(n: Nested, len: number): number {
  const v = n.vcpu;
  return len === 0 ? v.rip : v.ip0;
}

/**
 * Perform the exit prepared in n.info for an instruction of length `len`
 * (`reported`: the VM-exit instruction length, when it differs).
 */
function reflect(n: Nested, len: number, reported: number = len): "reflected" {
  n.info.instrLen = reported;
  performVmExit(n, ripOf(n, len));
  return "reflected";
}

function decide(n: Nested, exit: VmExit): ExitDisposition {
  const d = n.d;
  const info = n.info;
  const v = n.vcpu;
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  switch (exit.kind) {
    case "cpuid":
      info.begin(Reason.CPUID);
      return reflect(n, exit.instructionLength);
    case "getsec":
      info.begin(Reason.GETSEC);
      return reflect(n, exit.instructionLength);
    case "invd":
      info.begin(Reason.INVD);
      return reflect(n, exit.instructionLength);
    case "xsetbv":
      info.begin(Reason.XSETBV);
      return reflect(n, exit.instructionLength);
    case "io": {
      if (!ioExits(d, n.mem, exit.port, exit.size)) return "pass";
      const s = exit.string;
      // Table 28-5: port in bits 31:16, bits 63:32 clear (`>>> 0`: a port
      // >= 0x8000 must not sign-extend into the high half).
      info.begin(Reason.IO_INSTRUCTION).qual(
        ((exit.size - 1) | (exit.direction === "in" ? 8 : 0) | (s !== undefined ? 16 : 0) |
          (s?.rep ? 32 : 0) | (exit.dxForm ? 0 : 64) | ((exit.port & 0xffff) << 16)) >>> 0,
      );
      if (s !== undefined) {
        info.guestLinear = s.linear;
        // INS/OUTS information (IA32_VMX_BASIC[54], Table 28-8): the
        // instruction's address size and segment (ES for INS); the mode's
        // defaults if the CPU did not report them.
        const asz = s.addressSize ??
          (v.mode === "long64" ? 64 : v.mode === "protected32" || v.mode === "compat32" ? 32 : 16);
        const seg = s.segment ?? (exit.direction === "in" ? 0 : 3);
        info.instrInfo = (addrSizeCode(asz) << 7) | ((seg & 7) << 15);
      }
      return reflect(n, exit.instructionLength);
    }
    case "rdmsr":
    case "wrmsr":
      // Not intercepted: the MSR's owner reads or writes it as for L1 (a
      // write of IA32_TSC sets the processor's TSC, which L2 goes on
      // reading plus its TSC offset).
      if (!msrExits(d, n.mem, exit.msr, exit.kind === "wrmsr")) return "pass";
      info.begin(exit.kind === "rdmsr" ? Reason.RDMSR : Reason.WRMSR);
      return reflect(n, exit.instructionLength);
    case "hlt":
      if ((proc & PROC.HLT_EXITING) === 0) return "pass";
      info.begin(Reason.HLT);
      return reflect(n, exit.instructionLength);
    case "vmx": {
      if (exit.instruction === "vmfunc") return vmfunc(n, exit);
      const shadowed = shadowedVmcsAccess(n, exit);
      if (shadowed !== null) return shadowed;
      info.begin(vmxInstructionReason(exit.instruction));
      if (
        exit.instruction !== "vmcall" && exit.instruction !== "vmlaunch" &&
        exit.instruction !== "vmresume" && exit.instruction !== "vmxoff"
      ) {
        info.qual(displacementQual(exit.operands));
        info.instrInfo = vmxInstrInfo(exit.operands);
      }
      return reflect(n, exit.instructionLength);
    }
    case "task-switch": {
      // Always a VM exit (SDM 26.6.2); qualification: TSS selector, source
      // in bits 31:30 (28.2.1, Table 28-2). Through a task gate in the IDT
      // it happens during event delivery: IDT-vectoring information.
      const source = { call: 0, iret: 1, jmp: 2, idt: 3 }[exit.source];
      info.begin(Reason.TASK_SWITCH).qual((exit.selector | (source << 30)) >>> 0);
      const rip = faultLikeRip(n);
      if (exit.source !== "idt") info.instrLen = exit.instructionLength;
      performVmExit(n, rip);
      return "reflected";
    }
    case "exception":
      return exception(n, exit);
    case "nmi":
      if ((r32(d, O.PIN_BASED_VM_EXEC_CONTROL) & PIN.NMI_EXITING) === 0) return "pass";
      info.begin(Reason.EXCEPTION_NMI);
      info.intrInfo = intrInfo(2, IntrType.NMI, false);
      return reflect(n, 0);
    case "triple-fault":
      info.begin(Reason.TRIPLE_FAULT);
      return reflect(n, 0);
    case "sipi":
      // A SIPI to an L2 in the wait-for-SIPI state always exits (SDM Vol. 3C 26.2).
      info.begin(Reason.SIPI).qual(exit.vector & 0xff);
      return reflect(n, 0);
    case "init-signal":
      // INIT in VMX non-root operation always exits (SDM Vol. 3C 26.2).
      info.begin(Reason.INIT);
      return reflect(n, 0);
    case "cr":
      return crExit(n, exit, proc);
    case "dr":
      if ((proc & PROC.MOV_DR_EXITING) === 0) return "pass";
      info.begin(Reason.DR_ACCESS).qual(
        (exit.dr & 7) | (exit.direction === "from" ? 16 : 0) | ((exit.gpr & 15) << 8),
      );
      return reflect(n, exit.instructionLength);
    case "rdtsc":
      if ((proc & PROC.RDTSC_EXITING) === 0) return "pass";
      info.begin(Reason.RDTSC);
      return reflect(n, exit.instructionLength);
    case "rdtscp":
      if ((proc2Of(d, proc) & PROC2.ENABLE_RDTSCP) === 0) return v.raiseException(6);
      if ((proc & PROC.RDTSC_EXITING) === 0) return "pass";
      info.begin(Reason.RDTSCP);
      return reflect(n, exit.instructionLength);
    case "rdpmc":
      return simple(n, exit.instructionLength, (proc & PROC.RDPMC_EXITING) !== 0, Reason.RDPMC);
    case "wbinvd":
      return simple(
        n,
        exit.instructionLength,
        (proc2Of(d, proc) & PROC2.WBINVD_EXITING) !== 0,
        Reason.WBINVD,
      );
    case "pause":
      return simple(n, exit.instructionLength, (proc & PROC.PAUSE_EXITING) !== 0, Reason.PAUSE);
    case "monitor":
      return simple(n, exit.instructionLength, (proc & PROC.MONITOR_EXITING) !== 0, Reason.MONITOR);
    case "mwait":
      return simple(n, exit.instructionLength, (proc & PROC.MWAIT_EXITING) !== 0, Reason.MWAIT);
    case "rdrand":
      return simple(
        n,
        exit.instructionLength,
        (proc2Of(d, proc) & PROC2.RDRAND_EXITING) !== 0,
        Reason.RDRAND,
      );
    case "rdseed":
      return simple(
        n,
        exit.instructionLength,
        (proc2Of(d, proc) & PROC2.RDSEED_EXITING) !== 0,
        Reason.RDSEED,
      );
    case "rsm":
      return "pass";
    case "invlpg":
      if ((proc & PROC.INVLPG_EXITING) === 0) return "pass";
      info.begin(Reason.INVLPG).qual(exit.linear);
      return reflect(n, exit.instructionLength);
    case "invpcid":
      if ((proc2Of(d, proc) & PROC2.ENABLE_INVPCID) === 0) return v.raiseException(6);
      if ((proc & PROC.INVLPG_EXITING) === 0) return "pass";
      info.begin(Reason.INVPCID).qual(displacementQual(exit.operands));
      info.instrInfo = vmxInstrInfo(exit.operands);
      return reflect(n, exit.instructionLength);
    case "xsaves":
    case "xrstors": {
      // SDM 26.1.3: #UD without "enable XSAVES/XRSTORS"; else exit when
      // EDX:EAX AND IA32_XSS AND the XSS-exiting bitmap is not zero.
      if ((proc2Of(d, proc) & PROC2.ENABLE_XSAVES_XRSTORS) === 0) return v.raiseException(6);
      const hit = (exit.requestedLo & r32(d, O.XSS_EXIT_BITMAP)) |
        (exit.requestedHi & rhi(d, O.XSS_EXIT_BITMAP));
      if (hit === 0) return "pass";
      info.begin(exit.kind === "xsaves" ? Reason.XSAVES : Reason.XRSTORS)
        .qual(displacementQual(exit.operands));
      info.instrInfo = vmxInstrInfo({ ...exit.operands, regReg: -1 });
      return reflect(n, exit.instructionLength);
    }
    case "gdtr-idtr":
    case "ldtr-tr": {
      if ((proc2Of(d, proc) & PROC2.DESCRIPTOR_TABLE_EXITING) === 0) return "pass";
      info.begin(exit.kind === "gdtr-idtr" ? Reason.GDTR_IDTR : Reason.LDTR_TR)
        .qual(displacementQual(exit.operands));
      info.instrInfo = descriptorInstrInfo(
        exit.instruction,
        exit.operands,
        exit.operands.operandSize !== 32 ? false : true,
      );
      return reflect(n, exit.instructionLength);
    }
    case "external-interrupt": {
      if ((r32(d, O.PIN_BASED_VM_EXEC_CONTROL) & PIN.EXTERNAL_INTERRUPT_EXITING) === 0) {
        return "pass";
      }
      info.begin(Reason.EXTERNAL_INTERRUPT);
      if ((r32(d, O.VM_EXIT_CONTROLS) & EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT) !== 0) {
        const src = v.intSource;
        if (src !== null && src.hasInterrupt()) {
          info.intrInfo = intrInfo(src.acknowledge(), IntrType.EXTERNAL, false);
        }
      }
      return reflect(n, 0);
    }
    case "interrupt-window":
      return simple(n, 0, (proc & PROC.INTERRUPT_WINDOW_EXITING) !== 0, Reason.INTERRUPT_WINDOW);
    case "nmi-window":
      return simple(n, 0, (proc & PROC.NMI_WINDOW_EXITING) !== 0, Reason.NMI_WINDOW);
    case "monitor-trap":
      return simple(n, 0, (proc & PROC.MONITOR_TRAP_FLAG) !== 0, Reason.MONITOR_TRAP_FLAG);
    case "preemption-timer":
      return simple(
        n,
        0,
        (r32(d, O.PIN_BASED_VM_EXEC_CONTROL) & PIN.PREEMPTION_TIMER) !== 0,
        Reason.PREEMPTION_TIMER,
      );
    case "ept-violation":
    case "ept-misconfig":
    case "pml-full":
      // Only raised while L1's EPT translates L2's addresses: always L1's.
      return n.ept !== null ? reflectEptExit(n, exit) : "pass";
    case "mmio":
      return "pass";
    default:
      return "pass";
  }
}

function simple(n: Nested, len: number, exits: boolean, reason: number): ExitDisposition {
  if (!exits) return "pass";
  n.info.begin(reason);
  return reflect(n, len);
}

function proc2Of(d: DataView, proc: number): number {
  return (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? r32(d, O.SECONDARY_VM_EXEC_CONTROL) : 0;
}

const EXC_TYPE: Readonly<Record<ExceptionExit["type"], number>> = {
  "hardware": IntrType.HARDWARE_EXCEPTION,
  "nmi": IntrType.NMI,
  "software-exception": IntrType.SOFTWARE_EXCEPTION,
  "software-interrupt": IntrType.SOFTWARE_INTERRUPT,
  "privileged-software": IntrType.PRIVILEGED_SOFTWARE_EXCEPTION,
};

/**
 * Exceptions and NMIs (SDM 26.2): NMIs by "NMI exiting"; INT n never
 * exits; other exceptions by the exception bitmap, #PF refined by the
 * error-code mask and match.
 */
function exception(n: Nested, exit: ExceptionExit): ExitDisposition {
  const d = n.d;
  const v = n.vcpu;
  const info = n.info;
  const type = EXC_TYPE[exit.type];
  if (type === IntrType.NMI) {
    if ((r32(d, O.PIN_BASED_VM_EXEC_CONTROL) & PIN.NMI_EXITING) === 0) return "pass";
    info.begin(Reason.EXCEPTION_NMI);
    info.intrInfo = intrInfo(2, IntrType.NMI, false);
    return reflect(n, 0);
  }
  if (type === IntrType.SOFTWARE_INTERRUPT) return "pass";
  const vector = exit.vector & 31;
  const bitmap = r32(d, O.EXCEPTION_BITMAP);
  let exits = ((bitmap >>> vector) & 1) !== 0;
  if (vector === 14) {
    const ec = exit.errorCode >= 0 ? exit.errorCode : 0;
    const matches =
      ((ec & r32(d, O.PAGE_FAULT_ERROR_CODE_MASK)) >>> 0) === r32(d, O.PAGE_FAULT_ERROR_CODE_MATCH);
    exits = exits ? matches : !matches;
  }
  if (!exits) return "pass";
  info.begin(Reason.EXCEPTION_NMI);
  if (vector === 14) info.qual(exit.faultAddress);
  // #DB: the DR6 bits it would have set (B0-B3, BD, BS) go to the
  // qualification; DR6 itself is left alone (SDM 27.1, Table 28-1).
  if (vector === 1 && type === IntrType.HARDWARE_EXCEPTION) {
    info.qual(v.dbPending & 0x600f);
    v.dbPending = 0;
  }
  // Raised while delivering another event through L2's IDT: IDT-vectoring information.
  let reported = -1;
  if (v.vectoring >= 0) {
    const err = v.deliveringError;
    const t = v.deliveringType;
    info.idtInfo = intrInfo(v.vectoring, t, err >= 0);
    info.idtError = err >= 0 ? err : 0;
    // Software events report their instruction length (SDM 28.2.4).
    if (t >= IntrType.SOFTWARE_INTERRUPT) reported = v.deliveringLength;
  }
  const hasEc = exit.errorCode >= 0 && type === IntrType.HARDWARE_EXCEPTION;
  info.intrInfo = intrInfo(exit.vector, type, hasEc);
  // A fault of an IRET that unblocked NMIs (not #DF: undefined there, SDM 28.2.2).
  if (type === IntrType.HARDWARE_EXCEPTION && vector !== 8 && nmiUnblockedByIret(n)) {
    info.intrInfo |= INTR_INFO_NMI_UNBLOCKING;
  }
  if (hasEc) info.intrError = exit.errorCode >>> 0;
  // Software exceptions (INT3, INTO) and ICEBP report their length.
  const len = type === IntrType.HARDWARE_EXCEPTION ? 0 : exit.instructionLength;
  return reflect(n, len, reported >= 0 ? reported : len);
}

/** Control-register accesses (SDM 26.1.3, qualification Table 28-3). */
function crExit(n: Nested, exit: CrAccessExit, proc: number): ExitDisposition {
  const r = crAccess(n, exit, proc);
  if (r !== "exit") return r;
  return reflect(n, exit.instructionLength);
}

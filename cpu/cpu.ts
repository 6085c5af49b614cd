/**
 * The vCPU: architectural state, the run loop and the {@link Vcpu} view
 * that plugins use. Instruction semantics live in `exec_*.ts`, memory
 * access in `memory.ts`, segmentation in `segment.ts`, event delivery in
 * `interrupt.ts`.
 *
 * @module
 */

import type { GuestPhysicalTranslator } from "../core/vcpu_vmx.ts";
import type {
  ActivityState,
  FpuErrorPins,
  InterruptSource,
  PendingEvent,
  SegmentRegister,
  TableRegister,
  Vcpu,
} from "../core/vcpu.ts";
import type { ExitDisposition, VmExit } from "../core/vmexit.ts";
import type { CpuEngine } from "../core/engine.ts";
import { Alu } from "./alu/mod.ts";
import { FpuState } from "./fpu/state.ts";
import { ABANDON, CpuFault } from "./fault.ts";
import { type CpuModel, defaultModel } from "./model.ts";
import type { PhysMem } from "./memory.ts";
import type { PagingContext, WalkResult } from "../mm/paging_types.ts";
import { Mmu, type MmuMemory } from "../mm/mmu.ts";
import type { Tlb } from "../mm/tlb.ts";
import { checkEvents, deliverFault, deliverInjected } from "./interrupt.ts";
import { fetchInsn, type Insn } from "./icache.ts";
import type { DebugHook } from "./debug_hook.ts";
import { recomputeMode, resetState } from "./state.ts";
import { MISC_ENABLE_RESET, readMsrCore, writeMsrCore } from "./msr.ts";
import { MachineCheckState } from "./msr_mce.ts";
import { AmdPerfState } from "./msr_perf_amd.ts";
import { refreshBreakpoints } from "./debug.ts";
import { getGpr64, setGpr64 } from "./regs.ts";
import * as A from "./exec_alu.ts";
import * as C from "./exec_control.ts";
import * as D from "./exec_data.ts";
import * as F from "./hot_alu.ts";
import * as H from "./hot_mov_shift_jcc.ts";
import type { JitEngine } from "./jit/engine.ts";

/** Options for constructing a {@link Cpu}. */
export interface CpuOptions {
  /** Guest physical memory (from `mm/`). */
  memory: PhysMem;
  /** The plugin bus: offered every exit the CPU does not own. */
  exits: (exit: VmExit) => ExitDisposition;
  /** Virtual time in ns (TSC = ns, a 1 GHz clock). */
  now: () => number;
  /** CPUID model (default: {@link defaultModel}). */
  model?: CpuModel;
  /** APIC id (the vCPU's index; default 0, the boot vCPU). Other vCPUs power up waiting for a SIPI. */
  apicId?: number;
  /** vCPUs in the machine (CPUID topology; default 1). */
  cpuCount?: number;
  /** Threads per core (CPUID leaf 0xB; default 1). */
  threadsPerCore?: number;
  /** Cores per socket (CPUID leaf 0xB; default: every vCPU). */
  coresPerSocket?: number;
}

/** Why {@link Cpu.run} returned. */
export type CpuStop = "limit" | "halted" | "stop-requested" | "shutdown";

/** Execution mode names (as {@link Vcpu.mode}). */
export type CpuMode = Vcpu["mode"];

/** The x86-64 virtual CPU. */
export class Cpu implements CpuEngine {
  /** GPRs as 32-bit halves (2*r low, 2*r+1 high). */
  readonly gpr: Uint32Array = new Uint32Array(32);
  /** RIP. While an instruction executes it already points past it. */
  rip = 0;
  /** RFLAGS bits other than the six arithmetic flags (bit 1 always set). */
  fl = 2;
  /** The ALU and lazy arithmetic flags. */
  readonly alu: Alu = new Alu();
  /** CR0. */
  cr0 = 0x60000010;
  /** CR2. */
  cr2 = 0;
  /**
   * Linear address of the last #PF raised by a page walk. It reaches CR2
   * only when that #PF is delivered: a #PF that causes a VM exit leaves CR2
   * alone (SDM Vol. 3C 27.1).
   */
  pfLinear = 0;
  /**
   * DR6 bits (B0-B3, BD, BS) of the #DB being raised. They reach DR6 only
   * when that #DB is delivered; a #DB that causes a VM exit reports them in
   * the exit qualification instead (SDM Vol. 3C 27.1, 28.2.1).
   */
  dbPending = 0;
  /** CR3. */
  cr3 = 0;
  /** CR4. */
  cr4 = 0;
  /** CR8 (TPR). */
  cr8 = 0;
  /** IA32_EFER. */
  efer = 0;
  /** Debug registers. */
  readonly dr: Float64Array = new Float64Array(8);
  /** Enabled instruction breakpoints (bit n: DRn), from DR7 (see debug.ts). */
  bpExec = 0;
  /** Enabled data breakpoints (bit n: DRn). */
  bpData = 0;
  /** Enabled I/O breakpoints (bit n: DRn; needs CR4.DE). */
  bpIo = 0;
  /** Page base of each enabled data breakpoint (NaN: none); kept off the TLB fast path. */
  readonly watchPage: Float64Array = new Float64Array(4).fill(NaN);
  /** Data/I/O breakpoints hit by the current instruction: a #DB trap at the next boundary. */
  dataHits = 0;
  /** Retired count when RFLAGS.RF was first seen set at a boundary, or -1. */
  rfAt: number = -1;
  /** Segment registers with hidden caches. */
  readonly seg: SegmentRegister[] = [];
  /** GDTR. */
  readonly gdtr: TableRegister = { base: 0, limit: 0xffff };
  /** IDTR. */
  readonly idtr: TableRegister = { base: 0, limit: 0xffff };
  /** Current privilege level. */
  cpl = 0;
  /** Execution mode. */
  mode: CpuMode = "real";
  /** Default code size in bits: 16, 32 or 64. */
  codeBits: 16 | 32 | 64 = 16;
  /** Stack address size in bits (SS.B, or 64 in 64-bit mode). */
  stackBits: 16 | 32 | 64 = 16;
  /** True in 64-bit mode. */
  is64 = false;
  /** Activity state. */
  activity: ActivityState = "active";
  /** Interruptibility bits (STI=1, MOV_SS=2, SMI=4, NMI=8). */
  interruptibility = 0;
  /** Instructions retired since reset. */
  retired = 0;
  /** True in VMX non-root operation. */
  nonRoot = false;
  /** Translator of L2 guest-physical addresses (nested EPT) in non-root operation. */
  guestPhysical: GuestPhysicalTranslator | null = null;
  /**
   * Window requests from the VMX plugin: bit 0 interrupt window, bit 1 NMI
   * window (offered as exits in non-root operation when the window opens),
   * bit 2 monitor trap flag (offered at every boundary), bit 3 external-interrupt
   * exiting (pending interrupts are offered even with RFLAGS.IF=0), bit 4 a
   * VMX-preemption timer that expired at VM entry (offered once, before any
   * instruction but after injected events and pending debug exceptions).
   * Call {@link interruptStateChanged} after setting.
   */
  windowRequests = 0;
  /**
   * Exception vectors (bit mask of 0-31) for which the CPU raises
   * "exception" exits at level 1 too (ExitSpace.watchExceptions).
   */
  watchedExceptions = 0;

  // ---- segmentation caches (derived from `seg`) ----
  /** Segment bases (0 for ES/CS/SS/DS in 64-bit mode). */
  readonly sbase: Float64Array = new Float64Array(8);
  /** Lowest valid offset. */
  readonly smin: Float64Array = new Float64Array(8);
  /** Highest valid offset. */
  readonly smax: Float64Array = new Float64Array(8);
  /** Access bits: 1 readable, 2 writable, 4 usable. */
  readonly sok: Uint8Array = new Uint8Array(8);
  /**
   * Flat-segment bits (1 read, 2 write): the segment adds no base and needs
   * no limit check (64-bit mode ES/CS/SS/DS, or base 0 with a 4 GiB limit).
   */
  readonly sflat: Uint8Array = new Uint8Array(8);

  // ---- MSR state ----
  /** IA32_STAR. */
  star: bigint = 0n;
  /** IA32_LSTAR (canonical). */
  lstar = 0;
  /** IA32_CSTAR (canonical). */
  cstar = 0;
  /** IA32_FMASK (low 32 bits). */
  sfmask = 0;
  /** IA32_KERNEL_GS_BASE (canonical). */
  kernelGsBase = 0;
  /** IA32_SYSENTER_CS. */
  sysenterCs = 0;
  /** IA32_SYSENTER_ESP. */
  sysenterEsp = 0;
  /** IA32_SYSENTER_EIP. */
  sysenterEip = 0;
  /** IA32_APIC_BASE. */
  apicBase = 0xfee00900;
  /** IA32_PAT. */
  pat: bigint = 0x0007040600070406n;
  /** IA32_MISC_ENABLE (bits 34:0 as a number). */
  miscEnable: number = MISC_ENABLE_RESET;
  /** IA32_DEBUGCTL (LBR and BTF bits). */
  debugCtl = 0;
  /** Machine-check MSRs (MCG_STATUS, the banks). */
  readonly machineCheck: MachineCheckState = new MachineCheckState();
  /** AMD legacy performance-counter MSRs (AMD vendor only). */
  readonly amdPerf: AmdPerfState = new AmdPerfState();
  /** IA32_TSC_AUX. */
  tscAux = 0;
  /** TSC = now() + tscOffset. */
  tscOffset = 0;
  /** XCR0. */
  xcr0 = 1;
  /** x87, MMX and SSE registers (FXSAVE/XSAVE components 0 and 1). */
  readonly fpu: FpuState = new FpuState();

  // ---- external interfaces ----
  /** Guest physical memory. */
  readonly memory: PhysMem;
  /** The plugin bus. */
  readonly exits: (exit: VmExit) => ExitDisposition;
  /** Virtual time source. */
  readonly now: () => number;
  /** CPUID model. */
  readonly model: CpuModel;
  /** Interrupt source (PIC/LAPIC). */
  intSource: InterruptSource | null = null;
  /** Initial APIC id (CPUID.1:EBX[31:24], leaf 0xB EDX); 0 is the boot vCPU. */
  readonly apicId: number;
  /** vCPUs in the machine (CPUID topology). */
  readonly cpuCount: number;
  /** Threads per core (CPUID leaf 0xB). */
  readonly threadsPerCore: number;
  /** Cores per socket (CPUID leaf 0xB). */
  readonly coresPerSocket: number;
  /** An INIT signal is latched (taken at the next boundary; blocked in VMX root operation). */
  initPending: boolean = false;
  /** Vector of a latched startup IPI, or -1. */
  sipiVector: number = -1;
  /** The board's FERR#/IGNNE# pins, if wired. */
  fpuPins: FpuErrorPins | null = null;
  /** FERR# as this CPU drives it. */
  ferrOut = false;

  // ---- run-loop internals ----
  /** The block compiler (engine "jit"), or null for the interpreter alone. */
  jit: JitEngine | null = null;
  /** RIP of the instruction being executed (fault restart point). */
  ip0 = 0;
  /** Loop bound: runLimit, or 0 when events need attention. */
  loopLimit = 0;
  /** The `limit` given to run(). */
  runLimit = 0;
  /** Something needs checking at the next boundary. */
  eventPending = true;
  /** requestStop() was called. */
  stopReq = false;
  /** Pending injected events (VM-entry injection). */
  injected: PendingEvent[] = [];
  /** NMI latched. */
  nmiPending = false;
  /** A single-step #DB is due once an instruction retires after {@link tfAt}. */
  tfArmed = false;
  /** Retired count when single-stepping was armed. */
  tfAt = 0;
  /** Retired count until which the STI/MOV SS shadow lasts. */
  shadowUntil = 0;
  /** Event currently being delivered (for double-fault classification), -1 none. */
  delivering: number = -1;
  /** Interruption type (VMX encoding) of the event in {@link delivering} (IDT-vectoring information). */
  deliveringType = 0;
  /** Error code of the event in {@link delivering}, or -1. */
  deliveringError: number = -1;
  /** Instruction length of the software event in {@link delivering} (0 for other events). */
  deliveringLength: number = 0;
  /** Vector whose delivery raised the exception being offered now, or -1 (IDT-vectoring information). */
  vectoring: number = -1;
  /**
   * An "ept-violation"/"ept-misconfig" exit raised by a failed guest-physical
   * translation, held until the abandoned instruction or event delivery has
   * unwound to its boundary (see {@link finishPendingExit}), with the
   * delivery state at the time of the failure.
   */
  pendingGpaExit: VmExit | null = null;
  /** delivering, deliveringType, deliveringError, deliveringLength, vectoring when {@link pendingGpaExit} was raised. */
  readonly pendingGpaDelivery: number[] = [-1, 0, -1, 0, -1];
  /** Scratch for 64-bit results (high half). */
  hi = 0;

  // ---- paging and the TLB: mm's Mmu (see memory.ts for the inlined hit test) ----
  /** The MMU: paging context, walker, TLB and its invalidation rules. */
  declare readonly mmu: Mmu;
  /** The MMU's TLB (entries are filled for one CPL class: `owner` 1 = CPL 3). */
  declare readonly tlb: Tlb;
  /** The TLB's read tags (the same array as `tlb.rTag`, a field for the inlined hit test). */
  declare readonly rTag: Float64Array;
  /** The TLB's read frames (`tlb.rMem`). */
  declare readonly rMem: Uint8Array[];
  /** The TLB's read frames as 32-bit words (`tlb.rMem32`). */
  declare readonly rMem32: Uint32Array[];
  /** The TLB's write tags (`tlb.wTag`). */
  declare readonly wTag: Float64Array;
  /** The TLB's write frames (`tlb.wMem`). */
  declare readonly wMem: Uint8Array[];
  /** The TLB's write frames as 32-bit words (`tlb.wMem32`). */
  declare readonly wMem32: Uint32Array[];
  /** Paging context (the MMU's) built from CR0/CR3/CR4/EFER. */
  declare readonly pctx: PagingContext;
  /** The MMU's walk result. */
  declare readonly walkRes: WalkResult;
  /** The PAE PDPTE registers (those of the paging context). */
  get pdpte(): Float64Array {
    return this.pctx.pdpte;
  }

  // ---- decoded-instruction cache (see icache.ts) ----
  /**
   * RIP value at the start of the current code page. When there is no
   * current page, `codePage` is {@link NO_PAGE} (all holes), so a lookup
   * misses; codeIp stays an integer to keep the fetch arithmetic in int32.
   */
  codeIp = 0;
  /** Decoded instructions of the current code page, by page offset. */
  codePage: (Insn | undefined)[] = NO_PAGE;
  /** Cached pages: key = frame * 4 + mode index. */
  readonly pages: Map<number, (Insn | undefined)[]> = new Map();
  /** Frames holding the tail of a page-crossing cached instruction → page keys to drop with them. */
  readonly crossFrames: Map<number, number[]> = new Map();
  /** Frames that hold cached code. */
  readonly codeFrames: Set<number> = new Set();
  /**
   * The attached debugger's hook (breakpoint traps, watched pages), or null.
   * Consulted only on cache and TLB misses; call {@link dropDecoded} after
   * changing it so cached instructions are fetched (and trapped) again.
   */
  debugHook: DebugHook | null = null;

  /** Create a vCPU in its power-on state. */
  constructor(opts: CpuOptions) {
    this.memory = opts.memory;
    this.exits = opts.exits;
    this.now = opts.now;
    this.model = opts.model ?? defaultModel();
    this.apicId = opts.apicId ?? 0;
    this.cpuCount = opts.cpuCount ?? 1;
    this.threadsPerCore = opts.threadsPerCore ?? 1;
    this.coresPerSocket = opts.coresPerSocket ?? Math.ceil(this.cpuCount / this.threadsPerCore);
    // The model is the one source of MAXPHYADDR and 1 GiB page support for
    // the page walker (reserved bits; PS in a PDPTE), as for CPUID.
    this.mmu = new Mmu(opts.memory as MmuMemory, {
      maxPhysAddr: this.model.physBits,
      page1G: this.model.features.has("pdpe1gb"),
      listen: false,
    });
    const t = this.tlb = this.mmu.tlb;
    this.rTag = t.rTag;
    this.rMem = t.rMem;
    this.rMem32 = t.rMem32;
    this.wTag = t.wTag;
    this.wMem = t.wMem;
    this.wMem32 = t.wMem32;
    this.pctx = this.mmu.ctx;
    this.walkRes = this.mmu.result;
    for (let i = 0; i < 8; i++) this.seg.push({ selector: 0, base: 0, limit: 0xffff, attrs: 0x93 });
    const mem = this.memory;
    if (mem.onCodeWrite !== undefined) mem.onCodeWrite((f) => this.codeWritten(f));
    if (mem.onFrameInvalidate !== undefined) {
      mem.onFrameInvalidate((f, writeOnly) => {
        if (writeOnly) this.tlb.dropWrites(f);
        else {
          this.flushTlb();
          this.pages.clear();
          this.codeFrames.clear();
          this.crossFrames.clear();
        }
      });
    }
    this.reset();
  }

  /** RFLAGS, materialized. */
  get rflags(): number {
    return ((this.fl & ~0x8d5) | this.alu.getFlags() | 2) >>> 0;
  }
  set rflags(v: number) {
    this.alu.setFlags(v & 0x8d5);
    this.fl = ((v & ~0x8d5) | 2) >>> 0;
  }

  /** Power-on state (SDM Vol. 3A 10.1.1); a vCPU other than the boot vCPU waits for a SIPI. */
  reset(): void {
    resetState(this);
    this.initPending = false;
    this.sipiVector = -1;
    if (this.apicId !== 0) this.activity = "wait-for-sipi";
  }

  /**
   * Execute until `retired >= limit`, a halt, shutdown or requestStop().
   * Never throws for anything the guest does.
   */
  run(limit: number): CpuStop {
    this.runLimit = limit;
    this.loopLimit = 0;
    this.eventPending = true;
    for (;;) {
      if (this.eventPending || this.stopReq) {
        const r = checkEvents(this);
        if (r !== null) return r;
      }
      if (this.retired >= limit) return "limit";
      try {
        if (this.jit === null) this.loop();
        else this.jit.run(this);
      } catch (e) {
        this.onThrow(e);
      }
    }
  }

  /** The hot loop: fetch from the decoded cache, dispatch, retire. */
  private loop(): void {
    // Straight-line fetch: while RIP is where the previous instruction left
    // it and the code page is unchanged, the next instruction's page offset
    // is the previous one plus its length (integer arithmetic in a local).
    // Anything else (branch, page switch, drop, wrap) takes the general
    // lookup from RIP.
    let page = NO_PAGE;
    let off = 0;
    let expect = NaN;
    while (this.retired < this.loopLimit) {
      const ip = this.rip;
      this.ip0 = ip;
      let i: Insn | undefined;
      if (ip === expect && page === this.codePage && off < 4096) {
        i = page[off];
      } else {
        page = this.codePage;
        const o = ip - this.codeIp;
        if (o >= 0 && o < 4096) {
          off = o | 0;
          i = page[off];
        }
      }
      if (i === undefined) {
        i = fetchInsn(this);
        page = this.codePage;
        const o = ip - this.codeIp;
        off = o >= 0 && o < 4096 ? o | 0 : 4096;
      }
      const len = i.len;
      const m = i.ipMask;
      const n = ip + len;
      if (m === 0) {
        this.rip = n;
        expect = n;
        off += len;
      } else {
        const w = (n & m) >>> 0;
        this.rip = w;
        expect = w;
        off = w === n ? off + len : 4096;
      }
      // Hot handlers are called directly (inlinable); the rest through the table.
      switch (i.f) {
        case 1:
          A.aluRegDst(this, i);
          break;
        case 2:
          D.movRR(this, i);
          break;
        case 3:
          H.movGMf(this, i);
          break;
        case 4:
          H.movMGf(this, i);
          break;
        case 5:
          H.jccF(this, i);
          break;
        case 6:
          A.aluEdst(this, i);
          break;
        case 7:
          A.aluGdst(this, i);
          break;
        case 8:
          H.leaF(this, i);
          break;
        case 9:
          H.shiftR32I(this, i);
          break;
        case 10:
          A.test(this, i);
          break;
        case 11:
          H.imulR(this, i);
          break;
        case 12:
          D.pushR(this, i);
          break;
        case 13:
          D.popR(this, i);
          break;
        case 14:
          C.callRel(this, i);
          break;
        case 15:
          C.retNear(this, i);
          break;
        case 16:
          C.jmpRel(this, i);
          break;
        case 17:
          D.movEI(this, i);
          break;
        case 18:
          D.movx(this, i);
          break;
        case 19:
          F.addRR32(this, i);
          break;
        case 20:
          F.addRI32(this, i);
          break;
        case 21:
          F.addRR64(this, i);
          break;
        case 22:
          F.addRI64(this, i);
          break;
        case 23:
          F.orRR32(this, i);
          break;
        case 24:
          F.orRI32(this, i);
          break;
        case 25:
          F.orRR64(this, i);
          break;
        case 26:
          F.orRI64(this, i);
          break;
        case 27:
          F.andRR32(this, i);
          break;
        case 28:
          F.andRI32(this, i);
          break;
        case 29:
          F.andRR64(this, i);
          break;
        case 30:
          F.andRI64(this, i);
          break;
        case 31:
          F.subRR32(this, i);
          break;
        case 32:
          F.subRI32(this, i);
          break;
        case 33:
          F.subRR64(this, i);
          break;
        case 34:
          F.subRI64(this, i);
          break;
        case 35:
          F.xorRR32(this, i);
          break;
        case 36:
          F.xorRI32(this, i);
          break;
        case 37:
          F.xorRR64(this, i);
          break;
        case 38:
          F.xorRI64(this, i);
          break;
        case 39:
          F.cmpRR32(this, i);
          break;
        case 40:
          F.cmpRI32(this, i);
          break;
        case 41:
          F.cmpRR64(this, i);
          break;
        case 42:
          F.cmpRI64(this, i);
          break;
        case 43:
          F.incR32(this, i);
          break;
        case 44:
          F.decR32(this, i);
          break;
        case 45:
          F.incR64(this, i);
          break;
        case 46:
          F.decR64(this, i);
          break;
        case 47:
          F.testRR32(this, i);
          break;
        case 48:
          F.testRI32(this, i);
          break;
        case 49:
          F.testRR64(this, i);
          break;
        case 50:
          H.shiftR64I(this, i);
          break;
        case 51:
          F.testRI8(this, i);
          break;
        case 52:
          H.movzxR8(this, i);
          break;
        case 53:
          // NOP, ENDBR, fences: nothing to do.
          break;
        default:
          i.h(this, i);
      }
      this.retired++;
    }
  }

  /**
   * Interpret up to `n` instructions (fewer at the run loop's limit or when
   * an event needs it): the block compiler's fallback for what it does not
   * compile.
   */
  step(n = 1): void {
    const lim = this.loopLimit;
    this.loopLimit = Math.min(lim, this.retired + n);
    this.loop();
    // A handler that asked for attention left loopLimit at 0: keep that.
    if (this.loopLimit !== 0) this.loopLimit = lim;
  }

  /** Handle what escaped the hot loop: guest faults and abandoned instructions. */
  private onThrow(e: unknown): void {
    if (e instanceof CpuFault) {
      this.rip = this.ip0;
      deliverFault(this, e.vector, e.errorCode);
    } else if (e === ABANDON) {
      // The instruction was abandoned for a VM exit: one already performed,
      // or an EPT exit held until now, raised on the boundary state.
      this.finishPendingExit();
      this.eventPending = true;
      this.loopLimit = 0;
    } else {
      throw e;
    }
  }

  /**
   * Raise the guest-physical (EPT) exit held by {@link pendingGpaExit}, now
   * that the abandoned instruction or event delivery has undone its partial
   * work: the VM exit then saves the state of the instruction boundary, like
   * a fault (SDM Vol. 3C 27.1), not the half-executed one (RSP := RBP of a
   * LEAVE whose pop failed). The delivery state of the moment of the failure
   * is visible during the exit (IDT-vectoring information).
   */
  finishPendingExit(): void {
    const exit = this.pendingGpaExit;
    if (exit === null) return;
    this.pendingGpaExit = null;
    const d = this.pendingGpaDelivery;
    this.delivering = d[0];
    this.deliveringType = d[1];
    this.deliveringError = d[2];
    this.deliveringLength = d[3];
    this.vectoring = d[4];
    try {
      this.exits(exit);
    } finally {
      this.delivering = -1;
      this.vectoring = -1;
    }
  }

  /** Return from run() at the next instruction boundary. */
  requestStop(): void {
    this.stopReq = true;
    this.loopLimit = 0;
  }

  /**
   * Abandon the instruction whose handler is running, for a VM exit that
   * was just performed ("reflected"), without unwinding: the state is what
   * catching {@link ABANDON} leaves (nothing retired, a held EPT exit
   * raised, the run loop stops at this boundary), but no exception crosses
   * the interpreter's frames (a V8 throw costs about as much as the rest of
   * a nested CPUID round trip's exit). Only for handlers the interpreter
   * loop calls directly (it counts the instruction retired after they
   * return, which the decrement here takes back); the block compiler never
   * calls them. The handler must return right after.
   */
  abandonForExit(): void {
    // As after the unwinding: the held exit (if any) sees the count without
    // this instruction, and the loop's increment is taken back afterwards.
    this.finishPendingExit();
    this.eventPending = true;
    this.loopLimit = 0;
    this.retired--;
  }

  /** Abandon the current instruction without retiring it (a failed exit handler). */
  abandonInstruction(): never {
    throw ABANDON;
  }

  /** Something changed that the run loop must look at before the next instruction. */
  poke(): void {
    this.eventPending = true;
    this.loopLimit = 0;
  }

  /** Save the complete state as JSON-compatible data. */
  saveState(): CpuSnapshot {
    return saveSnapshot(this);
  }

  /** Restore state saved by {@link saveState}. */
  loadState(s: CpuSnapshot): void {
    loadSnapshot(this, s);
  }

  // ---- Vcpu API ----

  /** TSC as the guest sees it at this level. */
  readTsc(): bigint {
    return BigInt(Math.floor(this.now() + this.tscOffset));
  }
  /** Read a CPU-owned MSR. */
  readMsr(index: number): bigint | undefined {
    return readMsrCore(this, index);
  }
  /** Write a CPU-owned MSR. */
  writeMsr(index: number, value: bigint): boolean {
    try {
      return writeMsrCore(this, index, value);
    } catch (e) {
      if (e instanceof CpuFault) return false;
      throw e;
    }
  }
  /** Read a 64-bit GPR. */
  getGpr64(reg: number): bigint {
    return getGpr64(this, reg);
  }
  /** Write a 64-bit GPR. */
  setGpr64(reg: number, value: bigint): void {
    setGpr64(this, reg, value);
  }
  /** Recompute mode/CPL/caches after a wholesale state change. */
  stateChanged(): void {
    recomputeMode(this);
    this.cpl = this.computeCpl();
    // CR0/CR3/CR4/EFER may have been replaced (VM entry/exit loads them from
    // the VMCS): rebuild the paging context, or page walks would keep using
    // the previous CR3 and paging mode (PAE PDPTEs are left to the caller).
    this.mmu.load(this.cr0, this.cr3 % 0x8000000000000000, this.cr4, this.efer, "keep");
    this.flushTlb();
    refreshBreakpoints(this); // DR7 may have been loaded (VM entry/exit, snapshots)
    this.poke();
  }
  /** CPL from the current mode and SS.DPL (the VMX convention). */
  private computeCpl(): number {
    if ((this.cr0 & 1) === 0) return 0;
    if (this.fl & 0x20000) return 3;
    return (this.seg[2].attrs >> 5) & 3;
  }
  /** Flush every TLB entry and the current code page mapping. */
  flushTlb(): void {
    this.tlb.flushAll();
    this.tlb.owner = this.cpl === 3 ? 1 : 0;
    this.dropCodePage();
  }
  /**
   * Load VMX "pending debug exceptions" (VM entry, SDM Vol. 3C 27.3.2.5,
   * 27.7.3): BS (bit 14) makes a single-step trap due at the next boundary,
   * B0-B3 with bit 12 (enabled breakpoint) breakpoint hits; both are then
   * delivered as one #DB trap, held back by blocking by MOV SS.
   */
  /** Set CF, PF, AF, ZF, SF, OF (`bits & 0x8d5`); the other RFLAGS bits stay. */
  setArithmeticFlags(bits: number): void {
    this.alu.setFlags(bits & 0x8d5);
  }
  setPendingDebugExceptions(bits: number): void {
    if ((bits & 0x4000) !== 0) {
      this.tfArmed = true;
      this.tfAt = this.retired - 1;
    }
    if ((bits & 0x1000) !== 0) this.dataHits |= bits & 0xf;
    this.poke();
  }
  /** Queue an event for delivery before the next instruction. */
  injectEvent(event: PendingEvent): void {
    this.injected.push({ ...event });
    this.poke();
  }
  /**
   * Deliver the queued injected events now (at an instruction boundary,
   * e.g. from a timer callback that must see them delivered first).
   */
  deliverQueuedInjection(): void {
    while (this.injected.length > 0 && this.nonRoot) deliverInjected(this);
    this.poke();
  }
  /** Drop queued, undelivered injected events (they belong to the level being left). */
  dropQueuedInjection(): void {
    if (this.injected.length !== 0) this.injected.length = 0;
  }
  /**
   * Pending-debug-exceptions bits (SDM 24.4.2): BS for a single-step trap
   * due after a completed instruction, B0-B3 with bit 12 for data/I/O
   * breakpoint hits not yet delivered.
   */
  pendingDebugExceptions(): number {
    let bits = this.dbPending & 0x400f;
    if (this.tfArmed && this.retired > this.tfAt) bits |= 0x4000;
    if (this.dataHits !== 0) bits |= 0x1000 | (this.dataHits & 0xf);
    return bits >>> 0;
  }
  /** Drop the pending debug state (it belongs to the level being left). */
  clearPendingDebug(): void {
    this.tfArmed = false;
    this.dbPending = 0;
    this.dataHits = 0;
  }
  /** Raise a guest exception from an exit handler. */
  raiseException(vector: number, errorCode = -1): never {
    throw new CpuFault(vector, errorCode);
  }
  /** Read memory through the current paging mode. */
  readLinear(
    linear: number,
    size: 1 | 2 | 4 | 8,
    segment: number,
    dataHi?: { hi: number },
  ): number {
    void segment;
    const v = readLinearApi(this, linear, size);
    if (dataHi) dataHi.hi = size === 8 ? this.hi : 0;
    return v;
  }
  /** Write memory through the current paging mode. */
  writeLinear(linear: number, size: 1 | 2 | 4 | 8, lo: number, hi: number, segment: number): void {
    void segment;
    writeLinearApi(this, linear, size, lo, hi);
  }
  /** Latch an INIT signal (taken at the next instruction boundary). */
  signalInit(): void {
    this.initPending = true;
    this.poke();
  }
  /** Latch a startup IPI with `vector` (acted on only in wait-for-SIPI). */
  signalStartup(vector: number): void {
    this.sipiVector = vector & 0xff;
    this.poke();
  }
  /** Assert NMI. */
  nmi(): void {
    this.nmiPending = true;
    this.poke();
  }
  /** Wire the FERR#/IGNNE# pins (see cpu/fpu/pending.ts). */
  setFpuErrorPins(pins: FpuErrorPins | null): void {
    if (pins === null && this.fpuPins !== null && this.ferrOut) this.fpuPins.ferr(false);
    this.fpuPins = pins;
    this.ferrOut = false;
  }
  /** Set the maskable interrupt source. */
  setInterruptSource(source: InterruptSource | null): void {
    this.intSource = source;
    this.poke();
  }
  /** The interrupt source changed. */
  interruptStateChanged(): void {
    this.poke();
  }

  /** Drop every decoded instruction and TLB entry (e.g. after breakpoints change). */
  dropDecoded(): void {
    this.pages.clear();
    this.codeFrames.clear();
    this.crossFrames.clear();
    this.flushTlb();
  }

  /** Forget the current code page (the next fetch looks it up again). */
  dropCodePage(): void {
    this.codePage = NO_PAGE;
    this.codeIp = 0;
  }

  /** mm tells us a frame holding cached code was written. */
  codeWritten(frame: number): void {
    if (!this.codeFrames.has(frame)) return;
    this.codeFrames.delete(frame);
    for (let m = 0; m < 4; m++) this.pages.delete(frame * 4 + m);
    const cross = this.crossFrames.get(frame);
    if (cross !== undefined) {
      this.crossFrames.delete(frame);
      for (const k of cross) this.pages.delete(k);
    }
    this.dropCodePage();
  }
}

/** A code page with no decoded instructions (used when there is no current page). */
const NO_PAGE: (Insn | undefined)[] = new Array(4096);

import { type CpuSnapshot, loadSnapshot, saveSnapshot } from "./snapshot.ts";
import { readLinearApi, writeLinearApi } from "./memory.ts";
export type { CpuSnapshot };

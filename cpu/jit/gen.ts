/**
 * The code-generation context of the block compiler: JavaScript source
 * lines, guest registers as JS locals, the lazy flags as JS locals with
 * their kind known at compile time where possible, and the exits.
 *
 * Conventions of the generated code (see `compile.ts` for the frame):
 * - GPR halves live in locals `l<r>` (low 32 bits) and `h<r>` (high 32
 *   bits) as int32 values (`| 0`): V8 keeps them in machine registers,
 *   where unsigned values above 2^31 would be doubles.
 * - The lazy flags live in `fk fs fa fb fr fah fbh frh fx`: the ALU's kind
 *   and size, the operands and the truncated result as int32 halves, and
 *   `fx` (CF for INC/DEC, CF|AF|OF for logic and shifts); `fk = -1` means
 *   the flags are in `cpu.alu` already. {@link FLAGS_TO_ALU} converts them
 *   to the ALU's format (unsigned operands, unmasked result).
 * - `R` is the retired count at the start of the current basic block; an
 *   exit sets `e` (the instructions completed in the block) and `nip` (the
 *   next RIP) before `break X`, and the shared epilogue writes everything
 *   back. Exits are plain constant assignments: code V8 has never run
 *   (a rare bail) then needs no type feedback, which would deoptimize the
 *   whole region the first time it runs.
 *
 * @module
 */

import type { Insn } from "../icache.ts";
import type { Handler } from "../icache.ts";
import { Alu } from "../alu/alu.ts";

/** Compile-time knowledge of the flags: a lazy kind (0..6) in the locals, in the ALU, or unknown. */
export const FL_ALU = -1;
/** The flags' kind is only known at run time (`fk`). */
export const FL_UNKNOWN = -2;

/**
 * Move the flag locals of a region into `alu` in its format (kinds: 1 ADD,
 * 2 SUB, 4 INC, 5 DEC, 6 LOGIC; see `alu/alu.ts`); returns -1 (the new
 * `fk`: moved). One shared, well-warmed function rather than code inlined
 * in every region: a region's own copy would run with a kind it never saw
 * only at a rare exit, and V8 would deoptimize the whole region there for
 * want of type feedback.
 */
export function flagsToAlu(
  u: Alu,
  fk: number,
  fs: number,
  fx: number,
  fa: number,
  fb: number,
  fr: number,
  fah: number,
  fbh: number,
  frh: number,
): number {
  if (fk < 0) return -1;
  u.kind = fk;
  u.size = fs;
  u.fx = fx;
  if (fk === 6) {
    u.res = fr >>> 0;
    u.resH = frh >>> 0;
  } else if (fk !== 0) {
    const add = fk === 1 || fk === 4;
    const A = fa >>> 0, B = fk >= 4 ? 1 : fb >>> 0, S = add ? A + B : A - B;
    u.a = A;
    u.b = B;
    u.res = S;
    if (fs === 8) {
      const AH = fah >>> 0, BH = fk >= 4 ? 0 : fbh >>> 0;
      u.aH = AH;
      u.bH = BH;
      u.resH = add ? AH + BH + (S > 0xffffffff ? 1 : 0) : AH - BH - (S < 0 ? 1 : 0);
    }
  }
  return -1;
}

// Run every path once with the value shapes regions produce, so V8 has
// type feedback for all of them before any region inlines the function.
{
  const probe = new Alu();
  for (const fk of [-1, 0, 1, 2, 4, 5, 6]) {
    for (const fs of [1, 2, 4, 8]) {
      flagsToAlu(probe, fk, fs, 1, -5, 7, -2, -1, 3, 0x7fffffff);
      flagsToAlu(probe, fk, fs, 0, 0x7fffffff, -1, 1, 0, -8, -1);
    }
  }
}

/** Code that moves the flag locals into `cpu.alu` ({@link flagsToAlu}, passed as F) and marks them moved. */
export const FLAGS_TO_ALU: string = "fk = F(u, fk, fs, fx, fa, fb, fr, fah, fbh, frh);";

/** Per-instruction facts the flag liveness scan uses. */
export interface FlagUse {
  /** Reads flags (Jcc, INC's CF, overlays, helpers). */
  readonly reads: boolean;
  /** Writes all six flags without reading any. */
  readonly writesAll: boolean;
  /** May leave the region before completing (TLB miss, fault check). */
  readonly mayExit: boolean;
}

/** The code-generation context for one region. */
export class Gen {
  /** Source lines. */
  readonly out: string[] = [];
  /** Registers read or written anywhere in the region. */
  readonly used: boolean[] = new Array(16).fill(false);
  /** Registers written anywhere in the region. */
  readonly written: boolean[] = new Array(16).fill(false);
  /** Handlers of helper-called instructions (passed to the function as H). */
  readonly helpers: Handler[] = [];
  /** Their instructions (passed as I). */
  readonly helperInsns: Insn[] = [];
  /** Lazy-flag knowledge at the current point. */
  fl: number = FL_UNKNOWN;
  /** Size of the known flags producer. */
  fsz = 4;
  /** Code size: 32 or 64. */
  readonly bits: number;
  /** Index of the current instruction in its basic block. */
  j = 0;
  /** RIP of the current instruction. */
  ip = 0;
  /** RIP after the current instruction. */
  next = 0;
  /** Flag facts of the rest of the current basic block (index = instruction). */
  uses: FlagUse[] = [];
  /** The region uses the stack inline (32-bit code then requires a 32-bit stack). */
  usesStack = false;
  /** The region runs SSE instructions inline (it needs the XMM views and the SSE check). */
  usesSse = false;
  /** Layout position of the current basic block. */
  cur = 0;
  /** Number of instructions in the current basic block. */
  n = 0;
  /** Whether the flags are observable after the current basic block (see `flagLiveness` in compile.ts). */
  liveOut = true;
  /**
   * For a block other than the head that branches to its own start (an
   * inner loop, emitted as a JS loop labelled `L<cur>`): the limit span
   * checked before each repetition; 0 otherwise.
   */
  selfSpan = 0;
  /** Offsets of the return sites a RET ending the current block may be predicted to go to. */
  retSites: readonly number[] = [];
  /** Placeholder for the register write-back (filled when the region is done). */
  static readonly SYNC = "\u0000SYNC\u0000";
  /** Placeholder for the register reload after a helper. */
  static readonly RELOAD = "\u0000RELOAD\u0000";

  /**
   * High halves are tracked as a mask rather than as locals (32-bit code,
   * which never reads them): a 32-bit register write clears the high half,
   * so the region only needs to know which registers it wrote that way.
   * The run-time local `z` holds the registers written so far on the path
   * taken, `pending` those written in the current block and not yet added
   * to `z` (added on every way out of the block, see {@link zFlush}); the
   * epilogue zeroes the high halves in `z`. This keeps seven loop-carried
   * locals of constant 0 out of every 32-bit loop.
   */
  readonly zmode: boolean;
  /** Registers whose high half the current block cleared (bit r), not yet in `z`. */
  pending = 0;

  /** Start generating for code of `bits` (32 or 64). */
  constructor(bits: number) {
    this.bits = bits;
    this.zmode = bits === 32;
  }

  /** Code that adds the current block's cleared high halves to `z` (empty if none). */
  zFlush(): string {
    return this.pending === 0 ? "" : `z |= ${this.pending}; `;
  }

  /** Append a source line. */
  emit(line: string): void {
    this.out.push(line);
  }

  /** The low-half local of register `r` (marks it used). */
  lo(r: number): string {
    this.used[r] = true;
    return `l${r}`;
  }

  /** The high-half local of register `r` (marks it used); 64-bit code only. */
  hi(r: number): string {
    if (this.zmode) throw new Error("jit: a high half read in 32-bit code");
    this.used[r] = true;
    return `h${r}`;
  }

  /** Emit a write of 0 to register `r`'s high half (the low half unchanged). */
  zeroHi(r: number): void {
    this.wrote(r);
    if (this.zmode) this.pending |= 1 << r;
    else this.emit(`h${r} = 0;`);
  }

  /** Mark register `r` written (and used). */
  wrote(r: number): void {
    this.used[r] = true;
    this.written[r] = true;
  }

  /** Emit a 32-bit register write: low half `expr` (int32), high half 0. */
  set32(r: number, expr: string): void {
    this.wrote(r);
    if (this.zmode) {
      this.emit(`l${r} = ${expr};`);
      this.pending |= 1 << r;
    } else this.emit(`l${r} = ${expr}; h${r} = 0;`);
  }

  /** Emit a 64-bit register write from two int32 expressions; 64-bit code only. */
  set64(r: number, lo: string, hi: string): void {
    if (this.zmode) throw new Error("jit: a 64-bit register write in 32-bit code");
    this.wrote(r);
    this.emit(`l${r} = ${lo}; h${r} = ${hi};`);
  }

  /** Expression for byte register `r8` (0-15 low bytes, 16-19 AH..BH). */
  r8(r8: number): string {
    return r8 < 16 ? `(${this.lo(r8)} & 0xff)` : `((${this.lo(r8 - 16)} >>> 8) & 0xff)`;
  }

  /** Code that leaves the region before instruction `j` of the block (the interpreter runs it). */
  bail(): string {
    return `{ e = ${this.j}; nip = ${this.ip}; ${this.zFlush()}break X; }`;
  }

  /** Code that leaves the region after the current instruction, at RIP `target` (an expression). */
  exitAfter(target: string): string {
    return `{ e = ${this.j + 1}; nip = ${target}; ${this.zFlush()}break X; }`;
  }

  /**
   * Whether the flags written by the current instruction can be observed:
   * by a later reader in the block, at a possible exit before the next full
   * writer, or after the block (dead-flag elimination).
   */
  flagsLive(): boolean {
    for (let k = this.j + 1; k < this.n; k++) {
      const u = this.uses[k];
      if (u.reads || u.mayExit) return true;
      if (u.writesAll) return false;
    }
    return this.liveOut;
  }

  /**
   * Record a flags producer: `kind`/`size` are constants, `fields` maps
   * local names (fa fb fr fah fbh frh fx) to expressions. Skipped when the
   * flags are dead.
   */
  setFlags(kind: number, size: number, fields: Record<string, string>): void {
    if (!this.flagsLive()) {
      // Dead: a later full writer in this block replaces them before anything can look.
      this.fl = FL_UNKNOWN;
      return;
    }
    let s = `fk = ${kind}; fs = ${size};`;
    for (const k in fields) s += ` ${k} = ${fields[k]};`;
    this.emit(s);
    this.fl = kind;
    this.fsz = size;
  }

  /** Emit code that moves the flag locals into `cpu.alu` (if they hold anything). */
  syncFlags(): void {
    if (this.fl === FL_ALU) return;
    this.emit(FLAGS_TO_ALU);
    this.fl = FL_ALU;
  }

  /**
   * Register `i`'s handler for a call from the compiled code (returns its
   * index in H and I) and emit what every call needs first: the retired
   * count, the instruction's RIP and the next RIP, and the high halves
   * cleared so far in `z`.
   */
  private beginCall(i: Insn): number {
    const k = this.helpers.length;
    this.helpers.push(i.h);
    this.helperInsns.push(i);
    this.emit(`cpu.retired = R + ${this.j}; cpu.ip0 = ${this.ip}; cpu.rip = ${this.next};`);
    if (this.pending !== 0) this.emit(this.zFlush());
    this.pending = 0;
    return k;
  }

  /**
   * Call the interpreter's handler for the current instruction `i` with
   * the state written back (precise if it throws), then reload and leave
   * the region if it branched, asked for attention or changed code.
   */
  helper(i: Insn): void {
    const k = this.beginCall(i);
    this.emit(Gen.SYNC);
    this.syncFlags();
    this.emit(`H[${k}](cpu, I[${k}]);`);
    this.emit(Gen.RELOAD);
    this.emit(
      `if (cpu.rip !== ${this.next} || cpu.loopLimit === 0 || cpu.codePage !== P) ${
        this.exitAfter("cpu.rip")
      }`,
    );
  }

  /**
   * Call the handler of an instruction that reads no general register but
   * its memory operand's base and index, and writes none, nor the flags
   * (most MMX/SSE instructions): only those two registers are written back
   * before the call and nothing is reloaded after it. If the handler throws
   * (a fault), the rest of the registers and the flags are written back
   * before the exception leaves the region, so the fault is as precise as
   * after {@link helper}. Then leave the region if it asked for attention
   * or changed code.
   */
  lightHelper(i: Insn): void {
    const k = this.beginCall(i);
    if (i.isMem !== 0) {
      for (const r of [i.base, i.index]) {
        if (r < 0) continue;
        const l = this.lo(r);
        this.emit(
          this.zmode
            ? `g[${2 * r}] = ${l}; if ((z & ${1 << r}) !== 0) g[${2 * r + 1}] = 0;`
            : `g[${2 * r}] = ${l}; g[${2 * r + 1}] = ${this.hi(r)};`,
        );
      }
    }
    this.emit(`try { H[${k}](cpu, I[${k}]); } catch (x) {`);
    this.emit(Gen.SYNC);
    if (this.fl !== FL_ALU) this.emit(FLAGS_TO_ALU);
    this.emit(`throw x; }`);
    this.emit(
      `if (cpu.rip !== ${this.next} || cpu.loopLimit === 0 || cpu.codePage !== P) ${
        this.exitAfter("cpu.rip")
      }`,
    );
  }
}

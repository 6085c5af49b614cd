/**
 * Block compiler: region discovery and assembly. From a start instruction,
 * the basic blocks reachable by direct branches inside the same 4 KiB code
 * page (in 64-bit code also one other page that a direct branch, the
 * fall-through at the page end or an instruction crossing it leads to, see
 * `OtherPage`; a RET goes on to the return site of a CALL in the region
 * when it pops that address) are collected (up to a size cap) and compiled into one JavaScript
 * function with `new Function`: guest registers in locals for the whole
 * region, the basic blocks as labelled blocks in a loop (forward branches
 * between them are jumps, the loop through the region's head is a loop in
 * JS, and so is a block that branches to its own start, an inner loop),
 * and one epilogue that writes everything back. The lazy flags a block
 * leaves are dropped when no later block or exit can observe them.
 *
 * Instruction counts stay exact: a pass from the head runs only when its
 * longest path fits before the run loop's limit (`loopLimit`, which
 * covers the budget, the next device deadline and pending events), and an
 * inner loop repeats only while its own longest path onwards fits;
 * otherwise the region returns and the interpreter continues one
 * instruction at a time.
 *
 * Instructions come from the decoded-instruction cache page (`icache.ts`);
 * missing ones are decoded from the page's RAM frame (never across the page
 * end: a crossing instruction is taken only as the interpreter decoded it),
 * so the region is keyed and invalidated with that page: a write to
 * the frame drops the page and with it every region rooted in it. A
 * region that branches into its other page checks that page first whenever
 * `cpu.codeGen` moved (a TLB flush, mode change or code write since the
 * last check): the page must still map the same frame for a fetch and
 * still have the same decoded page, else the region leaves after the
 * branch and is compiled again later. Like a TLB entry, that mapping is
 * kept until an invalidation (a PTE rewritten without INVLPG may go
 * unseen until then).
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import { decodeBytes } from "../decode/mod.ts";
import { Insn, prepare } from "../icache.ts";
import { imul64Over, MUL_LO } from "../alu/muldiv.ts";
import { UNIT } from "../sse/softfp.ts";
import { FL_UNKNOWN, FLAGS_TO_ALU, flagsToAlu, type FlagUse, Gen } from "./gen.ts";
import { type Plan, planInsn, Term } from "./plan.ts";
import { condExpr, goTo, loopCond, targetCheck, targetStaticallyOk } from "./emit_flow.ts";
import { loop } from "../exec_control.ts";
import { emitPush, tlbRead } from "./emit_mem.ts";
import { type JitBlock, NO_BLOCK } from "./block.ts";
import { fillForCompiled } from "../memory.ts";
import { probeFetch } from "../paging.ts";

/** Most basic blocks in one region. */
const MAX_BLOCKS = 16;
/** Most instructions in one region. */
const MAX_INSNS = 160;
/** Most instructions in one basic block. */
const MAX_BLOCK_INSNS = 64;

/** Fewest instructions in a region without a loop. */
const MIN_STRAIGHT = 12;

/** Extra visits before a block start inside a compiled region starts a region of its own. */
const COVERED_HEAT = 2048;

/** Module helpers the generated code calls (passed as K). */
const K = { imul64Over, MUL_LO, UNIT };

interface BasicBlock {
  /**
   * Offset of the first instruction from the start of the region's own
   * page (the head's page); outside 0..4095 in another page.
   */
  readonly off: number;
  readonly insns: Insn[];
  readonly plans: Plan[];
  /** Offset where execution continues after the block (fall-through), or null. */
  fall: number | null;
  /** Whether `fall` is an exit to the interpreter (an instruction the region does not cover). */
  exit: boolean;
  /** Offsets of the successors in the region's pages (branch target, fall-through, predicted returns). */
  readonly succ: number[];
}

/**
 * Another code page a region follows a direct CALL/JMP/Jcc into (64-bit
 * code only). The region is keyed by its head's page; this one is checked
 * when the region branches into it and `cpu.codeGen` (TLB flushes, mode
 * changes, code writes) changed since the last check: its linear page
 * still maps `frame` for a fetch and its decoded page is still `page`.
 */
interface OtherPage {
  /** Linear address of the page. */
  readonly lin: number;
  readonly frame: number;
  readonly page: (Insn | undefined)[];
  readonly bytes: Uint8Array | null;
}

/** Most other pages one region may span. */
const MAX_OTHER_PAGES = 1;

/** Statistics of the compiler (tests, `--stats`). */
export interface JitStats {
  /** Regions compiled. */
  regions: number;
  /** Guest instructions in them. */
  insns: number;
  /** Instructions where no region could start. */
  refused: number;
  /** Regions whose generated source V8 rejected (a compiler bug; the interpreter ran them). */
  errors: number;
  /** The last such error. */
  lastError: string;
}

/**
 * Compile the region starting at the current RIP, whose decoded
 * instruction is `first` in the current code page; returns it,
 * {@link NO_BLOCK}, or null when the region was rooted at the head of an
 * enclosing loop instead (it is entered there). Never changes guest state.
 */
export function compileRegion(cpu: Cpu, first: Insn, stats: JitStats): JitBlock | null {
  const bits = cpu.codeBits;
  const page = cpu.codePage;
  const pageIp = cpu.codeIp;
  const firstOff = cpu.rip - pageIp;
  if (bits === 16 || page[firstOff] !== first) return NO_BLOCK;
  const bytes = frameBytes(cpu, page);
  const others = new Map<number, OtherPage | null>();
  const fetch = (rel: number): Insn | null => {
    const pn = Math.floor(rel / 4096);
    const off = rel - pn * 4096;
    let pg = page;
    let by = bytes;
    if (pn !== 0) {
      const o = otherPageAt(pn);
      if (o === null) return null;
      pg = o.page;
      by = o.bytes;
    }
    let i = pg[off];
    if (i === undefined) {
      if (by === null) return null;
      i = new Insn();
      decodeBytes(by, off, bits, i);
      prepare(i, bits, cpu.alu.vendor);
      if (off + i.len > 4096) return null;
      pg[off] = i;
    }
    const hook = cpu.debugHook;
    if (hook !== null) {
      // As the decoded cache does: the debugger may put a breakpoint trap
      // here, whose handler no plan covers, so the region ends before it.
      i = hook.fetched(cpu, cpu.sbase[1] + pageIp + rel, i, pg, off);
      pg[off] = i;
    }
    if (i.frame2 < 0 && off + i.len < 4096) return i;
    // It ends at the page end or crosses it: the next instruction, or the
    // instruction's tail, is in the next page, which the region then spans
    // like a branch target (64-bit code; its mapping is checked in the same
    // way, see crossCheck and tailCheck).
    const next = bits === 64 ? otherPageAt(pn + 1) : null;
    if (next === null) return null;
    return (i.frame2 >= 0 ? i.frame2 === next.frame : off + i.len === 4096) ? i : null;
  };
  /** The region's page `pn` pages from the head's (not 0), looked up once. */
  const otherPageAt = (pn: number): OtherPage | null => {
    let o = others.get(pn);
    if (o === undefined) {
      o = otherPage(cpu, cpu.sbase[1] + pageIp + pn * 4096, others.size);
      others.set(pn, o);
    }
    return o;
  };
  // ---- discovery; a region is rooted at the head of the loop it is in ----
  let startOff = firstOff;
  let d = discover(fetch, bits, pageIp, startOff);
  if (d.blocks[0].insns.length === 0) {
    stats.refused++;
    return NO_BLOCK;
  }
  for (const t of loopHeads(d, startOff)) {
    // A region is entered through its own page's decoded-instruction cache:
    // a loop head on the other page cannot root it.
    if (t < 0 || t >= 4096) continue;
    const head = fetch(t);
    if (head === null || head.jit !== null) continue;
    const d2 = discover(fetch, bits, pageIp, t);
    if (d2.blocks[0].insns.length > 0 && covers(d2, startOff)) {
      d = d2;
      startOff = t;
      break;
    }
  }
  let { blocks, labels, total } = d;
  // A short region that does not loop costs more to enter and leave (its
  // registers are loaded and written back) than interpreting it.
  const loops = blocks.some((b) => b.succ.includes(startOff));
  if (!loops && total < MIN_STRAIGHT) {
    stats.refused++;
    return NO_BLOCK;
  }
  if (loops) {
    // Keep the loop: the blocks that lead back to the head. The code after
    // it becomes an exit (less JavaScript for V8 to compile).
    blocks = loopBlocks(blocks, labels);
    labels = new Map(blocks.map((b, k) => [b.off, k]));
    total = blocks.reduce((n, b) => n + b.insns.length, 0);
  }
  // ---- layout: reverse post-order, so every edge but one to the head goes forward ----
  const order = reversePostOrder(blocks, labels);
  labels.clear();
  order.forEach((b, k) => labels.set(b.off, k));
  // ---- emission: block k follows the end of labelled statement Bk, so
  // "break Bk" is a forward jump to it; "continue X" goes back to block 0 ----
  const spans = pathSpans(order, labels);
  const span = spans[0];
  const liveOut = flagLiveness(order, labels, bits, pageIp);
  const g = new Gen(bits);
  for (let k = order.length - 1; k >= 1; k--) g.emit(`B${k}: {`);
  for (let k = 0; k < order.length; k++) {
    if (k > 0) g.emit(`}`);
    g.cur = k;
    g.liveOut = liveOut[k];
    const self = k > 0 && order[k].succ.includes(order[k].off);
    g.selfSpan = self ? spans[k] : 0;
    if (self) g.emit(`L${k}: for (;;) {`);
    emitBlock(g, order[k], k === 0 ? span : 0, pageIp, labels);
    if (self) g.emit(`}`);
  }
  const src = assemble(g, bits, pageIp + startOff);
  // The other pages the kept blocks are in, checked as one (see crossCheck).
  const spanned: OtherPage[] = [];
  for (const b of order) {
    const o = others.get(pageOf(b.off));
    if (o && b.insns.length > 0 && !spanned.includes(o)) spanned.push(o);
    // The page holding the tail of an instruction that crosses the page end.
    const t = b.insns.some((i) => i.frame2 >= 0) ? others.get(pageOf(b.off) + 1) : undefined;
    if (t && !spanned.includes(t)) spanned.push(t);
  }
  const XG = [cpu.codeGen];
  const head = page[startOff]!;
  const XV = (c: Cpu): boolean => {
    for (const o of spanned) {
      const pa = c.codeBits === 64 && c.debugHook === null ? probeFetch(c, o.lin) : -1;
      if (pa < 0 || Math.floor(pa / 4096) !== o.frame || c.pages.get(o.frame * 4 + 2) !== o.page) {
        // Stale: the region is compiled again when its head is hot again.
        if (head.jit !== null && head.jit.fn === fn) {
          head.jit = null;
          head.heat = 0;
        }
        return false;
      }
    }
    XG[0] = c.codeGen;
    return true;
  };
  let fn: (cpu: Cpu, limit: number) => void;
  try {
    fn = new Function("H", "I", "K", "F", "T", "XG", "XV", src)(
      g.helpers,
      g.helperInsns,
      K,
      flagsToAlu,
      fillForCompiled,
      XG,
      XV,
    );
  } catch (e) {
    // A compiler bug must not stop the guest: the interpreter runs this code.
    stats.errors++;
    stats.lastError = `${e}`;
    return NO_BLOCK;
  }
  stats.regions++;
  stats.insns += total;
  // The region is entered at its head only. Where it stops at a limit, the
  // interpreter runs on to the head one instruction at a time; the other
  // instructions it covers get their own region only when they are much
  // hotter than that (an inner loop), not after a few limit stops.
  for (const b of order) {
    for (const i of b.insns) {
      if (i !== page[startOff] && i.jit === null && i.heat > -COVERED_HEAT) i.heat = -COVERED_HEAT;
    }
  }
  const warm = { calls: 0 };
  const block: JitBlock = {
    ip: pageIp + startOff,
    n0: span,
    fn,
    size: total,
    warm,
  };
  if (startOff === firstOff) return block;
  // Rooted at an enclosing loop head: the region is entered there. Only
  // heads on this page are offered (see the loop above), and fetching one
  // put it in this page's decoded-instruction cache.
  page[startOff]!.jit = block;
  first.heat = -COVERED_HEAT;
  return null;
}

/** The result of region discovery. */
interface Discovery {
  readonly blocks: BasicBlock[];
  /** Page offset of a block's first instruction -> block index. */
  readonly labels: Map<number, number>;
  readonly total: number;
}

/** Collect the basic blocks reachable from page offset `startOff` by direct branches in the page. */
function discover(
  fetch: (off: number) => Insn | null,
  bits: number,
  pageIp: number,
  startOff: number,
): Discovery {
  const blocks: BasicBlock[] = [];
  const labels = new Map<number, number>();
  const queue = [startOff];
  const rets = new Set<number>();
  let total = 0;
  while (queue.length > 0 && blocks.length < MAX_BLOCKS && total < MAX_INSNS) {
    const off = queue.shift()!;
    if (labels.has(off)) continue;
    labels.set(off, blocks.length);
    const b: BasicBlock = { off, insns: [], plans: [], fall: null, exit: false, succ: [] };
    blocks.push(b);
    let o = off;
    for (;;) {
      if (b.insns.length >= MAX_BLOCK_INSNS || total >= MAX_INSNS) {
        b.fall = o;
        b.succ.push(o);
        break;
      }
      const i = fetch(o);
      const p = i === null ? null : planInsn(i, bits);
      if (i === null || p === null) {
        b.fall = o; // exit to the interpreter at o
        b.exit = true;
        break;
      }
      b.insns.push(i);
      b.plans.push(p);
      total++;
      const next = o + i.len;
      if (p.term === Term.NONE) {
        if (pageOf(next) === pageOf(o)) {
          o = next;
          continue;
        }
        // The next instruction is in the next page: a successor block there
        // (blocks stay within one page, see crossCheck).
        b.fall = next;
        queue.push(next);
        b.succ.push(next);
        break;
      }
      if (p.term === Term.JCC || p.term === Term.JMP || p.term === Term.CALL) {
        const t = branchTarget(bits, pageIp + next, i.rel) - pageIp;
        // 64-bit code may follow a branch into another page (see OtherPage).
        if ((t >= 0 && t < 4096) || (bits === 64 && Number.isSafeInteger(t))) {
          queue.push(t);
          b.succ.push(t);
          // The return site, where a RET in the region may be predicted to go.
          if (p.term === Term.CALL && bits === 64) {
            queue.push(next);
            rets.add(next);
          }
        }
      }
      if (p.term === Term.JCC) {
        b.fall = next;
        queue.push(next);
        b.succ.push(next);
      }
      break;
    }
  }
  total -= splitAtLabels(blocks, labels);
  // A RET may go back to the return site of a CALL in the region (checked
  // at run time against the address it pops).
  for (const b of blocks) {
    const n = b.plans.length;
    if (n === 0 || b.plans[n - 1].term !== Term.RET) continue;
    for (const r of rets) if (labels.has(r)) b.succ.push(r);
  }
  return { blocks, labels, total };
}

/**
 * End every block where it runs into the start of another (a branch
 * target it falls through to): the rest would be a second copy of that
 * block, more JavaScript for V8 to compile. Returns the instructions
 * dropped.
 */
function splitAtLabels(blocks: BasicBlock[], labels: Map<number, number>): number {
  let dropped = 0;
  for (const b of blocks) {
    let o = b.off;
    for (let j = 0; j < b.insns.length; j++) {
      if (j > 0 && labels.has(o)) {
        dropped += b.insns.length - j;
        b.insns.length = j;
        b.plans.length = j;
        b.fall = o;
        b.exit = false;
        b.succ.length = 0;
        b.succ.push(o);
        break;
      }
      o += b.insns[j].len;
    }
  }
  return dropped;
}

/** The blocks from which the first (the head) can be reached again, the head first. */
function loopBlocks(blocks: BasicBlock[], labels: Map<number, number>): BasicBlock[] {
  const keep = new Set<number>([0]);
  for (let changed = true; changed;) {
    changed = false;
    for (let k = 1; k < blocks.length; k++) {
      if (keep.has(k)) continue;
      for (const off of blocks[k].succ) {
        const t = labels.get(off);
        if (t !== undefined && keep.has(t)) {
          keep.add(k);
          changed = true;
          break;
        }
      }
    }
  }
  return blocks.filter((_, k) => keep.has(k));
}

/** Whether an instruction of the discovered blocks starts at page offset `off`. */
function covers(d: Discovery, off: number): boolean {
  for (const b of d.blocks) {
    let o = b.off;
    for (const i of b.insns) {
      if (o === off) return true;
      o += i.len;
    }
  }
  return false;
}

/**
 * Targets of backward branches that jump from `startOff` or later to
 * `startOff` or earlier (heads of loops enclosing the start), innermost
 * (nearest) first.
 */
function loopHeads(d: Discovery, startOff: number): number[] {
  const out = new Set<number>();
  for (const b of d.blocks) {
    if (b.insns.length === 0) continue;
    let at = b.off;
    for (let k = 0; k < b.insns.length - 1; k++) at += b.insns[k].len;
    // `at` is the offset of the block's last instruction (its branch).
    for (const t of b.succ) if (t < startOff && at >= startOff && t <= at) out.add(t);
  }
  return [...out].sort((a, b) => b - a);
}

/**
 * The decoded page of the code at linear page `lin` (64-bit code), for a
 * region that follows a branch into it; null when the region may not: too
 * many pages already, a debugger attached, not a canonical address, no
 * fetch mapping (probed without a fault), or no instruction of it decoded
 * yet (its frame is then not watched for code writes).
 */
function otherPage(cpu: Cpu, lin: number, count: number): OtherPage | null {
  if (count >= MAX_OTHER_PAGES || cpu.codeBits !== 64 || cpu.debugHook !== null) return null;
  if (lin >= 0x800000000000 || lin < -0x800000000000) return null;
  const pa = probeFetch(cpu, lin);
  if (pa < 0) return null;
  const frame = Math.floor(pa / 4096);
  const page = cpu.pages.get(frame * 4 + 2);
  if (page === undefined || page === cpu.codePage) return null;
  const mem = cpu.memory;
  const bytes = mem.ramFrame === undefined ? null : mem.ramFrame(frame, false);
  return { lin, frame, page, bytes };
}

/** The RAM frame bytes of a cached code page, or null (ROM, MMIO, unknown). */
function frameBytes(cpu: Cpu, page: (Insn | undefined)[]): Uint8Array | null {
  const mem = cpu.memory;
  if (mem.ramFrame === undefined) return null;
  for (const [key, p] of cpu.pages) {
    if (p === page) return mem.ramFrame(Math.floor(key / 4), false);
  }
  return null;
}

/** A direct branch target (32-bit code wraps at 4 GiB; 16-bit operand sizes are not compiled). */
function branchTarget(bits: number, next: number, rel: number): number {
  const t = next + rel;
  return bits === 64 ? t : t >>> 0;
}

/**
 * Emit one basic block. `check` > 0 (the head only) emits the region's
 * one limit check: the longest path through the region's blocks back to
 * the head or out of the region fits before the limit, or the region
 * leaves before the head (the interpreter runs on to the limit).
 */
function emitBlock(
  g: Gen,
  b: BasicBlock,
  check: number,
  pageIp: number,
  labels: Map<number, number>,
): void {
  const n = b.insns.length;
  g.n = n;
  g.uses = blockUses(b, g.bits, pageIp);
  g.retSites = b.succ;
  // Known only at run time (fk): a block may be reached from several places.
  g.fl = FL_UNKNOWN;
  g.pending = 0;
  g.j = 0;
  g.ip = pageIp + b.off;
  if (n === 0) {
    g.emit(`nip = ${g.ip}; break X;`);
    return;
  }
  if (check > 0) g.emit(`if (R + ${check} > LL) { nip = ${g.ip}; break X; }`);
  let o = b.off;
  for (let j = 0; j < n; j++) {
    const i = b.insns[j];
    const p = b.plans[j];
    g.j = j;
    g.ip = pageIp + o;
    g.next = g.ip + i.len;
    o += i.len;
    if (i.frame2 >= 0) g.emit(tailCheck(g));
    if (p.term !== Term.NONE) {
      emitTerm(g, i, p.term, pageIp, labels, b.fall);
      return;
    }
    if (p.emit !== null) p.emit(g, i);
    else g.helper(i);
  }
  // Fall-through (size cap or an instruction the compiler leaves to the interpreter).
  const f = b.fall!;
  const label = b.exit ? undefined : labels.get(f);
  g.emit(crossCheck(g, pageIp + f, pageIp, label) + goTo(g, pageIp + f, label));
}

/**
 * For each block of `order` (in layout order), the most instructions a run
 * from its start retires before it is back at the head, at the start of a
 * block that loops on itself, or out of the region: the longest path over
 * the forward edges (every other edge leaves the region, goes to the head
 * or repeats a self-looping block). The region checks the head's span
 * against the limit once per pass through the head, and a self-looping
 * block's span each time it repeats, so no other limit check (and no
 * other exit that observes the flags) sits between its blocks.
 */
function pathSpans(order: BasicBlock[], labels: Map<number, number>): number[] {
  const len = new Array<number>(order.length).fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    let tail = 0;
    for (const off of order[k].succ) {
      const t = labels.get(off);
      if (t !== undefined && t > k) tail = Math.max(tail, len[t]);
    }
    len[k] = order[k].insns.length + tail;
  }
  return len;
}

/**
 * Whether the flags are observable after each block of `order` (dead-flag
 * elimination across blocks): they are when the block can leave the
 * region or go back to the head (whose limit check may leave it), or a
 * successor reads them or may leave before writing all of them. Blocks in
 * layout order have only forward edges inside the region, so one
 * backward pass settles it.
 */
function flagLiveness(
  order: BasicBlock[],
  labels: Map<number, number>,
  bits: number,
  pageIp: number,
): boolean[] {
  const liveIn = new Array<boolean>(order.length).fill(true);
  const liveOut = new Array<boolean>(order.length).fill(true);
  for (let k = order.length - 1; k >= 0; k--) {
    const b = order[k];
    let out = b.insns.length === 0 || b.exit;
    const last = b.plans.length === 0 ? Term.NONE : b.plans[b.plans.length - 1].term;
    // RET and an indirect exit leave the region; JMP/CALL/Jcc targets and
    // the fall-through are the successors.
    if (last === Term.RET) out = true;
    const targets = b.succ.length;
    if ((last === Term.JMP || last === Term.CALL || last === Term.JCC) && targets === 0) out = true;
    if (last === Term.JCC && targets < 2) out = true;
    for (const off of b.succ) {
      const t = labels.get(off);
      if (t === undefined || t <= k) out = true;
      else if (liveIn[t]) out = true;
      // A branch into another page may leave the region (its check).
      if (pageOf(off) !== pageOf(b.off)) out = true;
    }
    liveOut[k] = out;
    let live = out;
    const uses = blockUses(b, bits, pageIp);
    for (let j = uses.length - 1; j >= 0; j--) {
      const u = uses[j];
      if (u.reads || u.mayExit) live = true;
      else if (u.writesAll) live = false;
    }
    liveIn[k] = live;
  }
  return liveOut;
}

/**
 * The flag facts of a block's instructions; a JMP whose target needs no
 * run-time check (see `targetStaticallyOk`) neither reads the flags nor
 * leaves before its target.
 */
function blockUses(b: BasicBlock, bits: number, pageIp: number): FlagUse[] {
  const uses: FlagUse[] = [];
  let o = b.off;
  for (let j = 0; j < b.insns.length; j++) {
    const p = b.plans[j];
    const i = b.insns[j];
    o += i.len;
    let u = p.use;
    // Its tail check may leave the region before it (see tailCheck).
    if (i.frame2 >= 0 && !u.mayExit) u = { ...u, mayExit: true };
    if (p.term === Term.JMP) {
      const t = branchTarget(bits, pageIp + o, i.rel);
      if (targetStaticallyOk(bits, t, pageIp)) u = NEUTRAL;
    }
    uses.push(u);
  }
  return uses;
}

const NEUTRAL: FlagUse = { reads: false, writesAll: false, mayExit: false };

/** The blocks reachable from the first in reverse post-order (a topological order of the forward edges). */
function reversePostOrder(blocks: BasicBlock[], labels: Map<number, number>): BasicBlock[] {
  const seen = new Set<number>();
  const post: BasicBlock[] = [];
  const visit = (k: number): void => {
    seen.add(k);
    for (const off of blocks[k].succ) {
      const t = labels.get(off);
      if (t !== undefined && !seen.has(t)) visit(t);
    }
    post.push(blocks[k]);
  };
  visit(0);
  return post.reverse();
}

function emitTerm(
  g: Gen,
  i: Insn,
  term: Term,
  pageIp: number,
  labels: Map<number, number>,
  fall: number | null,
): void {
  const bits = g.bits;
  if (term === Term.RET) {
    const s = i.osz;
    g.usesStack = true;
    g.wrote(4);
    const sp = g.lo(4);
    const extra = s + (i.imm & 0xffff);
    g.emit(`{ let v = 0, vh = 0;`);
    if (s === 8) {
      const sph = g.hi(4);
      g.emit(`const sl = ${sph} === 0 ? ${sp} >>> 0 : ${sph} * 4294967296 + (${sp} >>> 0);`);
      tlbRead(g, "sl", 8, "v", "vh");
      g.emit(`const t = vh * 4294967296 + (v >>> 0);`);
      g.emit(`if (t >= 0x800000000000 || t < -0x800000000000) ${g.bail()}`);
      g.emit(`const nv = (${sp} + ${extra}) | 0;`);
      g.emit(`if ((nv >>> 0) < (${sp} >>> 0)) ${sph} = (${sph} + 1) | 0;`);
      g.emit(`${sp} = nv;`);
    } else {
      g.emit(`if ((sf[2] & 1) === 0) ${g.bail()}`);
      g.emit(`const sl = ${sp} >>> 0;`);
      tlbRead(g, "sl", 4, "v", "vh");
      g.emit(`const t = v >>> 0; if (t > sm[1]) ${g.bail()}`);
      g.emit(`${sp} = (${sp} + ${extra}) | 0;`);
    }
    // Predicted returns: the popped address is the return site of a CALL
    // in the region (the block's successors are those sites).
    for (const r of g.retSites) {
      const rl = labels.get(r);
      if (rl === undefined) continue;
      const ra = pageIp + r;
      g.emit(`if (t === ${ra}) { ${crossCheck(g, ra, pageIp, rl)} ${goTo(g, ra, rl)} }`);
    }
    g.emit(`${g.exitAfter("t")} }`);
    return;
  }
  const t = branchTarget(bits, g.next, i.rel);
  const toff = t - pageIp;
  const tl = labels.get(toff);
  if (term === Term.JCC) {
    const c = i.h === loop ? loopCond(g, i) : condExpr(g, i.cc);
    g.emit(
      `if (${c}) { ${targetCheck(g, t, pageIp)} ${crossCheck(g, t, pageIp, tl)} ${
        goTo(g, t, tl)
      } }`,
    );
    const fl = fall === null ? undefined : labels.get(fall);
    g.emit(crossCheck(g, g.next, pageIp, fl) + goTo(g, g.next, fl));
    return;
  }
  g.emit(targetCheck(g, t, pageIp));
  if (term === Term.CALL) {
    const r = g.next;
    emitPush(g, i.osz, `${r | 0}`, `${Math.floor(r / 4294967296) | 0}`);
  }
  g.emit(crossCheck(g, t, pageIp, tl));
  g.emit(goTo(g, t, tl));
}

/** Which page of the region an offset from its head's page start is in (0: the head's). */
function pageOf(off: number): number {
  return Math.floor(off / 4096);
}

/**
 * Before a branch from the current instruction to `target` in the
 * region's other page (`label` defined): leave the region after the
 * branch, at the target, unless that page's mapping and decoded
 * instructions are known to be unchanged (`XG[0]` is the `cpu.codeGen` of
 * the last check, `XV` checks again). Branches back into the head's page
 * need no check: a region runs only while that page is current.
 */
function crossCheck(g: Gen, target: number, pageIp: number, label: number | undefined): string {
  if (label === undefined) return "";
  const tp = pageOf(target - pageIp);
  if (tp === 0 || tp === pageOf(g.ip - pageIp)) return "";
  return `if (${OTHER_PAGE_CHANGED}) ${g.exitAfter(`${target}`)}`;
}

/**
 * Before an instruction that crosses into the region's other page (its
 * decoded form holds bytes of that page's frame): leave the region before
 * it, to the interpreter, unless that page is known to map the same frame
 * (as {@link crossCheck} does for a branch).
 */
function tailCheck(g: Gen): string {
  return `if (${OTHER_PAGE_CHANGED}) ${g.bail()}`;
}

/**
 * The region's other pages may have changed: `cpu.codeGen` moved since the
 * last check (`XG[0]`) and checking again (`XV`) finds a page remapped or
 * its decoded page replaced.
 */
const OTHER_PAGE_CHANGED = "cpu.codeGen !== XG[0] && !XV(cpu)";

function assemble(g: Gen, bits: number, entryIp: number): string {
  const used: number[] = [];
  const written: number[] = [];
  for (let r = 0; r < 16; r++) {
    if (g.used[r]) used.push(r);
    if (g.written[r]) written.push(r);
  }
  // 32-bit code (see `Gen.zmode`): high halves are 0 where `z` says so, else unchanged.
  const z = g.zmode;
  const wb = written.map((r) =>
    z
      ? `g[${2 * r}] = l${r}; if ((z & ${1 << r}) !== 0) g[${2 * r + 1}] = 0;`
      : `g[${2 * r}] = l${r}; g[${2 * r + 1}] = h${r};`
  ).join(" ");
  const rl =
    used.map((r) =>
      z ? `l${r} = g[${2 * r}] | 0;` : `l${r} = g[${2 * r}] | 0; h${r} = g[${2 * r + 1}] | 0;`
    ).join(" ") + (z ? " z = 0;" : "");
  const decl =
    used.map((r) =>
      z ? `l${r} = g[${2 * r}] | 0` : `l${r} = g[${2 * r}] | 0, h${r} = g[${2 * r + 1}] | 0`
    ).join(", ") + (z ? `${used.length > 0 ? ", " : ""}z = 0` : "");
  const body = g.out.map((l) => l === Gen.SYNC ? wb : l === Gen.RELOAD ? rl : l);
  const lines = [
    `"use strict";`,
    `return function jitRegion(cpu, LL) {`,
    `const g = cpu.gpr, u = cpu.alu, rT = cpu.rTag, rM = cpu.rMem32, rB = cpu.rMem;`,
    `const wT = cpu.wTag, wM = cpu.wMem32, wB = cpu.wMem, sf = cpu.sflat, sb = cpu.sbase, sm = cpu.smax;`,
    `const P = cpu.codePage; let R = cpu.retired; let e = 0;`,
    bits === 32 && g.usesStack ? `if (cpu.stackBits !== 32) return;` : ``,
    // Inline SSE (emit_sse.ts): the XMM file's views, and whether SSE may run (CR0.EM/TS,
    // CR4.OSFXSR cannot change inside a region).
    g.usesSse
      ? `const XI = cpu.fpu.xmmI32, XF = cpu.fpu.xmmF64, XS = cpu.fpu.xmmF32, FP = cpu.fpu, ` +
        `U = K.UNIT, ` +
        `SX = (cpu.cr0 & 12) === 0 && (cpu.cr4 & 0x200) !== 0;`
      : ``,
    decl === "" ? "" : `let ${decl};`,
    `let fk = -1, fs = 4, fa = 0, fb = 0, fr = 0, fah = 0, fbh = 0, frh = 0, fx = 0;`,
    `let nip = ${entryIp};`,
    `X: for (;;) {`,
    ...body,
    `}`,
    `cpu.retired = R + e; cpu.rip = nip;`,
    wb,
    FLAGS_TO_ALU,
    `};`,
  ];
  return lines.join("\n");
}

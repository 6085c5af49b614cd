/**
 * Replays the SSE vectors recorded on real hardware (tests/data/
 * sse_vectors.txt.gz; recorder in tools/sse-vectors/) through the engine:
 * each recorded instruction's bytes are executed by the CPU (decode,
 * handler selection, execution) with the recorded XMM0/XMM1/RAX/RDX/RFLAGS
 * and MXCSR inputs, and XMM0, RAX, RCX, the arithmetic flags and MXCSR
 * (exception flags included) must equal the hardware's bit for bit. Vectors
 * recorded with unmasked exceptions must raise #XM with the hardware's
 * state at the fault.
 */
import assert from "node:assert/strict";
import { enter64, installIdt, LAYOUT, makeCpu, type TestCpu } from "../cpu/testing.ts";

/** One recorded instruction. */
interface RecOp {
  name: string;
  bytes: Uint8Array;
}

/** One recorded vector (hex strings as in the file). */
interface RecVec {
  op: number;
  mxIn: number;
  x0: string;
  x1: string;
  rax: string;
  rdx: string;
  outX0: string;
  outRax: string;
  outRcx: string;
  outFl: number;
  mxOut: number;
  /** The instruction raised #XM (outputs are the state at the fault). */
  xm: boolean;
}

/** Parse the recorder's text format. */
export function parseSseVectors(text: string): { cpu: string[]; ops: RecOp[]; vecs: RecVec[] } {
  const cpu: string[] = [], ops: RecOp[] = [], vecs: RecVec[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# cpu:")) cpu.push(line.slice(6).trim());
    else if (line.startsWith("op ")) {
      const [, name, b] = line.split(" ");
      ops.push({ name, bytes: new Uint8Array(b.match(/../g)!.map((h) => parseInt(h, 16))) });
    } else if (line.startsWith("v ")) {
      const f = line.split(" ");
      vecs.push({
        op: +f[1],
        mxIn: parseInt(f[2], 16),
        x0: f[3],
        x1: f[4],
        rax: f[5],
        rdx: f[6],
        outX0: f[7],
        outRax: f[8],
        outRcx: f[9],
        outFl: parseInt(f[10], 16),
        mxOut: parseInt(f[11], 16),
        xm: f[12] === "xm",
      });
    }
  }
  return { cpu, ops, vecs };
}

/** Load the committed vectors (gzip). */
export async function loadSseVectors(): Promise<ReturnType<typeof parseSseVectors>> {
  const gz = await Deno.readFile(new URL("./data/sse_vectors.txt.gz", import.meta.url));
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  return parseSseVectors(await new Response(stream).text());
}

function hexToWords(h: string, out: Uint32Array, at: number, words: number): void {
  for (let k = 0; k < words; k++) {
    const b = h.slice(8 * k, 8 * k + 8);
    out[at + k] = parseInt(b.slice(6, 8) + b.slice(4, 6) + b.slice(2, 4) + b.slice(0, 2), 16);
  }
}

function wordsToHex(w: ArrayLike<number>, at: number, words: number): string {
  let s = "";
  for (let k = 0; k < words; k++) {
    const v = w[at + k];
    for (let b = 0; b < 4; b++) s += ((v >>> (8 * b)) & 0xff).toString(16).padStart(2, "0");
  }
  return s;
}

/** 64-bit register from the file's big-endian hex. */
function setGpr(t: TestCpu, r: number, h: string): void {
  t.cpu.gpr[2 * r + 1] = parseInt(h.slice(0, 8), 16);
  t.cpu.gpr[2 * r] = parseInt(h.slice(8, 16), 16);
}

function getGpr(t: TestCpu, r: number): string {
  return t.cpu.gpr[2 * r + 1].toString(16).padStart(8, "0") +
    t.cpu.gpr[2 * r].toString(16).padStart(8, "0");
}

/** Run one vector; returns a description of the first difference, or "". */
function replay(t: TestCpu, at: number, v: RecVec): string {
  const c = t.cpu;
  const f = c.fpu;
  hexToWords(v.x0, f.xmm32, 0, 4);
  hexToWords(v.x1, f.xmm32, 4, 4);
  setGpr(t, 0, v.rax);
  setGpr(t, 1, "0000000000000000");
  setGpr(t, 2, v.rdx);
  f.mxcsr = v.mxIn;
  c.rflags = 0x8d7;
  c.rip = at;
  c.activity = "active";
  c.gpr[30] = 0;
  const r = c.run(c.retired + 80);
  if (v.xm) {
    if (r !== "halted" || c.gpr[30] !== 19) return `no #XM (${r}, vector ${c.gpr[30]})`;
  } else if (r !== "halted" || c.rip !== at + 0x31) {
    return `did not complete (${r}, vector ${c.gpr[30]})`;
  }
  const got = [wordsToHex(f.xmm32, 0, 4), getGpr(t, 0), getGpr(t, 1), c.rflags & 0x8d5, f.mxcsr];
  const want = [v.outX0, v.outRax, v.outRcx, v.outFl, v.mxOut];
  const names = ["xmm0", "rax", "rcx", "flags", "mxcsr"];
  for (let k = 0; k < 5; k++) {
    if (got[k] !== want[k]) {
      const g = typeof got[k] === "number" ? got[k].toString(16) : got[k];
      const w = typeof want[k] === "number" ? want[k].toString(16) : want[k];
      return `${names[k]} ${g} != ${w}`;
    }
  }
  return "";
}

Deno.test("SSE vectors recorded on hardware replay bit-exactly", async () => {
  const { cpu, ops, vecs } = await loadSseVectors();
  assert.ok(cpu.some((l) => l.includes("AuthenticAMD") || l.includes("GenuineIntel")));
  assert.ok(ops.length > 200 && vecs.length > 10000, "vector file too small");
  assert.ok(vecs.filter((v) => v.xm).length > 500, "too few #XM vectors");
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  t.cpu.cr4 |= 0x600; // OSFXSR, OSXMMEXCPT
  t.cpu.gpr[8] = 0x80000; // RSP for the exception frames
  // Each instruction (or short sequence) at its own 64-byte slot, padded with NOPs up to a
  // HLT at +0x30.
  for (let k = 0; k < ops.length; k++) {
    assert.ok(ops[k].bytes.length <= 0x30, ops[k].name);
    const slot = new Uint8Array(64).fill(0x90);
    slot.set(ops[k].bytes, 0);
    slot[0x30] = 0xf4;
    t.mem.writeBytes(LAYOUT.code + 64 * k, slot);
  }
  const bad = new Map<string, { n: number; first: string[] }>();
  for (const v of vecs) {
    const why = replay(t, LAYOUT.code + 64 * v.op, v);
    if (why === "") continue;
    const name = ops[v.op].name;
    const e = bad.get(name) ?? { n: 0, first: [] };
    e.n++;
    if (e.first.length < 2) {
      e.first.push(`mx=${v.mxIn.toString(16)} a=${v.x0} b=${v.x1} rax=${v.rax}: ${why}`);
    }
    bad.set(name, e);
  }
  const report = [...bad].map(([k, e]) => `${k}: ${e.n} bad; ${e.first.join(" | ")}`);
  assert.deepEqual(report, []);
});

/**
 * Loader for the x87 vectors recorded on real hardware
 * (tests/data/x87_vectors.txt.gz, written by tools/x87-vectors/record.sh).
 *
 * @module
 */

/** One recorded operation: its name, stack setup and instruction bytes. */
export interface X87Op {
  /** Name from the recorder (e.g. `fadd`, `fst_m32`). */
  name: string;
  /** Values pushed before the instruction: 0, 1 (a), 2 (b then a) or 8 (a eight times). */
  pushes: number;
  /** The instruction bytes (memory operand, if any, at [rsi]). */
  bytes: Uint8Array;
}

/** One recorded case. Hex strings are 20 digits: sign/exponent (4) then significand (16). */
export interface X87Vector {
  /** The operation. */
  op: X87Op;
  /** Line number in the data file (1-based). */
  line: number;
  /** FCW loaded before the pushes. */
  fcw: number;
  /** Operand a (80-bit, hex). */
  a: string;
  /** Operand b (80-bit, hex). */
  b: string;
  /** Memory operand before (bytes 9..0 as hex, high first). */
  memIn: string;
  /** Status word after. */
  fsw: number;
  /** Full tag word after (from FNSAVE). */
  ftw: number;
  /** ST(0)..ST(7) after, hex or "-" for empty. */
  regs: string[];
  /** Memory operand after. */
  memOut: string;
  /** RFLAGS & 0x8d5 after. */
  flags: number;
}

/** Parsed file: header comments and vectors. */
export interface X87Vectors {
  /** `# cpu:` header lines. */
  cpu: string[];
  /** The operations in file order. */
  ops: X87Op[];
  /** All vectors. */
  vectors: X87Vector[];
}

/** Parse the text of the vectors file. */
export function parseX87Vectors(text: string): X87Vectors {
  const cpu: string[] = [];
  const ops: X87Op[] = [];
  const vectors: X87Vector[] = [];
  let op: X87Op | null = null;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n];
    if (l.length === 0) continue;
    if (l.startsWith("#")) {
      if (l.startsWith("# cpu:")) cpu.push(l.slice(6).trim());
      continue;
    }
    const f = l.split(" ");
    if (f[0] === "op") {
      const hex = f[3];
      const bytes = new Uint8Array(hex.length / 2);
      for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
      op = { name: f[1], pushes: Number(f[2]), bytes };
      ops.push(op);
      continue;
    }
    if (op === null || f[0] !== op.name || f[5] !== ":" || f.length !== 18) {
      throw new Error(`x87 vectors line ${n + 1}: malformed`);
    }
    vectors.push({
      op,
      line: n + 1,
      fcw: parseInt(f[1], 16),
      a: f[2],
      b: f[3],
      memIn: f[4],
      fsw: parseInt(f[6], 16),
      ftw: parseInt(f[7], 16),
      regs: f.slice(8, 16),
      memOut: f[16],
      flags: parseInt(f[17], 16),
    });
  }
  return { cpu, ops, vectors };
}

/** Read and parse the committed gzip file. */
export async function loadX87Vectors(): Promise<X87Vectors> {
  const url = new URL("./x87_vectors.txt.gz", import.meta.url);
  const gz = await Deno.readFile(url);
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(stream).text();
  return parseX87Vectors(text);
}

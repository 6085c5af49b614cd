/**
 * Loader for tests/data/alu_vectors.txt (format: tools/alu-vectors/README.md).
 *
 * @module
 */
import { type CpuModel, defaultModel } from "../../cpu/model.ts";

/** One recorded vector; 64-bit fields as unsigned 32-bit halves. */
export interface AluVector {
  /** Line number in the file (1-based), for messages. */
  line: number;
  op: string;
  size: number;
  fin: number;
  aLo: number;
  aHi: number;
  bLo: number;
  bHi: number;
  cLo: number;
  cHi: number;
  r1Lo: number;
  r1Hi: number;
  r2Lo: number;
  r2Hi: number;
  fout: number;
}

/** The recorded file plus its `# cpu:` header fields. */
export interface AluVectorFile {
  cpu: Record<string, string>;
  vectors: AluVector[];
}

function split(hex: string): [number, number] {
  const p = hex.padStart(16, "0");
  return [parseInt(p.slice(8), 16), parseInt(p.slice(0, 8), 16)];
}

/**
 * The default CPU model with the vendor, family, model and stepping of the
 * recording CPU (the file's `# cpu:` header): the engine replays the
 * vectors on it, so the undefined flags follow that CPU's profile.
 */
export function recordingModel(file: AluVectorFile): CpuModel {
  const m = defaultModel();
  m.vendor = file.cpu["vendor_id"] ?? m.vendor;
  m.family = Number(file.cpu["cpu family"] ?? m.family);
  m.model = Number(file.cpu["model"] ?? m.model);
  m.stepping = Number(file.cpu["stepping"] ?? m.stepping);
  return m;
}

/** Read and parse the committed vector file. */
export function loadAluVectors(): AluVectorFile {
  return parseAluVectors(Deno.readTextFileSync(new URL("./alu_vectors.txt", import.meta.url)));
}

/** Parse the text of a vector file (as written by tools/alu-vectors/record.c). */
export function parseAluVectors(text: string): AluVectorFile {
  const cpu: Record<string, string> = {};
  const vectors: AluVector[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === "") continue;
    if (l.startsWith("#")) {
      const m = /^# cpu: ([^\t:]+?)\s*:\s*(.*)$/.exec(l);
      if (m) cpu[m[1]] = m[2];
      continue;
    }
    const f = l.split(" ");
    const [aLo, aHi] = split(f[3]);
    const [bLo, bHi] = split(f[4]);
    const [cLo, cHi] = split(f[5]);
    const [r1Lo, r1Hi] = split(f[6]);
    const [r2Lo, r2Hi] = split(f[7]);
    vectors.push({
      line: i + 1,
      op: f[0],
      size: parseInt(f[1], 10),
      fin: parseInt(f[2], 16),
      aLo,
      aHi,
      bLo,
      bHi,
      cLo,
      cHi,
      r1Lo,
      r1Hi,
      r2Lo,
      r2Hi,
      fout: parseInt(f[8], 16),
    });
  }
  return { cpu, vectors };
}

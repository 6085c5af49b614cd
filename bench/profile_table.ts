/**
 * Self time by function from a V8 CPU profile (the `Profiler.stop` result
 * of the inspector protocol), for `bench/profile.ts`.
 *
 * @module
 */

/** The parts of a V8 `Profiler.Profile` the table reads. */
export interface CpuProfile {
  /** Call-tree nodes. */
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  /** The node each sample hit (its leaf). */
  readonly samples: readonly number[];
}

/** One function's share of the samples taken while it was the leaf. */
export interface SelfTimeRow {
  /** Function name ("(anonymous)" when it has none). */
  readonly name: string;
  /** File (relative to `root` when under it) and 1-based line, or "" for V8's own nodes. */
  readonly where: string;
  /** Samples with this function at the leaf. */
  readonly samples: number;
  /** samples / all samples. */
  readonly share: number;
}

/**
 * Sum the samples of each function (every call-tree node with the same
 * name, file and line), most first. `root` is cut from the front of URLs.
 *
 * @example
 * ```ts
 * import { selfTimeTable } from "./profile_table.ts";
 * const rows = selfTimeTable({
 *   nodes: [{ id: 1, callFrame: { functionName: "walk", url: "file:///r/mm/walk.ts", lineNumber: 44 } }],
 *   samples: [1, 1],
 * }, "file:///r/");
 * // rows[0]: { name: "walk", where: "mm/walk.ts:45", samples: 2, share: 1 }
 * ```
 */
export function selfTimeTable(profile: CpuProfile, root = ""): SelfTimeRow[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const sums = new Map<string, { name: string; where: string; samples: number }>();
  for (const id of profile.samples) {
    const f = byId.get(id);
    if (f === undefined) continue;
    const url = root !== "" && f.url.startsWith(root) ? f.url.slice(root.length) : f.url;
    const where = url === "" ? "" : `${url}:${f.lineNumber + 1}`;
    const name = f.functionName === "" ? "(anonymous)" : f.functionName;
    const key = `${name}\u0000${where}`;
    const s = sums.get(key);
    if (s === undefined) sums.set(key, { name, where, samples: 1 });
    else s.samples++;
  }
  const total = profile.samples.length;
  return [...sums.values()]
    .map((s) => ({ ...s, share: total > 0 ? s.samples / total : 0 }))
    .sort((a, b) => b.samples - a.samples);
}

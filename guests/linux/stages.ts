/**
 * The stages of a Linux boot of the test initramfs, recognised in the
 * serial transcript: from the decompressor to the KVM client's L2 and the
 * power-off. Each stage is a line pattern; the detail is what the line says
 * (kernel version, missing CPU features, the L2's message, ...).
 *
 * @module
 */

/** A stage to look for. */
export interface StageSpec {
  /** Short id. */
  readonly id: string;
  /** What reaching it means. */
  readonly title: string;
  /** The line that marks it; group 1 (if any) is the detail. */
  readonly pattern: RegExp;
}

/** A stage found in a transcript. */
export interface BootStage {
  /** The stage's id. */
  readonly id: string;
  /** Offset of the marking line in the transcript. */
  readonly offset: number;
  /** Wall time at which the line arrived (ms from the start). */
  readonly wallMs: number;
  /** What the line says. */
  readonly detail: string;
  /**
   * Guest time of the stage (s): the last kernel or /init timestamp printed
   * up to the end of its line (virtual time, so independent of host load);
   * undefined before the first.
   */
  readonly guestS?: number;
}

const TIMESTAMP = /^\[(?:init)?\s*(\d+\.\d+)\]/gm;

/** The last `[   1.234567]` / `[init   1.234]` timestamp in `text`, in seconds. */
export function lastTimestamp(text: string): number | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(TIMESTAMP)) last = m[1];
  return last === undefined ? undefined : Number(last);
}

/** The stages, in boot order (failure markers last). */
export const LINUX_STAGES: readonly StageSpec[] = [
  { id: "decompress", title: "decompressor runs", pattern: /Decompressing Linux|early console in/ },
  {
    id: "cpu-check",
    title: "CPU feature check FAILED",
    pattern: /requires the following features not present on the CPU:\s*\n?(.*)/,
  },
  { id: "version", title: "kernel starts", pattern: /Linux version (\S+)/ },
  {
    id: "no-fpu",
    title: "kernel gives up: no FPU",
    pattern: /(x86\/fpu: Giving up, no FPU found[^\n]*)/,
  },
  { id: "acpi", title: "ACPI tables found", pattern: /ACPI: RSDP (0x[0-9A-Fa-f]+.*)/ },
  {
    id: "tsc",
    title: "TSC calibrated",
    pattern: /tsc: (?:Detected|Fast TSC calibration|Refined TSC)[^\n]*?([\d.]+ MHz)/,
  },
  {
    id: "ioapic-timer",
    title: "timer through the IOAPIC",
    pattern: /(\.\.TIMER: vector=[^\n]*|IO-APIC \+ timer doesn't work![^\n]*)/,
  },
  {
    id: "clocksource",
    title: "clocksource chosen",
    pattern: /clocksource: Switched to clocksource (\S+)/,
  },
  { id: "initramfs", title: "initramfs unpacked", pattern: /(Freeing initrd memory[^\n]*)/ },
  { id: "run-init", title: "kernel runs /init", pattern: /Run (\/init) as init process/ },
  {
    id: "userspace",
    title: "userspace (our /init)",
    pattern: /\[init[^\]]*\] userspace reached: (.*)/,
  },
  {
    id: "vmx",
    title: "vmx in /proc/cpuinfo",
    pattern: /\[init[^\]]*\] vmx in \/proc\/cpuinfo: (\w+)/,
  },
  { id: "kvm-intel", title: "kvm_intel loaded", pattern: /\[init[^\]]*\] kvm_intel loaded: (\w+)/ },
  {
    id: "l2-output",
    title: "L2 output relayed by the client",
    pattern: /\[kvm-client\] L2 said: (.*)/,
  },
  {
    id: "client-exit",
    title: "KVM client finished",
    pattern: /\[init[^\]]*\] kvm-client exit status (\d+)/,
  },
  {
    id: "s3",
    title: "resumed from S3 (init.s3)",
    pattern: /\[init[^\]]*\] back from suspend to RAM: (\w+)/,
  },
  { id: "power-off", title: "clean power-off", pattern: /(reboot: Power down)/ },
  { id: "panic", title: "kernel panic", pattern: /Kernel panic - not syncing: (.*)/ },
];

/** Stages after which the guest can only spin (the harness stops it). */
export const TERMINAL_STAGES: readonly string[] = ["no-fpu", "cpu-check"];

/** Find each stage's first marking line in `transcript`; `at` maps an offset to its arrival time. */
export function scanStages(transcript: string, at: (offset: number) => number): BootStage[] {
  const out: BootStage[] = [];
  for (const spec of LINUX_STAGES) {
    const m = spec.pattern.exec(transcript);
    if (m === null) continue;
    const eol = transcript.indexOf("\n", m.index + m[0].length);
    const guestS = lastTimestamp(transcript.slice(0, eol < 0 ? transcript.length : eol));
    out.push({
      id: spec.id,
      offset: m.index,
      wallMs: at(m.index + m[0].length),
      detail: (m[1] ?? "").trim(),
      ...(guestS === undefined ? {} : { guestS }),
    });
  }
  return out;
}

/**
 * An expectation on a boot, written `ID` (the stage is reached) or
 * `ID=DETAIL` (reached, with exactly that detail), as `deno task linux
 * --expect` takes it.
 */
export interface StageExpectation {
  /** The stage's id (one of {@link LINUX_STAGES}). */
  readonly id: string;
  /** The detail it must have; undefined: any. */
  readonly detail?: string;
}

/** Parse `ID` or `ID=DETAIL`; an unknown stage id is an error (a typo would never match). */
export function parseExpectation(text: string): StageExpectation {
  const eq = text.indexOf("=");
  const id = eq < 0 ? text : text.slice(0, eq);
  if (!LINUX_STAGES.some((s) => s.id === id)) {
    throw new Error(
      `--expect ${text}: no stage "${id}" (stages: ${LINUX_STAGES.map((s) => s.id).join(", ")})`,
    );
  }
  return eq < 0 ? { id } : { id, detail: text.slice(eq + 1) };
}

/** The expectations `stages` does not meet, each as a sentence; empty when all hold. */
export function unmetExpectations(
  stages: readonly BootStage[],
  expectations: readonly StageExpectation[],
): string[] {
  const problems: string[] = [];
  for (const e of expectations) {
    const s = stages.find((x) => x.id === e.id);
    if (s === undefined) problems.push(`stage "${e.id}" was not reached`);
    else if (e.detail !== undefined && s.detail !== e.detail) {
      problems.push(`stage "${e.id}" says "${s.detail}", expected "${e.detail}"`);
    }
  }
  return problems;
}

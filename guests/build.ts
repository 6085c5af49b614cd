/**
 * Rebuilds every guest image with gcc, GNU ld and objcopy into
 * `guests/build/` (or the directory given as the first argument):
 * `deno task guests`. Builds are deterministic (relative paths,
 * `-ffile-prefix-map`, no debug info, `--build-id=none`,
 * `SOURCE_DATE_EPOCH=0`), so the committed images can be checked against
 * their sources (`tests/guest_images_test.ts`).
 *
 * 64-bit images are linked as ELF64 and shipped as ELF32 containers
 * (`objcopy -O elf32-i386`), as Multiboot loaders such as QEMU's expect;
 * `hello64-elf64.elf` keeps the ELF64 form and `hello32-aout.bin` is a flat
 * image booted through the a.out kludge.
 *
 * @module
 */

/** One guest image. */
export interface ImageSpec {
  /** Output file name in the build directory. */
  readonly out: string;
  /** 32-bit protected-mode runtime or 64-bit long-mode runtime. */
  readonly arch: 32 | 64;
  /** Program sources, relative to the repository root. */
  readonly sources: readonly string[];
  /**
   * Output form: ELF32 container (default), ELF64 as linked, a flat a.out-kludge binary, or a
   * flat boot-sector program linked at 0x7C00 without the runtime (`guests/src/boot/boot.ld`).
   */
  readonly form?: "elf32" | "elf64" | "aout-bin" | "boot-bin";
  /** Extra compiler flags. */
  readonly cflags?: readonly string[];
  /** Needs the host-computed checksum header (`expected.h`). */
  readonly needsExpected?: boolean;
  /** Link the VMX helpers (64-bit only). */
  readonly vmx?: boolean;
  /** Extra compiler flags for the image's own sources only (not the runtime), e.g. SSE. */
  readonly ownCflags?: readonly string[];
}

const RT = "guests/src/rt";
const RT_COMMON = ["rt.c", "serial.c", "printf.c", "tap.c", "idt.c"].map((f) => `${RT}/${f}`);
const RT64 = [`${RT}/entry64.S`, `${RT}/isr64.S`, ...RT_COMMON];
const RT32 = [`${RT}/entry32.S`, `${RT}/isr32.S`, ...RT_COMMON];
const RT_VMX = [`${RT}/vmx_asm.S`, `${RT}/vmcs.c`, `${RT}/ept.c`];

const CPU_TEST = [
  "guests/src/cpu/cpu_tests.c",
  "guests/src/cpu/checksums.c",
  "guests/src/cpu/cpu_sys.S",
];
const CPU_TEST64 = [...CPU_TEST, "guests/src/cpu/isa64.S"];

const BENCH = ["guests/src/bench/bench.c", "guests/src/bench/loop.S"];

/** Every image `deno task guests` builds. */
export const IMAGES: readonly ImageSpec[] = [
  { out: "hello64.elf", arch: 64, sources: ["guests/src/hello/hello.c"] },
  { out: "hello64-elf64.elf", arch: 64, sources: ["guests/src/hello/hello.c"], form: "elf64" },
  { out: "hello32.elf", arch: 32, sources: ["guests/src/hello/hello.c"] },
  {
    out: "cpu64.elf",
    arch: 64,
    sources: CPU_TEST64,
    needsExpected: true,
    cflags: ["-fcf-protection=full"],
  },
  { out: "cpu32.elf", arch: 32, sources: CPU_TEST, needsExpected: true },
  { out: "demo.elf", arch: 64, sources: ["guests/src/demo/demo.c"], vmx: true },
  {
    out: "vmx_basic.elf",
    arch: 64,
    sources: ["tests/vmx/vmx_basic.c", "tests/vmx/vmx_user.S", "guests/src/cpu/cpu_sys.S"],
    vmx: true,
  },
  { out: "devices64.elf", arch: 64, sources: ["guests/src/devices/devices.c"] },
  { out: "pmu64.elf", arch: 64, sources: ["guests/src/pmu/pmu.c", "guests/src/pmu/pmu_asm.S"] },
  {
    out: "acpi_s3.elf",
    arch: 64,
    sources: ["guests/src/acpi/s3.c", "guests/src/acpi/s3_wake.S"],
  },
  {
    out: "smp64.elf",
    arch: 64,
    sources: ["guests/src/smp/smp.c", "guests/src/smp/smp_tramp.S"],
  },
  {
    out: "smp_vmx64.elf",
    arch: 64,
    sources: ["guests/src/smp/smp_vmx.c", "guests/src/smp/smp_tramp.S"],
    vmx: true,
  },
  { out: "bench64.elf", arch: 64, sources: BENCH },
  {
    out: "smp_bench64.elf",
    arch: 64,
    sources: [
      "guests/src/smp/smp_bench.c",
      "guests/src/smp/smp_tramp.S",
      "guests/src/bench/loop.S",
    ],
  },
  {
    out: "fp64.elf",
    arch: 64,
    sources: ["guests/src/fp/fpwork.c", "guests/src/fp/fp_guest.c"],
    ownCflags: ["-msse2", "-fno-math-errno"],
  },
  {
    out: "fpbench64.elf",
    arch: 64,
    sources: ["guests/src/fp/fpwork.c", "guests/src/fp/fp_bench.c"],
    ownCflags: ["-msse2", "-fno-math-errno"],
  },
  {
    out: "x87_64.elf",
    arch: 64,
    sources: ["guests/src/x87/x87work.c", "guests/src/x87/x87_guest.c"],
    ownCflags: ["-m80387", "-mfpmath=387"],
  },
  { out: "bench32.elf", arch: 32, sources: BENCH },
  {
    out: "xpage64.elf",
    arch: 64,
    sources: ["guests/src/bench/xpage.c", "guests/src/bench/xpage.S"],
  },
  {
    out: "roundtrip64.elf",
    arch: 64,
    sources: ["guests/src/bench/roundtrip.c", "guests/src/bench/roundtrip.S"],
    vmx: true,
  },
  {
    out: "vmx_exits.elf",
    arch: 64,
    sources: ["tests/vmx/vmx_exits.c", "tests/vmx/vmx_exits_l2.S"],
    vmx: true,
  },
  ...[
    "vmx_instr_exits",
    "vmx_entry_errors",
    "vmx_events",
    "vmx_inject",
    "vmx_ept_faults",
    "vmx_io_l0",
    "vmx_l2_modes",
    "vmx_unrestricted",
    "vmx_host_state",
    "vmx_cpl3",
    "vmx_l2_gprs",
    "vmx_boundary",
    "vmx_abort",
    "vmx_xsave_fpu",
  ].map((name): ImageSpec => ({
    out: `${name}.elf`,
    arch: 64,
    sources: [`tests/vmx/${name}.c`, "tests/vmx/harness.c"],
    vmx: true,
  })),
  { out: "vmx32.elf", arch: 32, sources: ["tests/vmx/vmx32.c"] },
  { out: "vmx_fuzz.elf", arch: 64, sources: ["guests/src/vmxfuzz/vmx_fuzz.c"], vmx: true },
  {
    out: "hello32-aout.bin",
    arch: 32,
    sources: ["guests/src/hello/hello.c"],
    form: "aout-bin",
  },
  { out: "mbboot.bin", arch: 32, sources: ["guests/src/boot/mbboot.S"], form: "boot-bin" },
];

/** Result of {@link buildGuests}. */
export type BuildResult =
  | { readonly ok: true; readonly built: readonly string[] }
  | { readonly ok: false; readonly error: string };

const decoder = new TextDecoder();

async function run(cmd: string, args: string[], cwd: string): Promise<string | null> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: { SOURCE_DATE_EPOCH: "0", LC_ALL: "C", TZ: "UTC" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return null;
  return `${cmd} ${args.join(" ")}\n${decoder.decode(out.stderr)}${decoder.decode(out.stdout)}`;
}

/** True when gcc, ld and objcopy can be run. */
export async function toolchainAvailable(): Promise<boolean> {
  for (const tool of ["gcc", "ld", "objcopy"]) {
    try {
      const o = await new Deno.Command(tool, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (!o.success) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function cflags(arch: 32 | 64, root: string, extra: readonly string[], inc: string[]): string[] {
  const common = [
    "-std=gnu11",
    "-O2",
    "-ffreestanding",
    "-fno-builtin-printf",
    "-mgeneral-regs-only",
    "-fno-pic",
    "-fno-pie",
    "-nostdlib",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-fcf-protection=none",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    `-ffile-prefix-map=${root}=.`,
    `-I${RT}`,
    ...inc.map((i) => `-I${i}`),
  ];
  const archFlags = arch === 64
    ? ["-m64", "-mno-red-zone", "-mcmodel=small"]
    : ["-m32", "-march=i686"];
  return [...archFlags, ...common, ...extra];
}

/** The repository root (this file lives in guests/). */
export function repoRoot(): string {
  return new URL("..", import.meta.url).pathname.replace(/\/$/, "");
}

async function buildExpected(root: string, tmp: string): Promise<string | null> {
  const exe = `${tmp}/checksums_host`;
  const err = await run("gcc", [
    "-O2",
    "-std=gnu11",
    "-o",
    exe,
    "guests/src/cpu/checksums.c",
    "guests/src/cpu/checksums_host.c",
    "guests/src/cpu/isa64.S",
  ], root);
  if (err) return err;
  const out = await new Deno.Command(exe, { stdout: "piped", stderr: "piped" }).output();
  if (!out.success) return `checksums_host failed: ${decoder.decode(out.stderr)}`;
  await Deno.mkdir(`${tmp}/gen`, { recursive: true });
  await Deno.writeFile(`${tmp}/gen/expected.h`, out.stdout);
  return null;
}

async function buildImage(spec: ImageSpec, root: string, tmp: string, outDir: string) {
  const dir = `${tmp}/${spec.out}.d`;
  await Deno.mkdir(dir, { recursive: true });
  const boot = spec.form === "boot-bin";
  const sources = boot ? [...spec.sources] : [
    ...(spec.arch === 64 ? RT64 : RT32),
    ...(spec.vmx ? RT_VMX : []),
    ...spec.sources,
  ];
  const extra = [...(spec.cflags ?? []), ...(spec.form === "aout-bin" ? ["-DMB_AOUT"] : [])];
  const inc = spec.needsExpected ? [`${tmp}/gen`] : [];
  const objs: string[] = [];
  const errs = await Promise.all(sources.map((src, i) => {
    const obj = `${dir}/${i}.o`;
    objs.push(obj);
    const own = i >= sources.length - spec.sources.length ? spec.ownCflags ?? [] : [];
    return run(
      "gcc",
      [...cflags(spec.arch, root, [...extra, ...own], inc), "-c", src, "-o", obj],
      root,
    );
  }));
  const firstErr = errs.find((e) => e !== null);
  if (firstErr) return firstErr;
  const linked = `${dir}/linked.elf`;
  const ldErr = await run("ld", [
    "-m",
    spec.arch === 64 ? "elf_x86_64" : "elf_i386",
    "-T",
    boot ? "guests/src/boot/boot.ld" : `${RT}/link.ld`,
    "--build-id=none",
    "-z",
    "max-page-size=0x1000",
    "-z",
    "noexecstack",
    "--no-warn-rwx-segments",
    "-o",
    linked,
    ...objs,
  ], root);
  if (ldErr) return ldErr;
  const dest = `${outDir}/${spec.out}`;
  const form = spec.form ?? "elf32";
  if (form === "elf64" || (form === "elf32" && spec.arch === 32)) {
    await Deno.copyFile(linked, dest);
    return null;
  }
  if (form === "aout-bin" || form === "boot-bin") {
    return await run("objcopy", ["-O", "binary", linked, dest], root);
  }
  return await run("objcopy", ["-O", "elf32-i386", linked, dest], root);
}

/** File in the build directory recording the toolchain versions the images were built with. */
export const TOOLCHAIN_FILE = "toolchain.txt";

/** First version line of gcc, ld and objcopy, one per line. */
export async function toolchainVersions(): Promise<string> {
  const lines: string[] = [];
  for (const tool of ["gcc", "ld", "objcopy"]) {
    const o = await new Deno.Command(tool, { args: ["--version"], stdout: "piped", stderr: "null" })
      .output();
    lines.push(decoder.decode(o.stdout).split("\n")[0].trim());
  }
  return lines.join("\n") + "\n";
}

/** Build every image (or those whose name is in `only`) into `outDir`. */
export async function buildGuests(outDir: string, only?: readonly string[]): Promise<BuildResult> {
  const root = repoRoot();
  await Deno.mkdir(outDir, { recursive: true });
  const tmp = await Deno.makeTempDir({ prefix: "nestvm-guests-" });
  try {
    const images = IMAGES.filter((s) => !only || only.includes(s.out));
    if (images.some((s) => s.needsExpected)) {
      const err = await buildExpected(root, tmp);
      if (err) return { ok: false, error: err };
    }
    const built: string[] = [];
    for (const spec of images) {
      const err = await buildImage(spec, root, tmp, outDir);
      if (err) return { ok: false, error: `${spec.out}: ${err}` };
      built.push(spec.out);
    }
    await Deno.writeTextFile(`${outDir}/${TOOLCHAIN_FILE}`, await toolchainVersions());
    return { ok: true, built };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? `${repoRoot()}/guests/build`;
  const only = Deno.args.slice(1);
  if (!(await toolchainAvailable())) {
    console.error("gcc, ld and objcopy are required to build the guests");
    Deno.exit(2);
  }
  const r = await buildGuests(outDir, only.length ? only : undefined);
  if (!r.ok) {
    console.error(r.error);
    Deno.exit(1);
  }
  for (const f of r.built) console.log(`built ${outDir}/${f}`);
}

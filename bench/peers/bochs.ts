/**
 * Bochs 2.7 (Debian packages `bochs`, `bochsbios`, `vgabios`; the display
 * is the `rfb` plugin that ships with `bochs`, which does not wait for a
 * viewer with `timeout=0`). Bochs has no Multiboot loader, so each run boots
 * a hard-disk image built by boot_disk.ts: guests/build/mbboot.bin, which
 * loads the Multiboot ELF through the BIOS and enters it as the Multiboot
 * specification says. Bochs has no isa-debug-exit either: the run ends when
 * the guest's last line arrives on COM1 (copied to Bochs's stdout), and the
 * process is killed there. Debian builds Bochs with its internal debugger,
 * which stops before the first instruction: "c" on stdin continues.
 *
 * The CPU model is corei7_sandy_bridge_2600k (x86-64 and VMX, so W1 and the
 * round-trip guest run); 128 MiB of RAM as nestvm's and QEMU's default.
 * kvm-unit-tests' sieve.flat is not offered: booted this way it prints
 * "enabling apic" and then makes no progress (kvm-unit-tests targets QEMU's
 * machine).
 *
 * @module
 */

import { bootDisk } from "./boot_disk.ts";
import { runUntil } from "./process.ts";
import type { Runner } from "./types.ts";

/** BIOS images from the Debian packages `bochsbios` and `vgabios`. */
export const BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest";
/** VGA BIOS from the Debian package `vgabios`. */
export const BOCHS_VGABIOS = "/usr/share/vgabios/vgabios.bin";

/** The Bochs configuration for one run. */
export function bochsConfig(disk: string, cylinders: number): string {
  return [
    "megs: 128",
    `romimage: file=${BOCHS_BIOS}`,
    `vgaromimage: file=${BOCHS_VGABIOS}`,
    "cpu: model=corei7_sandy_bridge_2600k, count=1",
    'display_library: rfb, options="timeout=0"',
    `ata0-master: type=disk, path=${disk}, mode=flat, cylinders=${cylinders}, heads=16, spt=63`,
    "boot: disk",
    "com1: enabled=1, mode=file, dev=/dev/stdout",
    "log: /dev/null",
    "clock: sync=none",
    "speaker: enabled=0",
    "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy",
    "",
  ].join("\n");
}

/** Bochs booting through mbboot.bin; `root` is the repository root. */
export function bochsRunner(root: string, timeoutMs = 900_000): Runner {
  const loader = Deno.readFileSync(`${root}/guests/build/mbboot.bin`);
  return {
    name: "bochs",
    workloads: ["W1", "W2", "RT", "FP"],
    async run(job) {
      const elfPath = job.image.startsWith("/") ? job.image : `${root}/${job.image}`;
      const disk = bootDisk(loader, Deno.readFileSync(elfPath), job.append);
      if (!disk.ok) throw new Error(`bochs: ${job.image}: ${disk.error}`);
      const dir = await Deno.makeTempDir({ prefix: "nestvm-bochs-" });
      try {
        await Deno.writeFile(`${dir}/disk.img`, disk.image);
        await Deno.writeTextFile(`${dir}/bochsrc`, bochsConfig(`${dir}/disk.img`, disk.cylinders));
        return await runUntil("bochs", ["-f", `${dir}/bochsrc`], dir, job.done, "c\n", timeoutMs);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
}

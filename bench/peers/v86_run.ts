/**
 * Runs one Multiboot ELF32 image in v86 (the npm package `v86`, loaded at
 * run time so that type-checking the repository does not fetch it) and exits
 * when the guest's last line has been printed on COM1:
 *
 *   deno run -A --no-lock bench/peers/v86_run.ts IMAGE CMDLINE DONE_REGEXP [BIOS VGABIOS]
 *
 * v86's own Multiboot loader starts the image (ELF32 PT_LOAD segments, the
 * command line in the Multiboot information). With BIOS and VGABIOS paths
 * (Debian's `seabios` package: bios.bin, vgabios-stdvga.bin) the machine
 * boots SeaBIOS first and the loader runs as an option ROM, as QEMU's does;
 * without them v86 enters the kernel directly. COM1 output is copied to
 * stdout. Exit status 0 when DONE_REGEXP matched, 3 on a bad argument.
 *
 * @module
 */

/** The v86 release this runner was written against. */
export const V86_PACKAGE = "npm:v86@0.5.462";

if (import.meta.main) {
  const [image, cmdline, done, bios, vgaBios] = Deno.args;
  if (image === undefined || cmdline === undefined || done === undefined) {
    console.error("usage: v86_run.ts IMAGE CMDLINE DONE_REGEXP [BIOS VGABIOS]");
    Deno.exit(3);
  }
  const spec = V86_PACKAGE;
  const { V86 } = await import(spec);
  const wasm = new URL(import.meta.resolve(`${spec}/build/v86.wasm`)).pathname;
  const file = (path: string): { buffer: ArrayBuffer } => ({
    buffer: Deno.readFileSync(path).slice().buffer,
  });
  const options: Record<string, unknown> = {
    wasm_path: wasm,
    memory_size: 128 * 1024 * 1024,
    multiboot: file(image),
    cmdline,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  };
  if (bios !== undefined && vgaBios !== undefined) {
    options.bios = file(bios);
    options.vga_bios = file(vgaBios);
  }
  const finished = new RegExp(done);
  const emulator = new V86(options);
  let text = "";
  emulator.add_listener("serial0-output-byte", (byte: number) => {
    Deno.stdout.writeSync(new Uint8Array([byte]));
    text += String.fromCharCode(byte);
    if (byte === 10 && finished.test(text)) Deno.exit(0);
  });
}

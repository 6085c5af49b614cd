/**
 * Hard-disk image for guests/src/boot/mbboot.S: the loader, a parameter
 * sector (magic "NVMB", the ELF size, the kernel command line) and the
 * Multiboot ELF, padded to whole cylinders of 16 heads x 63 sectors so that
 * a BIOS disk geometry covers the file exactly.
 *
 * @module
 */

/** Bytes per sector. */
const SECTOR = 512;
/** One cylinder of the 16-head, 63-sectors-per-track geometry. */
export const CYLINDER_BYTES = 16 * 63 * SECTOR;
/** The loader reads the ELF into 0x10000..0x90000. */
const ELF_MAX = 512 * 1024;

/** Outcome of {@link bootDisk}. */
export type BootDisk =
  | { readonly ok: true; readonly image: Uint8Array; readonly cylinders: number }
  | { readonly ok: false; readonly error: string };

/** Build the disk: `loader` (whole sectors, boot signature at 510), `elf`, `cmdline`. */
export function bootDisk(loader: Uint8Array, elf: Uint8Array, cmdline: string): BootDisk {
  if (loader.length === 0 || loader.length % SECTOR !== 0) {
    return { ok: false, error: `loader is ${loader.length} bytes, not whole sectors` };
  }
  if (loader[510] !== 0x55 || loader[511] !== 0xaa) {
    return { ok: false, error: "loader has no boot signature" };
  }
  if (elf.length > ELF_MAX) {
    return { ok: false, error: `ELF is ${elf.length} bytes, the loader takes at most ${ELF_MAX}` };
  }
  const line = new TextEncoder().encode(cmdline);
  if (line.length > SECTOR - 17 || line.includes(0)) {
    return { ok: false, error: "command line longer than 495 bytes or containing NUL" };
  }
  const used = loader.length + SECTOR + Math.ceil(elf.length / SECTOR) * SECTOR;
  const cylinders = Math.ceil(used / CYLINDER_BYTES);
  const image = new Uint8Array(cylinders * CYLINDER_BYTES);
  image.set(loader, 0);
  const params = new DataView(image.buffer, loader.length, SECTOR);
  params.setUint32(0, 0x424d564e, true); // "NVMB"
  params.setUint32(4, elf.length, true);
  image.set(line, loader.length + 16);
  image.set(elf, loader.length + SECTOR);
  return { ok: true, image, cylinders };
}

/**
 * Small synthetic bzImages for tests: a boot sector with the signature, a
 * setup header with chosen fields, setup sectors, and a protected-mode part
 * holding the given code at offset 0 (32-bit entry) and 0x200 (64-bit entry).
 * Not a kernel: just enough for the loader and a few guest instructions.
 *
 * @module
 */

/** Fields a fixture may override. */
export interface FixtureFields {
  /** Protocol version (default 0x20f). */
  version?: number;
  /** setup_sects byte (default 1; 0 means 4). */
  setupSects?: number;
  /** loadflags (default 0x01 LOADED_HIGH). */
  loadflags?: number;
  /** xloadflags (default 0x03: 64-bit entry, loadable above 4 GiB). */
  xloadflags?: number;
  /** initrd_addr_max (default 0x7fffffff). */
  initrdAddrMax?: number;
  /** cmdline_size (default 2047). */
  cmdlineSize?: number;
  /** init_size (default 64 KiB). */
  initSize?: number;
  /** kernel_alignment (default 2 MiB). */
  kernelAlignment?: number;
  /** Byte at 0x201, the setup jump's displacement (default 0x66: header to 0x268). */
  jumpDisp?: number;
  /** Leave out the 0xAA55 boot signature. */
  noBootFlag?: boolean;
  /** Leave out "HdrS". */
  noHdrS?: boolean;
  /** Code placed at the start of the protected-mode part (32-bit entry). */
  code32?: readonly number[];
  /** Code placed at 0x200 in the protected-mode part (64-bit entry). */
  code64?: readonly number[];
  /** Size of the protected-mode part (default 1 KiB). */
  pmSize?: number;
}

/** Build a synthetic bzImage. */
export function fixtureBzImage(f: FixtureFields = {}): Uint8Array {
  const setupSects = f.setupSects ?? 1;
  const sects = setupSects === 0 ? 4 : setupSects;
  const pmSize = f.pmSize ?? 1024;
  const img = new Uint8Array((sects + 1) * 512 + pmSize);
  const dv = new DataView(img.buffer);
  img[0x1f1] = setupSects;
  dv.setUint32(0x1f4, Math.ceil(pmSize / 16), true);
  if (!f.noBootFlag) dv.setUint16(0x1fe, 0xaa55, true);
  img[0x200] = 0xeb;
  img[0x201] = f.jumpDisp ?? 0x66;
  if (!f.noHdrS) img.set([0x48, 0x64, 0x72, 0x53], 0x202);
  dv.setUint16(0x206, f.version ?? 0x20f, true);
  img[0x211] = f.loadflags ?? 0x01;
  dv.setUint32(0x214, 0x100000, true);
  dv.setUint32(0x22c, f.initrdAddrMax ?? 0x7fffffff, true);
  dv.setUint32(0x230, f.kernelAlignment ?? 0x200000, true);
  img[0x234] = 1;
  dv.setUint16(0x236, f.xloadflags ?? 0x03, true);
  dv.setUint32(0x238, f.cmdlineSize ?? 2047, true);
  dv.setUint32(0x260, f.initSize ?? 0x10000, true);
  const pm = (sects + 1) * 512;
  if (f.code32) img.set(f.code32, pm);
  if (f.code64) img.set(f.code64, pm + 0x200);
  return img;
}

/** Fields of a synthetic PVH ELF kernel. */
export interface PvhFixtureFields {
  /** 32-bit code at the entry (physical 0x100000). */
  code?: readonly number[];
  /** Physical load address of the one PT_LOAD segment (default 0x100000). */
  loadAddr?: number;
  /** PVH entry in the note (default: the load address); null leaves the note out. */
  entry?: number | null;
  /** Note owner (default "Xen"). */
  owner?: string;
}

/** Build a synthetic ELF64 kernel with one PT_LOAD segment and a XEN_ELFNOTE_PHYS32_ENTRY note. */
export function fixturePvhElf(f: PvhFixtureFields = {}): Uint8Array {
  const load = f.loadAddr ?? 0x100000;
  const code = f.code ?? [0xf4];
  const img = new Uint8Array(0x100 + 0x200);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 62, true); // x86-64
  dv.setUint32(20, 1, true);
  dv.setUint32(24, 0x81000000, true); // e_entry (virtual; unused by PVH)
  dv.setUint32(28, 0xffffffff, true);
  dv.setUint32(32, 64, true); // e_phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 2, true);
  // PT_LOAD: file 0x100, 0x200 bytes, plus 0x1000 of BSS.
  let ph = 64;
  dv.setUint32(ph, 1, true);
  dv.setUint32(ph + 4, 7, true);
  dv.setUint32(ph + 8, 0x100, true);
  dv.setUint32(ph + 16, load, true);
  dv.setUint32(ph + 24, load, true);
  dv.setUint32(ph + 32, 0x200, true);
  dv.setUint32(ph + 40, 0x1200, true);
  // PT_NOTE at file 0xb0.
  ph += 56;
  const note = 0xb0;
  dv.setUint32(ph, 4, true);
  dv.setUint32(ph + 8, note, true);
  dv.setUint32(ph + 32, f.entry === null ? 0 : 24, true);
  if (f.entry !== null) {
    const owner = f.owner ?? "Xen";
    dv.setUint32(note, 4, true);
    dv.setUint32(note + 4, 8, true);
    dv.setUint32(note + 8, 18, true);
    img.set(new TextEncoder().encode(owner.slice(0, 3)), note + 12);
    dv.setUint32(note + 16, f.entry ?? load, true);
  }
  img.set(code, 0x100);
  return img;
}

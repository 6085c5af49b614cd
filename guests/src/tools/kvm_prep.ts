/**
 * Helper of kvm_run.py: loads a Multiboot image with nestvm's loader into a
 * RAM image and writes the entry state as JSON, so the same guest can be
 * run under Linux KVM on the build host to compare with nestvm.
 *
 * Usage: deno run -A guests/src/tools/kvm_prep.ts IMAGE RAM_OUT STATE_OUT [CMDLINE] [MIB]
 *
 * @module
 */
import { ArrayMemory, describeLoadError, loadMultiboot } from "../../../boot/mod.ts";

const [img, memOut, stateOut, cmdline, mib] = Deno.args;
const mem = new ArrayMemory(Number(mib ?? 64) * 1024 * 1024);
const r = loadMultiboot(Deno.readFileSync(img), mem, { cmdline: cmdline ?? "" });
if (!r.ok) {
  console.error(describeLoadError(r.error));
  Deno.exit(2);
}
Deno.writeFileSync(memOut, mem.bytes);
Deno.writeTextFileSync(stateOut, JSON.stringify(r.entry));

/**
 * Reproducibility check: when gcc, ld and objcopy are present, rebuild every
 * guest image into a temporary directory and require it to be
 * byte-identical to the committed image in guests/build/. Without a
 * toolchain the test is skipped with a message (it checks that the
 * committed binaries match their sources, not guest behaviour).
 */
import assert from "node:assert/strict";
import {
  buildGuests,
  IMAGES,
  repoRoot,
  TOOLCHAIN_FILE,
  toolchainAvailable,
  toolchainVersions,
} from "../guests/build.ts";

const haveToolchain = await toolchainAvailable();
let sameToolchain = false;
if (!haveToolchain) {
  console.log("guest_images_test: gcc/ld/objcopy not found, skipping the rebuild check");
} else {
  const committed = await Deno.readTextFile(`${repoRoot()}/guests/build/${TOOLCHAIN_FILE}`).catch(
    () => "",
  );
  const local = await toolchainVersions();
  sameToolchain = committed === local;
  if (!sameToolchain) {
    console.log(
      `guest_images_test: the images were built with\n${committed}but this machine has\n${local}` +
        "skipping the byte-for-byte rebuild check (other compiler versions emit other code)",
    );
  }
}

Deno.test({
  name: "committed guest images are byte-identical to a fresh rebuild",
  ignore: !haveToolchain || !sameToolchain,
  permissions: { read: true, write: true, run: true, env: true },
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "nestvm-rebuild-" });
    try {
      const r = await buildGuests(tmp);
      if (!r.ok) assert.fail(r.error);
      assert.equal(r.built.length, IMAGES.length);
      const mismatched: string[] = [];
      for (const name of r.built) {
        const fresh = await Deno.readFile(`${tmp}/${name}`);
        let committed: Uint8Array;
        try {
          committed = await Deno.readFile(`${repoRoot()}/guests/build/${name}`);
        } catch {
          mismatched.push(`${name} (not committed)`);
          continue;
        }
        if (fresh.length !== committed.length || fresh.some((b, i) => b !== committed[i])) {
          mismatched.push(name);
        }
      }
      assert.deepEqual(mismatched, [], "run `deno task guests` and commit guests/build/");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("every committed guest image is listed in guests/build.ts", async () => {
  const listed = new Set(IMAGES.map((s) => s.out));
  for await (const e of Deno.readDir(`${repoRoot()}/guests/build`)) {
    if (e.isFile && e.name !== TOOLCHAIN_FILE) {
      assert.ok(listed.has(e.name), `${e.name} is not built by guests/build.ts`);
    }
  }
});

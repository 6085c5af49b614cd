import assert from "node:assert/strict";
import { buildCpio } from "./cpio.ts";

const dec = new TextDecoder();

Deno.test("cpio newc: headers, names and data are 4-byte aligned, fields as given", () => {
  const a = buildCpio([
    { kind: "dir", path: "/dev" },
    { kind: "char", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "init", data: new Uint8Array([1, 2, 3]), mode: 0o755 },
  ]);
  assert.equal(a.length % 4, 0);
  const h = (off: number, field: number): number =>
    parseInt(dec.decode(a.subarray(off + 6 + 8 * field, off + 14 + 8 * field)), 16);
  assert.equal(dec.decode(a.subarray(0, 6)), "070701");
  assert.equal(h(0, 1), 0o040755);
  assert.equal(dec.decode(a.subarray(110, 113)), "dev");
  // second member: 110 + "dev\0" (4) = 114, padded to 116
  assert.equal(dec.decode(a.subarray(116, 122)), "070701");
  assert.equal(h(116, 1), 0o020600);
  assert.deepEqual([h(116, 9), h(116, 10)], [5, 1]);
  const third = 116 + 124; // "dev/console\0" is 12 bytes: 110 + 12 = 122, padded to 124
  assert.equal(h(third, 6), 3);
  assert.equal(h(third, 1), 0o100755);
  const dataAt = third + 116; // "init\0" is 5 bytes: 110 + 5 = 115, padded to 116
  assert.deepEqual([...a.subarray(dataAt, dataAt + 3)], [1, 2, 3]);
  assert.match(dec.decode(a.subarray(a.length - 20)), /TRAILER!!!/);
});

const hasCpio = (() => {
  try {
    return new Deno.Command("cpio", { args: ["--version"], stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "cpio newc: GNU cpio lists the archive as written (needs cpio)",
  ignore: !hasCpio,
  fn: async () => {
    const a = buildCpio([
      { kind: "dir", path: "bin" },
      { kind: "file", path: "bin/hello", data: new TextEncoder().encode("hello world\n") },
      { kind: "symlink", path: "bin/sh", target: "hello" },
      { kind: "char", path: "console", major: 5, minor: 1 },
    ]);
    const p = new Deno.Command("cpio", {
      args: ["-itv"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
    const w = p.stdin.getWriter();
    await w.write(a);
    await w.close();
    const r = await p.output();
    const out = dec.decode(r.stdout);
    assert.ok(r.success, dec.decode(r.stderr));
    assert.match(out, /^drwxr-xr-x .* bin$/m);
    assert.match(out, /^-rw-r--r-- .* 12 .* bin\/hello$/m);
    assert.match(out, /^lrwxrwxrwx .* bin\/sh -> hello$/m);
    assert.match(out, /^crw------- .* 5,\s+1 .* console$/m);
  },
});

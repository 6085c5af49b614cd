import assert from "node:assert/strict";
import { VMX_CAPABILITY_NAMES } from "./vmx_capability_names.ts";

Deno.test("vmx capability names: QEMU's spelling, one bit each, no bit named twice", () => {
  const seen = new Map<string, string>();
  for (const [name, c] of Object.entries(VMX_CAPABILITY_NAMES)) {
    assert.match(name, /^vmx-[a-z0-9-]+$/, name);
    assert.ok(c.bits > 0 && (c.bits & (c.bits - 1)) === 0, `${name}: one bit`);
    const key = `${c.word}:${c.bits}`;
    assert.equal(seen.get(key), undefined, `${name} and ${seen.get(key)} name one bit`);
    seen.set(key, name);
  }
  assert.deepEqual(VMX_CAPABILITY_NAMES["vmx-ept"], { word: "proc2", bits: 2 });
  assert.deepEqual(VMX_CAPABILITY_NAMES["vmx-invvpid-single-addr"], { word: "vpid", bits: 1 << 8 });
});

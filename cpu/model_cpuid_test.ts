import assert from "node:assert/strict";
import { cpuidLeaf, type CpuidRegs, defaultModel } from "./model.ts";

function vendor(r: CpuidRegs): string {
  const s = [r.ebx, r.edx, r.ecx].map((v) =>
    String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24)
  );
  return s.join("");
}

Deno.test("CPUID leaf 0: each model answers with its own vendor string, however calls interleave", () => {
  const intel = defaultModel();
  const other = { ...defaultModel(), vendor: "AuthenticAMD" };
  const short = { ...defaultModel(), vendor: "Nest" };
  const r: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  for (let i = 0; i < 3; i++) {
    cpuidLeaf(intel, 0, 0, r);
    assert.equal(vendor(r), "GenuineIntel");
    assert.equal(r.eax, intel.maxBasicLeaf ?? 0xd, "EAX: the model's highest basic leaf");
    cpuidLeaf(other, 0, 0, r);
    assert.equal(vendor(r), "AuthenticAMD");
    cpuidLeaf(short, 0, 0, r);
    assert.equal(vendor(r), "Nest        ", "padded with spaces");
  }
  // A model whose vendor is changed answers with the new one.
  intel.vendor = "GenuineIotel";
  cpuidLeaf(intel, 0, 0, r);
  assert.equal(vendor(r), "GenuineIotel");
});

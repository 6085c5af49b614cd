import assert from "node:assert/strict";
import { Code, Decoder, DecoderOptions, Mnemonic } from "iced-x86";
import { decodeBytes, DecodedInsn, mnemonic, Op } from "./mod.ts";

Deno.test("x87: every D8-DF ModRM byte agrees with iced-x86 (validity, length, mnemonic) in all modes", () => {
  let checked = 0;
  for (const mode of [16, 32, 64] as const) {
    for (let esc = 0xd8; esc <= 0xdf; esc++) {
      for (let m = 0; m < 256; m++) {
        const bytes = new Uint8Array([esc, m, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
        const d = new Decoder(mode, bytes, DecoderOptions.None);
        const ins = d.decode();
        const o = new DecodedInsn();
        decodeBytes(bytes, 0, mode, o);
        const where = `${mode}-bit ${esc.toString(16)} ${m.toString(16)}`;
        const icedValid = ins.code !== Code.INVALID;
        assert.equal(o.op !== Op.INVALID, icedValid, "validity " + where);
        if (icedValid) {
          assert.equal(o.op, Op.X87, where);
          assert.equal(o.len, ins.length, "length " + where);
          const im = Mnemonic[ins.mnemonic].toLowerCase();
          assert.equal(mnemonic(o), im, "mnemonic " + where);
          checked++;
        }
        ins.free();
        d.free();
      }
    }
  }
  assert.ok(checked > 5000, `${checked} encodings checked`);
});

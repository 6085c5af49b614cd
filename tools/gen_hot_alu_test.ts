/**
 * The ALU section of cpu/hot_alu.ts is what tools/gen_hot_alu.ts generates:
 * regenerating changes nothing, and an edit inside the section is undone
 * by regenerating.
 */
import assert from "node:assert/strict";
import { BEGIN, END, generate, OPS, withGenerated } from "./gen_hot_alu.ts";
import * as F from "../cpu/hot_alu.ts";

const path = new URL("../cpu/hot_alu.ts", import.meta.url);

Deno.test("cpu/hot_alu.ts: regenerating its ALU section changes nothing", () => {
  const text = Deno.readTextFileSync(path);
  assert.equal(withGenerated(text), text);
});

Deno.test("gen_hot_alu: a hand edit inside the section is replaced by the generated text", () => {
  const text = Deno.readTextFileSync(path);
  const edited = text.replace("u.kind = K_ADD;", "u.kind = K_SUB;");
  assert.notEqual(edited, text);
  assert.equal(withGenerated(edited), text);
  assert.ok(text.indexOf(BEGIN) < text.indexOf(END));
});

Deno.test("gen_hot_alu: every described operation has its four handlers in fastAlu", () => {
  const src = generate();
  for (const o of OPS) {
    for (const imm of [false, true]) {
      for (const size of [4, 8]) {
        const name = `${o.name}${imm ? "RI" : "RR"}${size * 8}`;
        const h = F.fastAlu(o.k, imm, size);
        assert.equal(h?.name, name);
        assert.ok(src.includes(`export function ${name}(`));
      }
    }
  }
  assert.equal(F.fastAlu(2, false, 4), null, "ADC has no specialised handler");
});

/**
 * The target description (`qXfer:features:read:target.xml`) built from the
 * register table: architecture i386:x86-64, one `<feature>` per group of
 * registers, with the flag and vector types the registers name. gdb
 * numbers registers by the order of `<reg>` elements, which is the table's
 * order, so `g`/`p`/`P` and the description always agree.
 *
 * @module
 */

import { type RegisterDef, type RegisterFeature, REGISTERS } from "./registers.ts";

const EFLAGS_BITS: readonly [string, number][] = [
  ["CF", 0],
  ["", 1],
  ["PF", 2],
  ["AF", 4],
  ["ZF", 6],
  ["SF", 7],
  ["TF", 8],
  ["IF", 9],
  ["DF", 10],
  ["OF", 11],
  ["NT", 14],
  ["RF", 16],
  ["VM", 17],
  ["AC", 18],
  ["VIF", 19],
  ["VIP", 20],
  ["ID", 21],
];

const MXCSR_BITS: readonly [string, number][] = [
  ["IE", 0],
  ["DE", 1],
  ["ZE", 2],
  ["OE", 3],
  ["UE", 4],
  ["PE", 5],
  ["DAZ", 6],
  ["IM", 7],
  ["DM", 8],
  ["ZM", 9],
  ["OM", 10],
  ["UM", 11],
  ["PM", 12],
  ["FZ", 15],
];

function flags(id: string, bits: readonly [string, number][]): string {
  const fields = bits.map(([n, b]) => `    <field name="${n}" start="${b}" end="${b}"/>`);
  return [`  <flags id="${id}" size="4">`, ...fields, "  </flags>"].join("\n");
}

/** Type definitions a feature needs before its registers. */
const FEATURE_TYPES: Readonly<Partial<Record<RegisterFeature, string>>> = {
  "org.gnu.gdb.i386.core": flags("i386_eflags", EFLAGS_BITS),
  "org.gnu.gdb.i386.sse": [
    '  <vector id="v8bf16" type="bfloat16" count="8"/>',
    '  <vector id="v4f" type="ieee_single" count="4"/>',
    '  <vector id="v2d" type="ieee_double" count="2"/>',
    '  <vector id="v16i8" type="int8" count="16"/>',
    '  <vector id="v8i16" type="int16" count="8"/>',
    '  <vector id="v4i32" type="int32" count="4"/>',
    '  <vector id="v2i64" type="int64" count="2"/>',
    '  <union id="vec128">',
    '    <field name="v8_bfloat16" type="v8bf16"/>',
    '    <field name="v4_float" type="v4f"/>',
    '    <field name="v2_double" type="v2d"/>',
    '    <field name="v16_int8" type="v16i8"/>',
    '    <field name="v8_int16" type="v8i16"/>',
    '    <field name="v4_int32" type="v4i32"/>',
    '    <field name="v2_int64" type="v2i64"/>',
    '    <field name="uint128" type="uint128"/>',
    "  </union>",
    flags("i386_mxcsr", MXCSR_BITS),
  ].join("\n"),
};

function regXml(r: RegisterDef, regnum: number): string {
  const group = r.group ? ` group="${r.group}"` : "";
  return `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${regnum}"${group}/>`;
}

/** The complete target description for `registers` (default: the stub's table). */
export function targetXml(registers: readonly RegisterDef[] = REGISTERS): string {
  const features: RegisterFeature[] = [];
  for (const r of registers) if (!features.includes(r.feature)) features.push(r.feature);
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    "<target>",
    "<architecture>i386:x86-64</architecture>",
  ];
  for (const f of features) {
    lines.push(`<feature name="${f}">`);
    const types = FEATURE_TYPES[f];
    if (types) lines.push(types);
    registers.forEach((r, i) => {
      if (r.feature === f) lines.push(regXml(r, i));
    });
    lines.push("</feature>");
  }
  lines.push("</target>");
  return lines.join("\n") + "\n";
}

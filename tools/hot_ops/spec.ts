/**
 * The one description of the interpreter's hot handlers, from which
 * `tools/hot_ops/gen.ts` writes:
 *
 * - `cpu/hot_alu.ts`: a handler per operation, form and size for the
 *   register-destination ALU operations ({@link BINARY_OPS}), INC/DEC
 *   ({@link UNARY_OPS}) and TEST ({@link TEST_FORMS}); the lookups
 *   `fastAlu`, `fastIncDec` and `fastTest` that `cpu/dispatch.ts` selects
 *   them with (a form not described here gets the general handler); the
 *   lists `FAST_ALU_HANDLERS` and `GENERATED_HANDLERS` for the block
 *   compiler's plan;
 * - `cpu/hot_table.ts`: the dispatch ids ({@link HOT}, in order) and
 *   `hotId`;
 * - the run loop's `switch` in `cpu/cpu.ts` (a direct, inlinable call per
 *   id) and the imports it needs.
 *
 * Edit this file, then run `deno run -A tools/hot_ops/gen.ts`;
 * `tools/hot_ops/gen_test.ts` fails while any output differs from what
 * this description gives.
 *
 * @module
 */

/** The `cpu/` modules a hot handler comes from, by the alias the generated code uses. */
export const MODULES = {
  A: "./exec_alu.ts",
  C: "./exec_control.ts",
  D: "./exec_data.ts",
  F: "./hot_alu.ts",
  H: "./hot_mov_shift_jcc.ts",
  Y: "./exec_system.ts",
} as const;

/** A module alias of {@link MODULES}. */
export type ModuleAlias = keyof typeof MODULES;

/**
 * A two-operand ALU operation with a specialised register-destination
 * handler in each of four forms: `r32, r32`, `r32, imm`, `r64, r64`,
 * `r64, imm` (named e.g. `addRR32`, `addRI64`).
 */
export interface BinaryOp {
  /** Handler name prefix and mnemonic (lower case). */
  readonly name: string;
  /** Operation index 0..7 as in `Insn.x` (ADD OR ADC SBB AND SUB XOR CMP). */
  readonly k: number;
  /** Lazy flags: "add" (K_ADD), "sub" (K_SUB), "logic" (K_LOGIC with `op`), "cmp" (K_SUB, no write). */
  readonly kind: "add" | "sub" | "logic" | "cmp";
  /** JS operator of a logic operation. */
  readonly op?: "|" | "&" | "^";
}

/** The operations with specialised handlers (ADC and SBB use the general one). */
export const BINARY_OPS: readonly BinaryOp[] = [
  { name: "add", k: 0, kind: "add" },
  { name: "or", k: 1, kind: "logic", op: "|" },
  { name: "and", k: 4, kind: "logic", op: "&" },
  { name: "sub", k: 5, kind: "sub" },
  { name: "xor", k: 6, kind: "logic", op: "^" },
  { name: "cmp", k: 7, kind: "cmp" },
];

/**
 * INC or DEC of a 32- or 64-bit register (named e.g. `incR32`): lazy kind
 * K_INC / K_DEC with b = 1 and the old CF kept in `fx`.
 */
export interface UnaryOp {
  /** Handler name prefix and mnemonic. */
  readonly name: "inc" | "dec";
  /** Operand size in bytes. */
  readonly size: 4 | 8;
}

/** `Insn.x` of INC and DEC as `dispatch.ts` sets it (the `fastIncDec` key). */
export const UNARY_INDEX = { inc: 0, dec: 1 } as const;

/** The INC/DEC handlers, in file order. */
export const UNARY_OPS: readonly UnaryOp[] = [
  { name: "inc", size: 4 },
  { name: "dec", size: 4 },
  { name: "inc", size: 8 },
  { name: "dec", size: 8 },
];

/**
 * A TEST form with a register first operand (named e.g. `testRR32`,
 * `testRI8`): lazy kind K_LOGIC, nothing written back. Size 1 reads the
 * byte register `Insn.rm8` (AL..R15B, AH..BH).
 */
export interface TestForm {
  /** Second operand: a register (`i.reg`) or the immediate. */
  readonly src: "reg" | "imm";
  /** Operand size in bytes. */
  readonly size: 1 | 4 | 8;
}

/** The TEST handlers, in file order. */
export const TEST_FORMS: readonly TestForm[] = [
  { src: "reg", size: 4 },
  { src: "imm", size: 4 },
  { src: "reg", size: 8 },
  { src: "imm", size: 1 },
];

/**
 * One dispatch id: the handler (module alias and export name) and what the
 * run loop does for it. "call": a direct call (V8 can inline it); "empty":
 * nothing (the handler does nothing; `note` says why); "none": no case
 * (id 0 only: "not hot", the call through `Insn.h`).
 */
export interface HotEntry {
  /** Module alias ({@link MODULES}). */
  readonly mod: ModuleAlias;
  /** Exported handler name in that module. */
  readonly name: string;
  /** What the run loop's case does (default "call"). */
  readonly loop?: "call" | "empty" | "none";
  /** Comment for an "empty" case. */
  readonly note?: string;
}

/** The four forms of a {@link BinaryOp}, in file order: [immediate source, size in bytes]. */
export const BINARY_FORMS: readonly (readonly [boolean, 4 | 8])[] = [
  [false, 4],
  [true, 4],
  [false, 8],
  [true, 8],
];

/** Handler name of a {@link BinaryOp} form, e.g. `addRR32`, `cmpRI64`. */
export function binaryName(o: BinaryOp, imm: boolean, size: 4 | 8): string {
  return `${o.name}${imm ? "RI" : "RR"}${size * 8}`;
}

/** Handler name of a {@link UnaryOp}, e.g. `incR32`. */
export function unaryName(o: UnaryOp): string {
  return `${o.name}R${o.size * 8}`;
}

/** Handler name of a {@link TestForm}, e.g. `testRR64`, `testRI8`. */
export function testName(t: TestForm): string {
  return `test${t.src === "imm" ? "RI" : "RR"}${t.size * 8}`;
}

/** The 24 generated ALU handlers in `FAST_ALU_HANDLERS` order. */
const FAST_ALU: readonly HotEntry[] = BINARY_OPS.flatMap((o) =>
  BINARY_FORMS.map(([imm, size]) => ({ mod: "F" as const, name: binaryName(o, imm, size) }))
);

/**
 * The hot handlers by dispatch id (the index). Every handler of
 * `cpu/hot_alu.ts` is listed (the generator checks), each handler once.
 */
export const HOT: readonly HotEntry[] = [
  { mod: "Y", name: "undef", loop: "none" },
  { mod: "A", name: "aluRegDst" },
  { mod: "D", name: "movRR" },
  { mod: "H", name: "movGMf" },
  { mod: "H", name: "movMGf" },
  { mod: "H", name: "jccF" },
  { mod: "A", name: "aluEdst" },
  { mod: "A", name: "aluGdst" },
  { mod: "H", name: "leaF" },
  { mod: "H", name: "shiftR32I" },
  { mod: "A", name: "test" },
  { mod: "H", name: "imulR" },
  { mod: "D", name: "pushR" },
  { mod: "D", name: "popR" },
  { mod: "C", name: "callRel" },
  { mod: "C", name: "retNear" },
  { mod: "C", name: "jmpRel" },
  { mod: "D", name: "movEI" },
  { mod: "D", name: "movx" },
  ...FAST_ALU,
  { mod: "F", name: "incR32" },
  { mod: "F", name: "decR32" },
  { mod: "F", name: "incR64" },
  { mod: "F", name: "decR64" },
  { mod: "F", name: "testRR32" },
  { mod: "F", name: "testRI32" },
  { mod: "F", name: "testRR64" },
  { mod: "H", name: "shiftR64I" },
  { mod: "F", name: "testRI8" },
  { mod: "H", name: "movzxR8" },
  { mod: "Y", name: "nop", loop: "empty", note: "NOP, ENDBR, fences: nothing to do." },
  { mod: "H", name: "shiftR32IKeep" },
  { mod: "H", name: "shiftR64IKeep" },
];

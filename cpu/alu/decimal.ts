/**
 * BCD adjustment (DAA DAS AAA AAS AAM AAD) for {@link Alu}.
 *
 * @module
 */
import type { Alu } from "./alu.ts";

/** DAA. */
export function daa(_alu: Alu, al: number): number {
  return al;
}
/** DAS. */
export function das(_alu: Alu, al: number): number {
  return al;
}
/** AAA. */
export function aaa(_alu: Alu, ax: number): number {
  return ax;
}
/** AAS. */
export function aas(_alu: Alu, ax: number): number {
  return ax;
}
/** AAM. */
export function aam(_alu: Alu, al: number, _imm: number): number {
  return al;
}
/** AAD. */
export function aad(_alu: Alu, ax: number, _imm: number): number {
  return ax;
}

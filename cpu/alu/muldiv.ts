/**
 * MUL, IMUL (all forms), DIV, IDIV for {@link Alu}.
 *
 * @module
 */
import type { Alu } from "./alu.ts";

/** One-operand MUL/IMUL. */
export function mul(
  _alu: Alu,
  _size: number,
  _aLo: number,
  _aHi: number,
  _bLo: number,
  _bHi: number,
  _signed: boolean,
): number {
  return 0; // TODO
}
/** Two/three-operand IMUL. */
export function imul(
  _alu: Alu,
  _size: number,
  _aLo: number,
  _aHi: number,
  _bLo: number,
  _bHi: number,
): number {
  return 0;
}
/** DIV/IDIV: 0 ok, 1 #DE. */
export function div(
  _alu: Alu,
  _size: number,
  _aLo: number,
  _aHi: number,
  _dLo: number,
  _dHi: number,
  _sLo: number,
  _sHi: number,
  _signed: boolean,
): number {
  return 1;
}

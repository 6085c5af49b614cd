/**
 * Bit operations (BT BTS BTR BTC BSF BSR TZCNT LZCNT POPCNT BSWAP) for {@link Alu}.
 *
 * @module
 */
import type { Alu } from "./alu.ts";

/** BT. */
export function bt(_alu: Alu, _size: number, _aLo: number, _aHi: number, _bit: number): void {}
/** BTS/BTR/BTC (op 1/2/3). */
export function btx(
  _alu: Alu,
  _size: number,
  aLo: number,
  _aHi: number,
  _bit: number,
  _op: number,
): number {
  return aLo;
}
/** BSF. */
export function bsf(_alu: Alu, _size: number, _aLo: number, _aHi: number): number {
  return -1;
}
/** BSR. */
export function bsr(_alu: Alu, _size: number, _aLo: number, _aHi: number): number {
  return -1;
}
/** TZCNT. */
export function tzcnt(_alu: Alu, _size: number, _aLo: number, _aHi: number): number {
  return 0;
}
/** LZCNT. */
export function lzcnt(_alu: Alu, _size: number, _aLo: number, _aHi: number): number {
  return 0;
}
/** POPCNT. */
export function popcnt(_alu: Alu, _size: number, _aLo: number, _aHi: number): number {
  return 0;
}
/** BSWAP. */
export function bswap(_alu: Alu, _size: number, aLo: number, _aHi: number): number {
  return aLo;
}

/**
 * Shifts and rotates (SHL SHR SAR ROL ROR RCL RCR SHLD SHRD) for {@link Alu}.
 *
 * @module
 */
import type { Alu } from "./alu.ts";

/** SHL/SAL. */
export function shl(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo; // TODO
}
/** SHR. */
export function shr(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** SAR. */
export function sar(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** ROL. */
export function rol(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** ROR. */
export function ror(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** RCL. */
export function rcl(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** RCR. */
export function rcr(_alu: Alu, _size: number, aLo: number, _aHi: number, _count: number): number {
  return aLo;
}
/** SHLD. */
export function shld(
  _alu: Alu,
  _size: number,
  aLo: number,
  _aHi: number,
  _bLo: number,
  _bHi: number,
  _count: number,
): number {
  return aLo;
}
/** SHRD. */
export function shrd(
  _alu: Alu,
  _size: number,
  aLo: number,
  _aHi: number,
  _bLo: number,
  _bHi: number,
  _count: number,
): number {
  return aLo;
}

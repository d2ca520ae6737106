import { cpuFloat32Result, cpuFloat32Values } from '../internal/tfjs-internals.js';

/** The float32 values of `t` on the cpu backend (not a copy), or `undefined` when `t` is not float32. */
export const float32Values = cpuFloat32Values;

/** A new float32 tensor on the cpu backend that owns `values`. */
export const float32Result = cpuFloat32Result;

/** Number of elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

import type * as tf from '@tensorflow/tfjs-core';
import { float32Result, float32Values } from './cpu-data.js';

// Eigen's float32 rational approximation of tanh (a 13/6-degree odd/even minimax rational on
// [−9, 9], outside of which tanh is ±1 in float32): `generic_fast_tanh_float` in
// Eigen/src/Core/MathFunctionsImpl.h (Eigen 3.3, Pedro Gonnet 2014, MPL-2.0). The coefficients
// are Eigen's float literals rounded to float32, as Eigen evaluates them.
const A1 = Math.fround(4.89352455891786e-3);
const A3 = Math.fround(6.37261928875436e-4);
const A5 = Math.fround(1.48572235717979e-5);
const A7 = Math.fround(5.12229709037114e-8);
const A9 = Math.fround(-8.60467152213735e-11);
const A11 = Math.fround(2.00018790482477e-13);
const A13 = Math.fround(-2.76076847742355e-16);
const B0 = Math.fround(4.89352518554385e-3);
const B2 = Math.fround(2.268434632439e-3);
const B4 = Math.fround(1.18534705686654e-4);
const B6 = Math.fround(1.19825839466702e-6);
/** Below |x| = 0.3 the Taylor series (to x¹¹) is used: its truncation error is < 2e-9 relative. */
const TAYLOR_X2 = 0.09;
const T3 = -1 / 3;
const T5 = 2 / 15;
const T7 = -17 / 315;
const T9 = 62 / 2835;
const T11 = -1382 / 155925;

/**
 * tanh for values that will be stored as float32: within 1 float32 ulp of `Math.tanh(x)` rounded
 * to float32 (tested over a dense grid of float32 inputs). Eigen's rational (see above) on
 * 0.3 ≤ |x| ≤ 9, its argument clamped to ±9 (so ±Infinity gives ±1); the Taylor series below
 * 0.3, where the rational's relative error exceeds 2 ulp. NaN gives NaN; −0 gives −0.
 */
export function fastTanh(x0: number): number {
  const x = Math.min(9, Math.max(-9, x0));
  const x2 = x * x;
  if (x2 < TAYLOR_X2) return x * (1 + x2 * (T3 + x2 * (T5 + x2 * (T7 + x2 * (T9 + x2 * T11)))));
  const p = x * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))));
  return p / (B0 + x2 * (B2 + x2 * (B4 + x2 * B6)));
}

/** The Tanh kernel for float32 inputs via {@link fastTanh}; other dtypes go to `original`. */
export function fastTanhKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    const xv = float32Values(args.backend, x);
    if (xv === undefined || x === undefined) return original(args);
    const out = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i++) out[i] = fastTanh(xv[i] as number);
    return float32Result(args.backend, x.shape.slice(), out);
  };
}

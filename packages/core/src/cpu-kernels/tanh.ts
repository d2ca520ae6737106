import type * as tf from '@tensorflow/tfjs-core';
import { float32Result, float32Values } from './cpu-data.js';

// Eigen's float32 rational approximation of tanh, p(x)/q(x) with p odd of degree 13 and q even of
// degree 6, minimax on [−9, 9] (outside of which tanh is ±1 in float32):
// `generic_fast_tanh_float` in Eigen/src/Core/MathFunctionsImpl.h (Eigen 3.3, Pedro Gonnet 2014,
// MPL-2.0), its coefficients Eigen's float literals rounded to float32. Evaluated here as
// x + x³·r(x²)/q(x²) with r = (p − x·q)/x³ minus its constant α₁ − β₀ (≈ −6e-10): the leading
// term is then exact, so small |x| no longer loses 2–3 ulp to α₁/β₀ ≠ 1, and no branch is needed.
const A9 = Math.fround(-8.60467152213735e-11);
const A11 = Math.fround(2.00018790482477e-13);
const A13 = Math.fround(-2.76076847742355e-16);
const B0 = Math.fround(4.89352518554385e-3);
const B2 = Math.fround(2.268434632439e-3);
const B4 = Math.fround(1.18534705686654e-4);
const B6 = Math.fround(1.19825839466702e-6);
const D3 = Math.fround(6.37261928875436e-4) - B2; // α₃ − β₂
const D5 = Math.fround(1.48572235717979e-5) - B4; // α₅ − β₄
const D7 = Math.fround(5.12229709037114e-8) - B6; // α₇ − β₆

/**
 * tanh for values that will be stored as float32: within 2 float32 ulp of `Math.tanh(x)` rounded
 * to float32 (checked exhaustively over every float32; tested on a dense grid). The argument is
 * clamped to ±9, so ±Infinity gives ±1; NaN gives NaN; −0 gives −0.
 */
export function fastTanh(x0: number): number {
  const x = Math.min(9, Math.max(-9, x0));
  const x2 = x * x;
  const r =
    (x2 * (D3 + x2 * (D5 + x2 * (D7 + x2 * (A9 + x2 * (A11 + x2 * A13)))))) / (B0 + x2 * (B2 + x2 * (B4 + x2 * B6)));
  const t = x + x * r;
  return t === 0 ? x : t; // keeps −0 (−0 + 0 would be +0)
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

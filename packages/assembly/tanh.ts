// Shared AssemblyScript: the SIMD tanh of odekit's WebAssembly modules.

// tanh as Eigen's float32 rational x·p(x²)/q(x²) on [−9, 9] (`generic_fast_tanh_float` in
// Eigen/src/Core/MathFunctionsImpl.h, Eigen 3.3, MPL-2.0; the same coefficients as
// packages/core/src/cpu-kernels/tanh.ts). Evaluated in float32 as a plain quotient: the
// JavaScript kernel's x + x·r(x²) form needs float64 near saturation, where float32 cancels.
// Used by core's host-ops module and nn's fused-MLP module (both import
// '@odekit/assembly/tanh').
const A1: f32 = 4.89352455891786e-3;
const A3: f32 = 6.37261928875436e-4;
const A5: f32 = 1.48572235717979e-5;
const A7: f32 = 5.12229709037114e-8;
const A9: f32 = -8.60467152213735e-11;
const A11: f32 = 2.00018790482477e-13;
const A13: f32 = -2.76076847742355e-16;
const B0: f32 = 4.89352518554385e-3;
const B2: f32 = 2.268434632439e-3;
const B4: f32 = 1.18534705686654e-4;
const B6: f32 = 1.19825839466702e-6;

// @ts-ignore: decorator
@inline
export function tanh4(x0: v128): v128 {
  const x = f32x4.min(f32x4.splat(9), f32x4.max(f32x4.splat(-9), x0));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(f32x4.splat(A13), x2), f32x4.splat(A11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A1));
  p = f32x4.mul(p, x);
  let q = f32x4.add(f32x4.mul(f32x4.splat(B6), x2), f32x4.splat(B4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B0));
  // NaN stays NaN: WebAssembly's min and max propagate it
  return f32x4.div(p, q);
}


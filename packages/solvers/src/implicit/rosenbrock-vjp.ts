import type { HostField } from '../solver.js';
import { luFactor, luSolveTransposed } from './dense-lu.js';
import type { ImplicitStepVjp } from './implicit-adjoint.js';
import type { RosenbrockTableau } from './rosenbrock-tableau.js';

/** A Rosenbrock step recomputed at `(t0, y0)`: its stage increments and the Jacobian it used. */
export type RosenbrockReplay = (
  f: HostField,
  t0: number,
  h: number,
  y0: Float64Array,
  batch: number,
) => { U: Float64Array[] | undefined; J: Float64Array };

/**
 * Backward pass of one Rosenbrock step on host arrays (see `ImplicitStepVjp`), for tableaus with
 * a stage dense output (rows `[y0; y1 − y0; K_1; …]`): recomputes the stages, then for
 * i = s−1 … 0 solves `μ = Wᵀ⁻¹·Ū_i` with `W = I/(hγ) − J` (one transposed LU solve per stage),
 * passes `μ` to the earlier increments (`c_ij/h`) and through the field's VJP at the stage point
 * to `y0`, the earlier increments (`a_ij`) and the args. The Jacobian and `∂f/∂t` are constants,
 * as on the tape (`rosenbrock`'s gradients are those of the method with its Jacobian frozen).
 */
export function rosenbrockStepVjp(tab: RosenbrockTableau, replay: RosenbrockReplay): ImplicitStepVjp | undefined {
  const dense = tab.dense;
  if (dense === undefined) return undefined;
  const s = tab.m.length;
  return (f, fvjp, argGrads, t0, h, y0, tol, cot) => {
    const N = y0.length;
    const batch = tol.batch;
    const D = N / batch;
    const DD = D * D;
    const { U, J } = replay(f, t0, h, y0, batch);
    if (U === undefined) throw new Error(`${tab.name}: W is singular in the backward pass at t = ${t0}.`);
    const axpy = (into: Float64Array, w: number, x: ArrayLike<number> | undefined) => {
      if (w === 0 || x === undefined) return;
      for (let q = 0; q < N; q++) into[q] = (into[q] as number) + w * (x[q] as number);
    };
    const y0Bar = Float64Array.from(cot.y1);
    const UBar = U.map(() => new Float64Array(N));
    for (let j = 0; j < s; j++) {
      const ub = UBar[j] as Float64Array;
      axpy(ub, tab.m[j] as number, cot.y1);
      axpy(ub, tab.m[j] as number, cot.k[0]);
      dense.forEach((row, r) => {
        axpy(ub, row[j] as number, cot.k[1 + r]);
      });
    }
    const lu = new Float64Array(batch * DD);
    const piv = new Int32Array(N);
    for (let q = 0; q < batch * DD; q++) lu[q] = -(J[q] as number);
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < D; r++) lu[b * DD + r * D + r] = (lu[b * DD + r * D + r] as number) + 1 / (h * tab.gamma);
      if (!luFactor(lu, D, piv, b * DD, b * D)) {
        throw new Error(`${tab.name}: W is singular in the backward pass at t = ${t0}.`);
      }
    }
    for (let i = s - 1; i >= 0; i--) {
      const mu = Float64Array.from(UBar[i] as Float64Array);
      for (let b = 0; b < batch; b++) luSolveTransposed(lu, D, piv, mu, b * DD, b * D, b * D);
      const a = tab.a[i] as readonly number[];
      const c = tab.c[i] as readonly number[];
      const Yi = Float64Array.from(y0);
      for (let j = 0; j < i; j++) {
        axpy(UBar[j] as Float64Array, (c[j] as number) / h, mu);
        axpy(Yi, a[j] as number, U[j]);
      }
      const YBar = fvjp(t0 + (tab.alpha[i] as number) * h, Yi, mu, argGrads);
      axpy(y0Bar, 1, YBar);
      for (let j = 0; j < i; j++) axpy(UBar[j] as Float64Array, a[j] as number, YBar);
    }
    return y0Bar;
  };
}

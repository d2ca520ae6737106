import type { StepTolerances } from '../solver.js';
import { luFactor, luSolveTransposed } from './dense-lu.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import type { ImplicitStepVjp } from './implicit-adjoint.js';
import type { ResolvedImplicitOptions } from './implicit-options.js';
import { FIXED_STEP_NEWTON_ITERATIONS, RadauState, radauAttempt } from './radau-core.js';
import { stageMatrix } from './radau-stage-matrix.js';
import { RADAU_A, RADAU_C } from './radau-tableau.js';

/** A step's converged stage increments `Z_i` re-solved from `(t0, y0)` with a fresh state. */
export function resolveStages(
  o: ResolvedImplicitOptions,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  tol: StepTolerances | undefined,
): Float64Array[] | undefined {
  const batch = tol?.batch ?? 1;
  const st = new RadauState(batch, y0.length / batch, o);
  const out = radauAttempt(st, o, FIXED_STEP_NEWTON_ITERATIONS, f, t0, h, y0, undefined, false, tol, y0);
  return out.ok ? out.Z : undefined;
}

/**
 * Backward pass of one RADAU5 step on host arrays (see `ImplicitStepVjp`), by the implicit
 * function theorem: the stages are re-solved from `(t0, y0)`; with `M` from {@link stageMatrix},
 * `μ = M⁻ᵀ·Z̄` (`Z̄_i` the cotangents of the dense rows `Z_i`, plus `ȳ1` on `Z_3` since
 * `y1 = y0 + Z_3`), `ν_j = h Σ_i a_ij μ_i`, and each stage passes `ν_j` through the field's VJP at
 * `(t0 + c_j h, y0 + Z_j)` to `y0` and the args. Newton's iterations are never differentiated.
 */
export function radauStepVjp(o: ResolvedImplicitOptions): ImplicitStepVjp {
  return (f, fvjp, argGrads, t0, h, y0, tol, cot) => {
    const N = y0.length;
    const batch = tol.batch;
    const D = N / batch;
    const n3 = 3 * D;
    const Z = resolveStages(o, f as HostFieldWithVjp, t0, h, y0, tol);
    if (Z === undefined) throw new Error(`radau5: the backward pass could not re-solve an accepted step at t = ${t0}.`);
    const { M } = stageMatrix(o.jacobian === 'auto' ? 'vjp' : o.jacobian, f as HostFieldWithVjp, t0, h, y0, Z, batch);
    // μ laid out per sample as [stage 1 | stage 2 | stage 3]
    const mu = new Float64Array(3 * N);
    for (let I = 0; I < 3; I++) {
      const kc = cot.k[I];
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < D; i++) {
          let v = kc === undefined ? 0 : (kc[b * D + i] as number);
          if (I === 2) v += cot.y1[b * D + i] as number;
          mu[b * n3 + I * D + i] = v;
        }
      }
    }
    const lu = Float64Array.from(M);
    const piv = new Int32Array(batch * n3);
    for (let b = 0; b < batch; b++) {
      if (!luFactor(lu, n3, piv, b * n3 * n3, b * n3)) {
        throw new Error(`radau5: I − h(A ⊗ I)J is singular in the backward pass at t = ${t0}.`);
      }
      luSolveTransposed(lu, n3, piv, mu, b * n3 * n3, b * n3, b * n3);
    }
    const y0Bar = Float64Array.from(cot.y1);
    for (let j = 0; j < 3; j++) {
      // fresh arrays: a deferring field VJP may keep them until it flushes
      const nu = new Float64Array(N);
      const Yj = new Float64Array(N);
      for (let I = 0; I < 3; I++) {
        const w = h * ((RADAU_A[I] as readonly number[])[j] as number);
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < D; i++)
            nu[b * D + i] = (nu[b * D + i] as number) + w * (mu[b * n3 + I * D + i] as number);
        }
      }
      const zj = Z[j] as Float64Array;
      for (let q = 0; q < N; q++) Yj[q] = (y0[q] as number) + (zj[q] as number);
      const g = fvjp(t0 + (RADAU_C[j] as number) * h, Yj, nu, argGrads);
      for (let q = 0; q < N; q++) y0Bar[q] = (y0Bar[q] as number) + (g[q] as number);
    }
    return y0Bar;
  };
}

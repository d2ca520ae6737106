import { luFactor, luSolveTransposed } from './dense-lu.js';
import { esdirkAttempt, newtonTolerances } from './esdirk-core.js';
import type { EsdirkTableau } from './esdirk-tableau.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import type { ImplicitStepVjp } from './implicit-adjoint.js';
import type { ResolvedImplicitOptions } from './implicit-options.js';
import { evaluateJacobian } from './jacobian.js';
import { NewtonMatrix } from './newton-matrix.js';

/**
 * Backward pass of one ESDIRK step on host arrays (see `ImplicitStepVjp`): recomputes the stages with a fresh
 * Jacobian, then for i = s−1 … 1: `μ = (I − hγJ_i)⁻ᵀ·(Ȳ_i + J_iᵀ k̄_i)`, the args get
 * `∂f/∂θᵀ(k̄_i + hγμ)`, and `μ` flows to `y0` and to `k̄_j += h·a_ij·μ`; finally `k_0 = f(t0, y0)`.
 * The forward pass's first-same-as-last `k_0` is taken as `f(t0, y0)` here (they differ by the
 * Newton tolerance).
 */
export function esdirkStepVjp(tab: EsdirkTableau, o: ResolvedImplicitOptions): ImplicitStepVjp {
  const s = tab.c.length;
  return (f, fvjp, argGrads, t0, h, y0, tol, cot) => {
    const N = y0.length;
    const blocks = { batch: tol.batch, D: N / tol.batch };
    const { D, batch } = blocks;
    const DD = D * D;
    const nm = new NewtonMatrix(blocks, o.jacobian, false);
    const k0 = Float64Array.from(f(t0, y0));
    const run = esdirkAttempt(tab, o, f as HostFieldWithVjp, t0, h, y0, k0, newtonTolerances(tol, o), nm, true, true);
    if (!run.ok) throw new Error(`${tab.name}: the backward pass could not re-solve an accepted step at t = ${t0}.`);
    const hg = h * tab.gamma;
    const yBar = new Float64Array(N);
    const kBar = run.k.map(() => new Float64Array(N));
    const YBar = run.k.map(() => new Float64Array(N));
    const axpy = (into: Float64Array, w: number, x: ArrayLike<number>) => {
      if (w === 0) return;
      for (let q = 0; q < N; q++) into[q] = (into[q] as number) + w * (x[q] as number);
    };
    cot.k.forEach((kc, j) => {
      if (kc !== undefined) axpy(kBar[j] as Float64Array, 1, kc);
    });
    if (tab.stifflyAccurate) axpy(YBar[s - 1] as Float64Array, 1, cot.y1);
    else {
      axpy(yBar, 1, cot.y1);
      for (let j = 0; j < s; j++) axpy(kBar[j] as Float64Array, h * (tab.b[j] as number), cot.y1);
    }
    const J = new Float64Array(batch * DD);
    const lu = new Float64Array(batch * DD);
    const piv = new Int32Array(batch * D);
    for (let i = s - 1; i >= 1; i--) {
      const Yi = run.Y[i] as Float64Array;
      const ti = t0 + (tab.c[i] as number) * h;
      evaluateJacobian(
        o.jacobian === 'auto' ? 'vjp' : o.jacobian,
        true,
        f as HostFieldWithVjp,
        ti,
        Yi,
        run.k[i] as Float64Array,
        blocks,
        J,
      );
      const kb = kBar[i] as Float64Array;
      const mu = Float64Array.from(YBar[i] as Float64Array);
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < D; r++) {
          let acc = 0;
          for (let c = 0; c < D; c++) acc += (J[b * DD + c * D + r] as number) * (kb[b * D + c] as number);
          mu[b * D + r] = (mu[b * D + r] as number) + acc;
        }
      }
      for (let q = 0; q < batch * DD; q++) lu[q] = -hg * (J[q] as number);
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < D; r++) lu[b * DD + r * D + r] = (lu[b * DD + r * D + r] as number) + 1;
        if (!luFactor(lu, D, piv, b * DD, b * D))
          throw new Error(`${tab.name}: I − hγJ is singular in the backward pass at t = ${ti}.`);
        luSolveTransposed(lu, D, piv, mu, b * DD, b * D, b * D);
      }
      const ctTheta = Float64Array.from(kb);
      axpy(ctTheta, hg, mu);
      fvjp(ti, Yi, ctTheta, argGrads);
      axpy(yBar, 1, mu);
      const a = tab.a[i] as readonly number[];
      for (let j = 0; j < i; j++) axpy(kBar[j] as Float64Array, h * (a[j] as number), mu);
    }
    axpy(yBar, 1, fvjp(t0, y0, kBar[0] as Float64Array, argGrads));
    return yBar;
  };
}

import { portablePow } from '@odekit/core';
import type { StepTolerances } from '../solver.js';
import { luSolve } from './dense-lu.js';
import type { EsdirkTableau } from './esdirk-tableau.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import type { ResolvedImplicitOptions } from './implicit-options.js';
import { UROUND32 } from './jacobian.js';
import { type NewtonMatrix, scaledNorm } from './newton-matrix.js';

/**
 * A step whose Newton iterations contracted more slowly than this (θ) does not let the next step
 * grow: a larger step would contract slower still and likely fail (the "slow convergence" rule
 * of Hairer & Wanner, §IV.8; see `HostStepOutput.maxGrowth`).
 */
export const SLOW_NEWTON_THETA = 0.5;

/**
 * A Newton correction this small (in error-norm units) that no longer contracts is at the field's
 * float32 rounding floor: about `u32/rtol` error units (a few hundredths at rtol 1e-6), capped at
 * 0.25. Tied to rtol: at rtol 1e-3 a flat 0.25 accepted stages Newton had not solved, and kvaerno5
 * then left Robertson's slow manifold (y2 < 0) with an error estimate that did not see it.
 */
function stallNorm(rtol: number): number {
  return Math.min(0.25, (8 * UROUND32) / Math.max(rtol, 1e-12));
}

/** One ESDIRK step on host arrays: converged stage values, or why it failed. */
export interface EsdirkAttempt {
  readonly ok: boolean;
  /** `'newton'`: no convergence with a fresh Jacobian; `'singular'`: `I − hγJ` is singular. */
  readonly failure?: 'newton' | 'singular';
  /** Stage values `Y_i` (`Y_0 = y0`). */
  readonly Y: Float64Array[];
  /** Stage derivatives `k_i` (`k_0 = f(t0, y0)`; implicit ones from `(Y_i − base_i)/(hγ)`). */
  readonly k: Float64Array[];
  /** The largest Newton contraction rate θ over the step's stages (0 when each took one iteration). */
  readonly thetaMax?: number;
}

/** Newton tolerances for a step: the controller's, or the solver's own with constant steps. */
export function newtonTolerances(
  tol: StepTolerances | undefined,
  o: ResolvedImplicitOptions,
): { rtol: number; atol: number } {
  if (tol !== undefined && (tol.rtol > 0 || tol.atol > 0)) return { rtol: tol.rtol, atol: tol.atol };
  return { rtol: o.rtol, atol: o.atol };
}

/**
 * Solves the stages of one ESDIRK step by simplified Newton iterations with the solve's kept
 * Jacobian and factorisation (`nm`): each stage `Y_i = base_i + hγ·f(t_i, Y_i)` iterates
 * `(I − hγJ)·Δ = base_i + hγ·f(t_i, Y) − Y`, `Y += Δ`, stopping when Hairer's predicted error
 * `η·‖Δ‖` (η = θ/(1 − θ), θ the contraction rate) is at most κ, and failing when θ ≥ 1 or the
 * predicted error after the remaining iterations still exceeds κ (Hairer & Wanner, *Solving
 * ODEs II*, §IV.8, eqs. (8.10)–(8.13)). On failure with a Jacobian from an earlier step, the
 * Jacobian is refreshed and the step retried; when a fresh one fails too, the step fails and the
 * controller shrinks it. If the shrunk retry from the same state fails again, it is retried once
 * with full Newton (the Jacobian at every iterate) before failing; with `fullNewtonNow` (constant steps, which
 * cannot shrink) it is tried at once.
 * `k0IsField`: `k0` is `f(t0, y0)` (not a first-same-as-last stage derivative).
 * (Without the full-Newton retry kvaerno3 on Van der Pol μ = 1000 at rtol 1e-3 overshoots a
 * landing after a string of failures; offering it at the first failure costs 4× the evaluations
 * on a 40-component Brusselator.)
 */
export function esdirkAttempt(
  tab: EsdirkTableau,
  o: ResolvedImplicitOptions,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  k0: Float64Array,
  tolerances: { rtol: number; atol: number },
  nm: NewtonMatrix,
  fullNewtonNow: boolean,
  k0IsField: boolean,
): EsdirkAttempt {
  const N = y0.length;
  const { batch, D } = nm.blocks;
  const s = tab.c.length;
  const hg = h * tab.gamma;
  const scale = new Float64Array(N);
  for (let i = 0; i < N; i++) scale[i] = tolerances.atol + tolerances.rtol * Math.abs(y0[i] as number);
  const stall = stallNorm(tolerances.rtol);
  const retry = nm.lastY === y0;
  nm.lastY = y0;
  // Differences need f(t0, y0) itself: a first-same-as-last k_0 = (Y − base)/(hγ) of the previous
  // step differs from it on stiff components by the Newton residual / (hγ), which divided by a
  // difference step of √u·|y| gave Jacobian entries off by 1e5 (Robertson, rtol 1e-3).
  let f0: ArrayLike<number> | undefined = k0IsField ? k0 : undefined;
  const refreshAtStart = () => {
    let fy = f0;
    if (fy === undefined) {
      fy = f(t0, y0);
      f0 = fy;
      nm.nfe++;
    }
    nm.refresh(f, t0, y0, fy);
  };
  if (!nm.hasJacobian || nm.stale || (retry && !nm.freshAt(t0, y0))) refreshAtStart();
  // last resort once a fresh Jacobian at y0 failed: full Newton (the Jacobian at each iterate)
  let full = false;
  for (;;) {
    const fresh = nm.freshAt(t0, y0);
    let failure: 'newton' | 'singular' | undefined;
    let thetaMax = 0;
    const Y: Float64Array[] = [y0];
    const k: Float64Array[] = [k0];
    if (!nm.factor(1, hg)) failure = 'singular';
    for (let i = 1; i < s && failure === undefined; i++) {
      const a = tab.a[i] as readonly number[];
      const ti = t0 + (tab.c[i] as number) * h;
      const base = Float64Array.from(y0);
      for (let j = 0; j < i; j++) {
        const w = h * (a[j] as number);
        if (w === 0) continue;
        const kj = k[j] as Float64Array;
        for (let q = 0; q < N; q++) base[q] = (base[q] as number) + w * (kj[q] as number);
      }
      // predictor: the previous stage value. Extrapolating with a stage derivative overshoots
      // stiff components far off their slow manifold (Robertson's y2 by 5× at h = 0.05), where
      // a Jacobian from the step's start no longer contracts.
      const y = Float64Array.from(Y[i - 1] as Float64Array);
      let eta = portablePow(Math.max(nm.eta, UROUND32), 0.8);
      let prev = 0;
      let converged = false;
      const delta = new Float64Array(N);
      for (let m = 0; m < o.maxNewtonIterations; m++) {
        const fy = f(ti, y);
        nm.nfe++;
        nm.numNewtonIterations++;
        if (full) {
          nm.refresh(f, ti, y, fy);
          if (!nm.factor(1, hg)) break;
        }
        for (let q = 0; q < N; q++) delta[q] = (base[q] as number) + hg * (fy[q] as number) - (y[q] as number);
        for (let b = 0; b < batch; b++) luSolve(nm.lu, D, nm.piv, delta, b * D * D, b * D, b * D);
        for (let q = 0; q < N; q++) y[q] = (y[q] as number) + (delta[q] as number);
        const nd = scaledNorm(delta, scale, nm.blocks);
        if (!Number.isFinite(nd)) break;
        if (m > 0) {
          const theta = nd / prev;
          if (theta > thetaMax) thetaMax = theta;
          // Stagnation within the tolerance: the field's float32 rounding sets a floor under
          // ‖Δ‖ (a few hundredths of the error norm at rtol 1e-6); iterating on cannot go lower.
          if (theta >= 0.5 && nd <= stall && m >= 2) {
            converged = true;
            break;
          }
          // full Newton may grow before it converges quadratically: only the iteration cap stops it
          if (theta >= 0.99 && !full) break;
          eta = theta < 0.99 ? theta / (1 - theta) : 100;
          const left = o.maxNewtonIterations - 1 - m;
          if (!full && nd > stall && (portablePow(theta, left) / (1 - theta)) * nd > o.kappa) break;
        }
        // a first correction is trusted only when it is already small (a predictor far off, on a
        // nonlinear field, must show contraction before the stage is accepted)
        if ((eta * nd <= o.kappa && (m > 0 || nd <= 1)) || nd === 0) {
          converged = true;
          nm.eta = eta;
          break;
        }
        prev = nd;
      }
      if (!converged) {
        failure = 'newton';
        break;
      }
      const ki = new Float64Array(N);
      for (let q = 0; q < N; q++) ki[q] = ((y[q] as number) - (base[q] as number)) / hg;
      Y.push(y);
      k.push(ki);
    }
    if (failure === undefined) {
      nm.stale = thetaMax > o.jacobianRefresh;
      return { ok: true, Y, k, thetaMax: full ? 1 : thetaMax };
    }
    if (fresh && !full && failure === 'newton' && (fullNewtonNow || retry)) {
      full = true;
      continue;
    }
    if (fresh || full) {
      // the next attempt (a smaller step from the same state) starts from the Jacobian at y0
      if (full) refreshAtStart();
      nm.eta = 1;
      return { ok: false, failure, Y, k };
    }
    refreshAtStart();
  }
}

import type { FloatArray } from '@odekit/core';
import { stageCombination } from './host-combine.js';
import { type PolyTable, polyEval, polyTable, polyTableEval } from './runge-kutta/poly.js';
import type { ButcherTableau } from './runge-kutta/tableau.js';
import type { HostField } from './solver.js';

/**
 * The vector–Jacobian products one step needs: `J_f(t, Y)ᵀ·ct` at stage `q` (input `Y`), and
 * at `(t1, y1)` for the Hermite row `f(t1, y1)`. Implementations also accumulate the args part.
 */
export interface StageVjps {
  stage(q: number, t: number, Y: Float64Array, ct: Float64Array): ArrayLike<number>;
  f1(t: number, y1: Float64Array, ct: Float64Array): ArrayLike<number>;
}

/** The stage values `k_i` of the step from `(t0, y)` with size `h`, recomputed on the host. */
export function stagesAt(tab: ButcherTableau, fHost: HostField, t0: number, h: number, y: Float64Array): FloatArray[] {
  const k: FloatArray[] = [];
  for (let i = 0; i < tab.c.length; i++) {
    const Y = stageCombination(y.length, y, tab.a[i] as readonly number[], k, h);
    k.push(fHost(t0 + (tab.c[i] as number) * h, Y));
  }
  return k;
}

/**
 * How consecutive FSAL steps share one evaluation of the field: the first stage of step k + 1
 * is the last stage of step k (same point `y1`, same value), so its cotangent is added to that
 * stage's and both take one VJP — walking steps backwards, step k + 1 defers its first stage
 * (`deferFirst`, returned) and step k adds it to its last (`intoLast`).
 */
export interface FsalShare {
  /** Cotangent deferred by the next step's first stage, to add to this step's last stage. */
  readonly intoLast?: Float64Array | undefined;
  /** Return this step's first-stage cotangent instead of taking its VJP. */
  readonly deferFirst: boolean;
}

/**
 * The cotangent of one saved dense output of a step at `theta`: values `ct[at .. at + n - 1]`
 * for state entries `col .. col + n - 1` (the whole state, or one sample's entries).
 */
export interface InterpCotangent {
  readonly theta: number;
  readonly at: number;
  readonly col: number;
  readonly n: number;
}

/**
 * Reverse mode through one explicit RK step y1 = y0 + h Σ b_i k_i, k_i = f(t0 + c_i h, Y_i),
 * Y_i = y0 + h Σ_{j<i} a_ij k_j, plus its dense outputs y0 + h Σ P_i(θ) k_i. Updates `lambda`
 * (cotangent of y1 in, of y0 out) and `argGrads` in place. With `fsal` (FSAL tableaus only),
 * returns the deferred first-stage cotangent (see {@link FsalShare}). `denseTable` is the
 * tableau's dense-output polynomials (its first `s`) as a {@link PolyTable}, made once by callers
 * that visit many steps.
 *
 * A deferred cotangent added to the last stage flows as a cotangent of `y1` would: the last
 * stage's input is `y1` (its row of `a` is `b`) and `b` of the last stage is 0.
 */
export function stepVjp(
  tab: ButcherTableau,
  step: { t0: number; h: number },
  state: { y: Float64Array; k: readonly FloatArray[] },
  interps: readonly InterpCotangent[],
  ct: Float32Array,
  lambda: Float64Array,
  vjps: StageVjps,
  N: number,
  fsal?: FsalShare,
  denseTable: PolyTable = polyTable(tab.dense.slice(0, tab.c.length)),
): Float64Array | undefined {
  const s = tab.c.length;
  const { t0, h } = step;
  const k = state.k.slice(0, s);
  const u = Array.from({ length: s }, () => new Float64Array(N));
  if (fsal !== undefined && !tab.fsal) throw new Error('stepVjp: FSAL sharing needs an FSAL tableau.');
  if (fsal?.intoLast !== undefined) (u[s - 1] as Float64Array).set(fsal.intoLast);
  const lamY0 = new Float64Array(N);
  // dense outputs inside this step
  let lamY1 = lambda;
  if (interps.length > 0) {
    lamY1 = Float64Array.from(lambda);
    const ws = new Float64Array(s);
    for (const { theta, at, col, n } of interps) {
      polyTableEval(denseTable, theta, h, ws, 0);
      // one pass over the row, skipping zero cotangents (a batched solve saved for one sample's
      // data has nonzero cotangents in that sample's columns only)
      for (let j = 0; j < n; j++) {
        const c = ct[at + j] as number;
        if (c === 0) continue;
        const i = col + j;
        lamY0[i] = (lamY0[i] as number) + c;
        for (let q = 0; q < s; q++) {
          const uq = u[q] as Float64Array;
          uq[i] = (uq[i] as number) + (ws[q] as number) * c;
        }
      }
      if (tab.denseNeedsF1) {
        // Hermite row f(t1, y1): its cotangent flows into y1 through J_f(y1)ᵀ
        const w = h * polyEval(tab.dense[s] as readonly number[], theta);
        if (w !== 0) {
          const y1 = stageCombination(N, state.y, tab.b, k, h);
          const cf = new Float64Array(N);
          for (let j = 0; j < n; j++) cf[col + j] = w * (ct[at + j] as number);
          const v = vjps.f1(t0 + h, y1, cf);
          for (let i = 0; i < N; i++) lamY1[i] = (lamY1[i] as number) + (v[i] as number);
        }
      }
    }
  }
  for (let i = 0; i < N; i++) lamY0[i] = (lamY0[i] as number) + (lamY1[i] as number);
  for (let q = 0; q < s; q++) {
    const w = h * (tab.b[q] as number);
    if (w === 0) continue;
    const uq = u[q] as Float64Array;
    for (let i = 0; i < N; i++) uq[i] = (uq[i] as number) + w * (lamY1[i] as number);
  }
  for (let q = s - 1; q >= 0; q--) {
    const uq = u[q] as Float64Array;
    if (q === 0 && fsal?.deferFirst) {
      lambda.set(lamY0);
      return uq;
    }
    let any = false;
    for (let i = 0; i < N; i++) {
      if (uq[i] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    const Y = stageCombination(N, state.y, tab.a[q] as readonly number[], k, h);
    const v = vjps.stage(q, t0 + (tab.c[q] as number) * h, Y, uq);
    for (let i = 0; i < N; i++) lamY0[i] = (lamY0[i] as number) + (v[i] as number);
    const a = tab.a[q] as readonly number[];
    for (let j = 0; j < q; j++) {
      const w = h * (a[j] as number);
      if (w === 0) continue;
      const uj = u[j] as Float64Array;
      for (let i = 0; i < N; i++) uj[i] = (uj[i] as number) + w * (v[i] as number);
    }
  }
  lambda.set(lamY0);
  return undefined;
}

import { type FloatArray, portablePow } from '@odekit/core';
import { errorNormOf } from '../error-norm.js';
import type { HostDense, ImplicitStepStats, StepTolerances } from '../solver.js';
import { luFactor, luSolve } from './dense-lu.js';
import { newtonTolerances } from './esdirk-core.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import type { ResolvedImplicitOptions } from './implicit-options.js';
import { UROUND32 } from './jacobian.js';
import { NewtonMatrix, scaledNorm } from './newton-matrix.js';
import { stageMatrix } from './radau-stage-matrix.js';
import { RADAU_A, RADAU_AINV, RADAU_C, RADAU_DENSE, RADAU_E, RADAU_GAMMA0, RADAU_TI } from './radau-tableau.js';

/** float64's unit roundoff (RADAU5's `UROUND`), for the floor of Newton's tolerance. */
const EPS64 = 2 ** -52;
/** A failed step's error estimate: finite and huge, so the loop rejects it. */
const FAILED_ERROR = 1e30;
/** RADAU5's step-size bounds `1/8 ≤ h/h_new ≤ 5` (`FACR`, `FACL`), safety `SAFE` and `QUOT1/2`. */
const QUOT_MIN = 1 / 8;
const QUOT_MAX = 5;
const SAFE = 0.9;
const KEEP_LOW = 1;
const KEEP_HIGH = 1.2;
/** Recompute the Jacobian after a step whose Newton iteration contracted slower than this (`THET`). */
const THET = 1e-3;
/**
 * Newton iterations allowed to a step that cannot shrink (constant steps, and the re-solve of an
 * accepted step for its gradient, which starts afresh without the previous step's polynomial).
 */
export const FIXED_STEP_NEWTON_ITERATIONS = 30;

/** The last accepted step: its collocation polynomial gives the next step's Newton start. */
interface Polynomial {
  readonly t0: number;
  readonly h: number;
  readonly y0: Float64Array;
  readonly Z: readonly Float64Array[];
}

/**
 * One solve's RADAU5 state (per field): the Jacobian with its real `γ0/h·I − J` factorisation
 * (in `nm`), the dense `3D × 3D` factorisation of the Newton matrix, the last accepted step's
 * polynomial, Gustafsson's memory (`hacc`, `erracc`) and what the last attempt was.
 */
export class RadauState {
  readonly nm: NewtonMatrix;
  readonly lu3: Float64Array;
  readonly piv3: Int32Array;
  /** The step and Jacobian version of the factored 3D × 3D matrix. */
  lu3H = Number.NaN;
  lu3Version = -1;
  jacVersion = 0;
  poly: Polynomial | undefined;
  pendingPoly: Polynomial | undefined;
  lastKey0: object | undefined;
  lastKey1: object | undefined;
  lastOk = false;
  hacc: number | undefined;
  erracc = 1;
  first = true;
  rejected = false;

  constructor(
    readonly batch: number,
    readonly D: number,
    o: ResolvedImplicitOptions,
  ) {
    this.nm = new NewtonMatrix({ batch, D }, o.jacobian, true);
    const n3 = 3 * D;
    this.lu3 = new Float64Array(batch * n3 * n3);
    this.piv3 = new Int32Array(batch * n3);
  }

  /** Learns from the keys of the new step's start state whether the last attempt was accepted. */
  begin(key0: object): void {
    if (key0 === this.lastKey1 && this.lastOk) {
      this.poly = this.pendingPoly;
      this.first = false;
      this.rejected = false;
    } else if (key0 === this.lastKey0) {
      this.rejected = true;
    } else {
      // a state this solver did not make: start afresh (no polynomial, no Gustafsson memory)
      this.poly = undefined;
      this.hacc = undefined;
      this.first = true;
      this.rejected = false;
    }
    this.lastKey0 = key0;
    this.lastKey1 = undefined;
    this.lastOk = false;
  }

  /** Factors `A⁻¹/h ⊗ I − I ⊗ J` per sample unless already factored for this `h` and Jacobian. */
  factor3(h: number): boolean {
    if (h === this.lu3H && this.lu3Version === this.jacVersion) return true;
    const { batch, D } = this;
    const n3 = 3 * D;
    const size = n3 * n3;
    const J = this.nm.J;
    this.nm.numLuFactorisations++;
    for (let b = 0; b < batch; b++) {
      const off = b * size;
      for (let I = 0; I < 3; I++) {
        for (let K = 0; K < 3; K++) {
          const a = ((RADAU_AINV[I] as readonly number[])[K] as number) / h;
          for (let i = 0; i < D; i++) {
            for (let k = 0; k < D; k++) {
              let v = i === k ? a : 0;
              if (I === K) v -= J[b * D * D + i * D + k] as number;
              this.lu3[off + (I * D + i) * n3 + K * D + k] = v;
            }
          }
        }
      }
      if (!luFactor(this.lu3, n3, this.piv3, off, b * n3)) {
        this.lu3H = Number.NaN;
        return false;
      }
    }
    this.lu3H = h;
    this.lu3Version = this.jacVersion;
    return true;
  }

  refresh(f: HostFieldWithVjp, t: number, y: Float64Array, fy: ArrayLike<number>): void {
    this.nm.refresh(f, t, y, fy);
    this.jacVersion++;
  }
}

/** What one RADAU5 attempt returns (host arrays). */
export interface RadauAttempt {
  readonly ok: boolean;
  readonly y1: Float64Array;
  readonly yError: Float64Array | undefined;
  readonly dense: HostDense;
  readonly f1: FloatArray | undefined;
  readonly nfe: number;
  readonly implicitStats: ImplicitStepStats;
  /** RADAU5's next step size (magnitude), for adaptive solves. */
  readonly nextStep: number | undefined;
}

/** Weights of the dense rows `[y0; Z_1; Z_2; Z_3]` at `θ`: `y = y0 + Σ L_i(θ)·Z_i` (or `dy/dt`). */
export function radauDenseWeights(theta: number, h: number, derivative: boolean): Float32Array {
  const w = new Float32Array(4);
  w[0] = derivative ? 0 : 1;
  for (let i = 0; i < 3; i++) {
    const [p1, p2, p3] = RADAU_DENSE[i] as [number, number, number];
    w[1 + i] = derivative
      ? (p1 + 2 * p2 * theta + 3 * p3 * theta * theta) / h
      : theta * (p1 + theta * (p2 + theta * p3));
  }
  return w;
}

/**
 * One RADAU5 step on host arrays (Hairer & Wanner, *Solving ODEs II*, §IV.8, and Hairer's
 * radau5.f; SciPy's `Radau` as a second source of the rules):
 * - the stage increments `Z = (Z_1, Z_2, Z_3)` solve `Z = h(A ⊗ I)·F(Z)` by simplified Newton,
 *   `(A⁻¹/h ⊗ I − I ⊗ J)·ΔZ = F(Z) − (A⁻¹/h ⊗ I)·Z`, with one dense `3D × 3D` LU per sample and
 *   the Jacobian `J` kept across steps; the iteration starts from the last accepted step's
 *   collocation polynomial, measures `‖ΔW‖ = ‖(T⁻¹ ⊗ I)·ΔZ‖` (RADAU5's coordinates), stops when
 *   `θ/(1 − θ)·‖ΔW‖ < κ` and fails when `θ ≥ 1` or the predicted error after the remaining
 *   iterations exceeds κ (κ = max(10·u/rtol, min(0.03, √rtol)));
 * - a failure with a Jacobian from an earlier step retries with a fresh one; with a fresh one the
 *   step is rejected and halved;
 * - the error estimate (8.19)–(8.20): `err = (γ0/h·I − J)⁻¹·(f(t0, y0) + Σ e_i Z_i/h)`, filtered
 *   once more through `f(t0, y0 + err)` when it exceeds 1 on the first step or after a rejection;
 * - the next step size: RADAU5's rule with a safety factor that drops with the Newton iterations
 *   taken, Gustafsson's predictive controller on accepted steps, no growth right after a rejection,
 *   the step kept when it would grow by less than 20 % (the factorisation is then reused), a
 *   rejected first step divided by 10.
 */
export function radauAttempt(
  st: RadauState,
  o: ResolvedImplicitOptions,
  maxIter: number,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  f0: ArrayLike<number> | undefined,
  wantError: boolean,
  tol: StepTolerances | undefined,
  key0: object,
): RadauAttempt & { Z?: Float64Array[] } {
  const { nm, batch, D } = st;
  const N = y0.length;
  st.begin(key0);
  let k0: ArrayLike<number>;
  if (f0 === undefined) {
    k0 = f(t0, y0);
    nm.nfe++;
  } else k0 = f0;
  const tols = newtonTolerances(tol, o);
  const newtonTol = Math.max((10 * EPS64) / tols.rtol, Math.min(o.kappa, Math.sqrt(tols.rtol)));
  const stall = Math.min(0.25, (8 * UROUND32) / Math.max(tols.rtol, 1e-12));
  const scale = new Float64Array(N);
  for (let q = 0; q < N; q++) scale[q] = tols.atol + tols.rtol * Math.abs(y0[q] as number);
  const absH = Math.abs(h);

  if (!nm.hasJacobian || nm.stale) st.refresh(f, t0, y0, k0);
  // the starting values: the last accepted step's collocation polynomial, extrapolated
  const Zstart = [0, 1, 2].map(() => new Float64Array(N));
  const poly = st.poly;
  if (poly !== undefined && !st.first) {
    for (let i = 0; i < 3; i++) {
      const w = radauDenseWeights((t0 + (RADAU_C[i] as number) * h - poly.t0) / poly.h, poly.h, false);
      const z = Zstart[i] as Float64Array;
      for (let q = 0; q < N; q++) {
        let v = (poly.y0[q] as number) - (y0[q] as number);
        for (let j = 0; j < 3; j++) v += (w[1 + j] as number) * ((poly.Z[j] as Float64Array)[q] as number);
        z[q] = v;
      }
    }
  }

  const iterCap = wantError ? maxIter : Math.max(maxIter, FIXED_STEP_NEWTON_ITERATIONS);
  let Z: Float64Array[] = Zstart;
  let nIter = 0;
  let rate = 0;
  let converged = false;
  for (;;) {
    const fresh = nm.freshAt(t0, y0);
    if (st.factor3(h)) {
      const run = newton(st, f, t0, h, y0, Zstart, scale, newtonTol, stall, iterCap);
      Z = run.Z;
      nIter += run.iterations;
      rate = run.rate;
      converged = run.converged;
    }
    if (converged || fresh) break;
    st.refresh(f, t0, y0, k0);
  }
  if (!converged && !wantError) {
    // constant steps (and gradient replays) cannot shrink: full Newton, the Jacobians at the iterates
    const run = fullNewton(st, o, f, t0, h, y0, Zstart, scale, newtonTol, FIXED_STEP_NEWTON_ITERATIONS);
    Z = run.Z;
    nIter += run.iterations;
    rate = 1;
    converged = run.converged;
  }
  nm.numNewtonIterations += nIter;

  const failed = (): RadauAttempt => {
    const { nfe, ...implicitStats } = nm.takeStats();
    return {
      ok: false,
      y1: wantError ? Float64Array.from(y0) : new Float64Array(N).fill(Number.NaN),
      yError: wantError ? new Float64Array(N).fill(FAILED_ERROR) : undefined,
      dense: { y0, k: [new Float64Array(N), new Float64Array(N), new Float64Array(N)] },
      f1: undefined,
      nfe,
      implicitStats,
      nextStep: wantError ? 0.5 * absH : undefined,
    };
  };
  if (!converged) return failed();

  const y1 = Float64Array.from(y0);
  const Z3 = Z[2] as Float64Array;
  for (let q = 0; q < N; q++) y1[q] = (y1[q] as number) + (Z3[q] as number);
  let yError: Float64Array | undefined;
  let err = 0;
  if (wantError) {
    if (!nm.factor(RADAU_GAMMA0 / h, 1)) return failed();
    const ZE = new Float64Array(N);
    for (let j = 0; j < 3; j++) {
      const e = (RADAU_E[j] as number) / h;
      const zj = Z[j] as Float64Array;
      for (let q = 0; q < N; q++) ZE[q] = (ZE[q] as number) + e * (zj[q] as number);
    }
    const solveReal = (fv: ArrayLike<number>) => {
      const out = new Float64Array(N);
      for (let q = 0; q < N; q++) out[q] = (fv[q] as number) + (ZE[q] as number);
      for (let b = 0; b < batch; b++) luSolve(nm.lu, D, nm.piv, out, b * D * D, b * D, b * D);
      return out;
    };
    yError = solveReal(k0);
    err = errorNormOf(y0, y1, yError, tols.rtol, tols.atol, batch);
    if (err > 1 && (st.first || st.rejected)) {
      const yp = Float64Array.from(y0);
      for (let q = 0; q < N; q++) yp[q] = (yp[q] as number) + (yError[q] as number);
      const fp = f(t0, yp);
      nm.nfe++;
      yError = solveReal(fp);
      err = errorNormOf(y0, y1, yError, tols.rtol, tols.atol, batch);
    }
  }
  const accepted = !wantError || err <= 1;
  // a slowly contracting Newton iteration: a fresh Jacobian at the next step's start (SciPy's rule)
  const recompute = nIter > 2 && rate > THET;
  if (accepted) nm.stale = recompute;
  let nextStep: number | undefined;
  if (wantError) {
    const fac = Math.min(SAFE, (SAFE * (2 * maxIter + 1)) / (2 * maxIter + nIter));
    const quarter = (x: number) => Math.sqrt(Math.sqrt(x));
    let quot = Math.max(QUOT_MIN, Math.min(QUOT_MAX, quarter(err) / fac));
    if (accepted) {
      if (st.hacc !== undefined && err > 0) {
        const gus = ((st.hacc / absH) * quarter((err * err) / st.erracc)) / SAFE;
        quot = Math.max(quot, Math.max(QUOT_MIN, Math.min(QUOT_MAX, gus)));
      }
      st.hacc = absH;
      st.erracc = Math.max(1e-2, err);
      let hnew = absH / quot;
      if (st.rejected) hnew = Math.min(hnew, absH);
      const qt = hnew / absH;
      if (!recompute && qt >= KEEP_LOW && qt <= KEEP_HIGH) hnew = absH;
      nextStep = hnew;
    } else nextStep = st.first ? 0.1 * absH : absH / quot;
  }
  let f1: FloatArray | undefined;
  if (accepted) {
    f1 = f(t0 + h, y1).slice();
    nm.nfe++;
  }
  const { nfe, ...implicitStats } = nm.takeStats();
  st.pendingPoly = { t0, h, y0, Z };
  st.lastOk = accepted;
  return { ok: true, y1, yError, dense: { y0, k: Z }, f1, nfe, implicitStats, nextStep, Z };
}

/** The simplified Newton iteration on the stage increments (see {@link radauAttempt}). */
function newton(
  st: RadauState,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  Zstart: readonly Float64Array[],
  scale: Float64Array,
  newtonTol: number,
  stall: number,
  maxIter: number,
): { Z: Float64Array[]; iterations: number; rate: number; converged: boolean } {
  const { nm, batch, D } = st;
  const N = y0.length;
  const n3 = 3 * D;
  const Z = Zstart.map((z) => Float64Array.from(z));
  const F = [0, 1, 2].map(() => new Float64Array(N));
  const rhs = new Float64Array(3 * N);
  const dW = new Float64Array(3 * N);
  const scale3 = new Float64Array(3 * N);
  const yi = new Float64Array(N);
  for (let b = 0; b < batch; b++) {
    for (let I = 0; I < 3; I++) {
      for (let i = 0; i < D; i++) scale3[b * n3 + I * D + i] = scale[b * D + i] as number;
    }
  }
  let prev = 0;
  let rate = 0;
  for (let m = 0; m < maxIter; m++) {
    for (let i = 0; i < 3; i++) {
      const zi = Z[i] as Float64Array;
      for (let q = 0; q < N; q++) yi[q] = (y0[q] as number) + (zi[q] as number);
      const fi = f(t0 + (RADAU_C[i] as number) * h, yi);
      nm.nfe++;
      (F[i] as Float64Array).set(fi);
    }
    if (!F.every((fi) => fi.every(Number.isFinite))) return { Z, iterations: m + 1, rate, converged: false };
    // rhs = F − (A⁻¹/h ⊗ I)·Z, laid out per sample as [stage 1 | stage 2 | stage 3]
    for (let b = 0; b < batch; b++) {
      for (let I = 0; I < 3; I++) {
        const Ai = RADAU_AINV[I] as readonly number[];
        const FI = F[I] as Float64Array;
        for (let i = 0; i < D; i++) {
          const q = b * D + i;
          let v = FI[q] as number;
          for (let K = 0; K < 3; K++) v -= ((Ai[K] as number) / h) * ((Z[K] as Float64Array)[q] as number);
          rhs[b * n3 + I * D + i] = v;
        }
      }
      luSolve(st.lu3, n3, st.piv3, rhs, b * n3 * n3, b * n3, b * n3);
    }
    // ΔW = (T⁻¹ ⊗ I)·ΔZ for the norm
    for (let b = 0; b < batch; b++) {
      for (let I = 0; I < 3; I++) {
        const Ti = RADAU_TI[I] as readonly number[];
        for (let i = 0; i < D; i++) {
          let v = 0;
          for (let K = 0; K < 3; K++) v += (Ti[K] as number) * (rhs[b * n3 + K * D + i] as number);
          dW[b * n3 + I * D + i] = v;
        }
      }
    }
    const nd = scaledNorm(dW, scale3, { batch, D: n3 });
    if (!Number.isFinite(nd)) return { Z, iterations: m + 1, rate, converged: false };
    if (m > 0) {
      rate = nd / prev;
      // a float32 field's rounding floor: iterating on cannot go lower (see esdirkAttempt)
      const stalled = rate >= 0.5 && nd <= stall && m >= 2;
      if (!stalled && (rate >= 1 || (portablePow(rate, maxIter - m) / (1 - rate)) * nd > newtonTol)) {
        return { Z, iterations: m + 1, rate, converged: false };
      }
      if (stalled) {
        addCorrection(Z, rhs, batch, D);
        return { Z, iterations: m + 1, rate, converged: true };
      }
    }
    addCorrection(Z, rhs, batch, D);
    if (nd === 0 || (m > 0 && (rate / (1 - rate)) * nd < newtonTol)) {
      return { Z, iterations: m + 1, rate, converged: true };
    }
    prev = nd;
  }
  return { Z, iterations: maxIter, rate, converged: false };
}

function addCorrection(Z: Float64Array[], dZ: Float64Array, batch: number, D: number): void {
  const n3 = 3 * D;
  for (let b = 0; b < batch; b++) {
    for (let I = 0; I < 3; I++) {
      const z = Z[I] as Float64Array;
      for (let i = 0; i < D; i++) z[b * D + i] = (z[b * D + i] as number) + (dZ[b * n3 + I * D + i] as number);
    }
  }
}

/** `ΔW = (T⁻¹ ⊗ I)·ΔZ` per sample (ΔZ laid out `[batch][stage][D]`), for Newton's norm. */
function transformed(dZ: Float64Array, batch: number, D: number): Float64Array {
  const n3 = 3 * D;
  const dW = new Float64Array(dZ.length);
  for (let b = 0; b < batch; b++) {
    for (let I = 0; I < 3; I++) {
      const Ti = RADAU_TI[I] as readonly number[];
      for (let i = 0; i < D; i++) {
        let v = 0;
        for (let K = 0; K < 3; K++) v += (Ti[K] as number) * (dZ[b * n3 + K * D + i] as number);
        dW[b * n3 + I * D + i] = v;
      }
    }
  }
  return dW;
}

/**
 * Full Newton on the stage equations `G(Z) = Z − h(A ⊗ I)·F(y0 + Z) = 0`: `Z −= M(Z)⁻¹·G(Z)` with
 * `M = I − h(A ⊗ I)·blockdiag(J_i)` at the current stages (Jacobians by differences, or the
 * user's: a taped VJP would record nothing inside a customGrad forward). The last resort of steps
 * that cannot shrink.
 */
function fullNewton(
  st: RadauState,
  o: ResolvedImplicitOptions,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  Zstart: readonly Float64Array[],
  scale: Float64Array,
  newtonTol: number,
  maxIter: number,
): { Z: Float64Array[]; iterations: number; converged: boolean } {
  const { nm, batch, D } = st;
  const N = y0.length;
  const n3 = 3 * D;
  const Z = Zstart.map((z) => Float64Array.from(z));
  const scale3 = new Float64Array(3 * N);
  for (let b = 0; b < batch; b++) {
    for (let I = 0; I < 3; I++) {
      for (let i = 0; i < D; i++) scale3[b * n3 + I * D + i] = scale[b * D + i] as number;
    }
  }
  const option = typeof o.jacobian === 'function' ? o.jacobian : 'fd';
  let prev = 0;
  for (let m = 0; m < maxIter; m++) {
    const { M, F, nfe } = stageMatrix(option, f, t0, h, y0, Z, batch);
    nm.nfe += nfe;
    nm.numJacobianEvals += 3;
    nm.numLuFactorisations++;
    nm.numNewtonIterations++;
    const G = new Float64Array(3 * N);
    for (let b = 0; b < batch; b++) {
      for (let I = 0; I < 3; I++) {
        const Ai = RADAU_A[I] as readonly number[];
        for (let i = 0; i < D; i++) {
          const q = b * D + i;
          let v = (Z[I] as Float64Array)[q] as number;
          for (let K = 0; K < 3; K++) v -= h * (Ai[K] as number) * ((F[K] as Float64Array)[q] as number);
          G[b * n3 + I * D + i] = v;
        }
      }
      const piv = new Int32Array(n3);
      if (!luFactor(M, n3, piv, b * n3 * n3, 0)) return { Z, iterations: m + 1, converged: false };
      luSolve(M, n3, piv, G, b * n3 * n3, 0, b * n3);
    }
    const nd = scaledNorm(transformed(G, batch, D), scale3, { batch, D: n3 });
    if (!Number.isFinite(nd)) return { Z, iterations: m + 1, converged: false };
    for (let b = 0; b < batch; b++) {
      for (let I = 0; I < 3; I++) {
        const z = Z[I] as Float64Array;
        for (let i = 0; i < D; i++) z[b * D + i] = (z[b * D + i] as number) - (G[b * n3 + I * D + i] as number);
      }
    }
    const rate = m > 0 ? nd / prev : 1;
    if (nd === 0 || (m > 0 && rate < 1 && (rate / (1 - rate)) * nd < newtonTol)) {
      return { Z, iterations: m + 1, converged: true };
    }
    prev = nd;
  }
  return { Z, iterations: maxIter, converged: false };
}

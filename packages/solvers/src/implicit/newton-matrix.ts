import { luFactor } from './dense-lu.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import { type Blocks, evaluateJacobian, type JacobianOption } from './jacobian.js';

/**
 * One solve's Jacobian and iteration-matrix factorisation, kept across stages and steps
 * (Hairer & Wanner, *Solving ODEs II*, §IV.8: the simplified Newton iteration reuses both while
 * convergence is fast, refreshes the Jacobian when it slows or fails).
 */
export class NewtonMatrix {
  /** Per-sample Jacobians, `[batch][D][D]`. */
  readonly J: Float64Array;
  /** LU factors of `M = scale·I − J·diag` per sample (see {@link NewtonMatrix.factor}). */
  readonly lu: Float64Array;
  readonly piv: Int32Array;
  /** Whether `J` holds a Jacobian at all. */
  hasJacobian = false;
  /** The point the Jacobian was taken at (identity of the state array, and time). */
  jacobianY: Float64Array | undefined;
  jacobianT = Number.NaN;
  /** The `(α, β)` of the factored `α·I − β·J`; NaN when none is valid. */
  luAlpha = Number.NaN;
  luBeta = Number.NaN;
  /** The Jacobian should be refreshed before the next step (slow convergence). */
  stale = false;
  /** Hairer's η, carried from one Newton solve to the next. */
  eta = 1;
  /** The state of the last attempted step (a rejected step retries from the same array). */
  lastY: Float64Array | undefined;
  numJacobianEvals = 0;
  numLuFactorisations = 0;
  numNewtonIterations = 0;
  nfe = 0;

  constructor(
    readonly blocks: Blocks,
    readonly option: JacobianOption,
    readonly preferVjp: boolean,
  ) {
    const { batch, D } = blocks;
    this.J = new Float64Array(batch * D * D);
    this.lu = new Float64Array(batch * D * D);
    this.piv = new Int32Array(batch * D);
  }

  /** Whether the Jacobian was taken at exactly this point. */
  freshAt(t: number, y: Float64Array): boolean {
    return this.hasJacobian && this.jacobianY === y && this.jacobianT === t;
  }

  /** Evaluates the Jacobian at `(t, y)` (`fy = f(t, y)`); invalidates the factorisation. */
  refresh(f: HostFieldWithVjp, t: number, y: Float64Array, fy: ArrayLike<number>): void {
    this.nfe += evaluateJacobian(this.option, this.preferVjp, f, t, y, fy, this.blocks, this.J);
    this.numJacobianEvals++;
    this.hasJacobian = true;
    this.jacobianY = y;
    this.jacobianT = t;
    this.stale = false;
    this.luAlpha = Number.NaN;
  }

  /**
   * Factors `α·I − β·J` for every sample unless that exact matrix is already factored. Returns
   * false when a block is singular (the factorisation is then invalid).
   */
  factor(alpha: number, beta: number): boolean {
    if (alpha === this.luAlpha && beta === this.luBeta) return true;
    const { batch, D } = this.blocks;
    const DD = D * D;
    for (let i = 0; i < batch * DD; i++) this.lu[i] = -beta * (this.J[i] as number);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < D; i++) this.lu[b * DD + i * D + i] = (this.lu[b * DD + i * D + i] as number) + alpha;
    }
    this.numLuFactorisations++;
    for (let b = 0; b < batch; b++) {
      if (!luFactor(this.lu, D, this.piv, b * DD, b * D)) {
        this.luAlpha = Number.NaN;
        return false;
      }
    }
    this.luAlpha = alpha;
    this.luBeta = beta;
    return true;
  }

  /** Takes (and resets) the counters accumulated since the last call. */
  takeStats(): { nfe: number; numJacobianEvals: number; numLuFactorisations: number; numNewtonIterations: number } {
    const s = {
      nfe: this.nfe,
      numJacobianEvals: this.numJacobianEvals,
      numLuFactorisations: this.numLuFactorisations,
      numNewtonIterations: this.numNewtonIterations,
    };
    this.nfe = 0;
    this.numJacobianEvals = 0;
    this.numLuFactorisations = 0;
    this.numNewtonIterations = 0;
    return s;
  }
}

/**
 * The scaled RMS norm of a Newton correction, worst sample: `Δ_i / (atol + rtol·|y_i|)`, as the
 * step-size controller's error norm.
 */
export function scaledNorm(delta: Float64Array, scale: Float64Array, { batch, D }: Blocks): number {
  let worst = 0;
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let i = b * D, end = i + D; i < end; i++) {
      const r = (delta[i] as number) / (scale[i] as number);
      sum += r * r;
    }
    const rms = Math.sqrt(sum / D);
    if (!(rms <= worst)) worst = rms;
  }
  return worst;
}

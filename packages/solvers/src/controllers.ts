import { portablePow } from '@odekit/core';
import { checkOptions } from './options.js';

/** The controller's per-solve state (pure data). */
export interface ControllerState {
  /** 1 / (previous accepted scaled error), for the P and D terms. */
  readonly prevInv: number;
  readonly prevPrevInv: number;
  /** Whether the last step was rejected: the next accepted step may then not grow (HNW §II.4). */
  readonly rejected?: boolean;
  /** Position in a scripted step sequence (see `replayController`, internal). */
  readonly index?: number;
  /** The last accepted step's size and scaled error (Gustafsson's predictive rule). */
  readonly prevDt?: number;
  readonly prevErr?: number;
}

/** What {@link StepSizeController.adapt} decides. */
export interface AdaptResult {
  readonly accept: boolean;
  /** Magnitude of the next step. */
  readonly dtNext: number;
  readonly state: ControllerState;
  /** Set when the controller cannot continue (the step is at `dtmin` and still rejected). */
  readonly failure?: 'dt_min_reached';
}

/** A step-size controller: pure functions of explicit state (Diffrax's AbstractStepSizeController). */
export interface StepSizeController {
  readonly kind: 'constant' | 'pid';
  /** Whether the loop must compute an error estimate and its scaled norm. */
  readonly adaptive: boolean;
  readonly rtol: number;
  readonly atol: number;
  readonly dtmin: number | undefined;
  readonly dtmax: number | undefined;
  /** Times steps must land on (sorted ascending), and times of discontinuities. */
  readonly stepTs: readonly number[];
  readonly jumpTs: readonly number[];
  initialState(): ControllerState;
  /**
   * Decides on a step of size `dt` (magnitude) whose scaled error norm is `errNorm` (RMS of
   * `err / (atol + rtol·max(|y0|, |y1|))`, worst sample; Infinity when non-finite).
   */
  adapt(dt: number, errNorm: number, errorOrder: number, state: ControllerState): AdaptResult;
}

/**
 * Constant step size: every step is `dt0` long (the last one is clipped to `t1`).
 *
 * @example
 * ```ts
 * import { constantStepSize } from '@odekit/solvers';
 * if (constantStepSize().adaptive) throw new Error('bad');
 * ```
 */
export function constantStepSize(): StepSizeController {
  return Object.freeze({
    kind: 'constant',
    adaptive: false,
    rtol: 0,
    atol: 0,
    dtmin: undefined,
    dtmax: undefined,
    stepTs: [],
    jumpTs: [],
    initialState: () => ({ prevInv: 1, prevPrevInv: 1, rejected: false }),
    adapt: (dt: number, errNorm: number, _order: number, state: ControllerState) => ({
      accept: Number.isFinite(errNorm),
      dtNext: dt,
      state,
    }),
  });
}

/** Options of {@link pidController} (Diffrax's names, camelCase). */
export interface PidOptions {
  rtol?: number;
  atol?: number;
  pcoeff?: number;
  icoeff?: number;
  dcoeff?: number;
  dtmin?: number;
  dtmax?: number;
  factormin?: number;
  factormax?: number;
  safety?: number;
  stepTs?: readonly number[];
  jumpTs?: readonly number[];
  /**
   * Gustafsson's predictive rule on accepted steps (Hairer & Wanner, *Solving ODEs II*, §IV.8;
   * the default of RADAU5 and RODAS): the next step is also at most
   * `safety·h·(h/h_prev)·(err_prev/err²)^(1/q)`, which stops the step from growing into a
   * rejection when the error rises from step to step. Default false: on the stiff reference
   * problems it cut rodas4's rejections on Van der Pol at rtol 1e-3 from 156 to 28 but raised its
   * evaluations at 1e-6 by 23 % (bench/README.md, W7 accuracy).
   */
  predictive?: boolean;
}

const PID_KEYS = [
  'rtol',
  'atol',
  'pcoeff',
  'icoeff',
  'dcoeff',
  'dtmin',
  'dtmax',
  'factormin',
  'factormax',
  'safety',
  'stepTs',
  'jumpTs',
  'predictive',
] as const;

/**
 * Adaptive PID step-size control with Diffrax's meaning of every option.
 *
 * A step is accepted when its scaled error norm is ≤ 1. The next step is
 * `dt · clip(safety · e₀^β₁ · e₁^β₂ · e₂^β₃, factormin, factormax)` with `eᵢ` the
 * inverse scaled errors of this and the previous two accepted steps, `β₁ = (p + i + d)/q`,
 * `β₂ = −(p + 2d)/q`, `β₃ = d/q` and `q` the solver's error order. The defaults
 * (`pcoeff = 0, icoeff = 1`) give the classic integral controller (Hairer, Nørsett & Wanner,
 * Solving ODEs I, §II.4); Söderlind & Wang (2006, doi:10.1016/j.cam.2005.03.008) discuss PID
 * choices such as `pcoeff = 0.4, icoeff = 0.3`. As in Hairer's DOPRI5 code (and SciPy), an
 * accepted step may also shrink the next one (Diffrax clips accepted steps' factor at 1, which
 * costs repeated rejections when the error creeps up, e.g. +25% evaluations on Kepler orbits),
 * and the step after a rejection may not grow. `stepTs` are times steps must land on;
 * `jumpTs` are discontinuities: steps land on them and the next step re-evaluates the field.
 *
 * @throws Error naming the option for unknown keys or invalid values.
 * @example
 * ```ts
 * import { pidController } from '@odekit/solvers';
 * const c = pidController({ rtol: 1e-6, atol: 1e-6 });
 * const r = c.adapt(0.1, 0.5, 5, c.initialState());
 * if (!r.accept || !(r.dtNext > 0.1)) throw new Error('bad');
 * ```
 */
export function pidController(options: PidOptions = {}): StepSizeController {
  checkOptions('pidController', options, PID_KEYS);
  const {
    rtol = 1e-3,
    atol = 1e-6,
    pcoeff = 0,
    icoeff = 1,
    dcoeff = 0,
    dtmin,
    dtmax,
    factormin = 0.2,
    factormax = 10,
    safety = 0.9,
    stepTs = [],
    jumpTs = [],
    predictive = false,
  } = options;
  if (typeof predictive !== 'boolean') {
    throw new Error(`pidController: 'predictive' must be true or false, got ${String(predictive)}.`);
  }
  const positive = (name: string, v: number | undefined, allowZero = false) => {
    if (v === undefined) return;
    if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new Error(
        `pidController: '${name}' must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${v}.`,
      );
    }
  };
  positive('rtol', rtol, true);
  positive('atol', atol, true);
  if (rtol === 0 && atol === 0)
    throw new Error("pidController: 'rtol' and 'atol' cannot both be 0; set e.g. rtol 1e-3, atol 1e-6.");
  positive('dtmin', dtmin);
  positive('dtmax', dtmax);
  positive('factormax', factormax);
  positive('safety', safety);
  if (!(factormin > 0 && factormin < 1))
    throw new Error(`pidController: 'factormin' must be in (0, 1), got ${factormin}.`);
  if (dtmin !== undefined && dtmax !== undefined && dtmin > dtmax) {
    throw new Error(`pidController: 'dtmin' (${dtmin}) exceeds 'dtmax' (${dtmax}).`);
  }
  for (const [name, v] of [
    ['pcoeff', pcoeff],
    ['icoeff', icoeff],
    ['dcoeff', dcoeff],
  ] as const) {
    if (!Number.isFinite(v)) throw new Error(`pidController: '${name}' must be finite, got ${v}.`);
  }
  const sortTimes = (name: string, ts: readonly number[]) => {
    if (!Array.isArray(ts) || ts.some((t) => !Number.isFinite(t))) {
      throw new Error(`pidController: '${name}' must be an array of finite times.`);
    }
    return Object.freeze([...ts].sort((a, b) => a - b));
  };
  const adapt = (dt: number, errNorm: number, errorOrder: number, state: ControllerState): AdaptResult => {
    const finite = Number.isFinite(errNorm);
    const accept = finite && errNorm <= 1;
    let factor: number;
    if (!finite) factor = factormin;
    else {
      const inv = errNorm === 0 ? Number.POSITIVE_INFINITY : 1 / errNorm;
      const b1 = (pcoeff + icoeff + dcoeff) / errorOrder;
      const b2 = -(pcoeff + 2 * dcoeff) / errorOrder;
      const b3 = dcoeff / errorOrder;
      const f1 = b1 === 0 ? 1 : portablePow(inv, b1);
      const f2 = b2 === 0 ? 1 : portablePow(state.prevInv, b2);
      const f3 = b3 === 0 ? 1 : portablePow(state.prevPrevInv, b3);
      const upper = accept && state.rejected === true ? Math.min(1, factormax) : factormax;
      let raw = safety * f1 * f2 * f3;
      if (accept && predictive && state.prevDt !== undefined && state.prevErr !== undefined && errNorm > 0) {
        const gus = safety * (dt / state.prevDt) * portablePow(state.prevErr / (errNorm * errNorm), 1 / errorOrder);
        if (gus < raw) raw = gus;
      }
      factor = Math.min(Math.max(raw, factormin), upper);
      if (Number.isNaN(factor)) factor = accept ? 1 : factormin;
    }
    let dtNext = dt * factor;
    if (dtmax !== undefined) dtNext = Math.min(dtNext, dtmax);
    if (dtmin !== undefined) {
      if (!accept && dt <= dtmin * (1 + 1e-12)) return { accept, dtNext: dtmin, state, failure: 'dt_min_reached' };
      dtNext = Math.max(dtNext, dtmin);
    }
    const nextState = accept
      ? // A zero error carries no information for the P and D terms: remember it as 1 (as
        // Diffrax does), not as a huge inverse that would shrink the next two steps.
        {
          prevInv: errNorm === 0 ? 1 : 1 / errNorm,
          prevPrevInv: state.prevInv,
          rejected: false,
          // RODAS keeps max(err, 1e-2): a tiny error would make the next prediction explode
          ...(predictive ? { prevDt: dt, prevErr: Math.max(errNorm, 1e-2) } : {}),
        }
      : { ...state, rejected: true };
    return { accept, dtNext, state: nextState };
  };
  return Object.freeze({
    kind: 'pid',
    adaptive: true,
    rtol,
    atol,
    dtmin,
    dtmax,
    stepTs: sortTimes('stepTs', stepTs),
    jumpTs: sortTimes('jumpTs', jumpTs),
    initialState: () => ({ prevInv: 1, prevPrevInv: 1, rejected: false }),
    adapt,
  });
}

/**
 * Replays a recorded sequence of accepted step sizes: every step is accepted (if finite) and
 * the next step is the next recorded one. The direct adjoint uses it to run the taped tensor
 * pass over exactly the steps a tape-free pass chose, so every adjoint differentiates the same
 * discrete solution. `jumpTs`/`stepTs` are kept so first-same-as-last reuse matches.
 */
export function replayController(steps: readonly number[], like: StepSizeController): StepSizeController {
  return Object.freeze({
    kind: 'constant',
    adaptive: false,
    rtol: like.rtol,
    atol: like.atol,
    dtmin: undefined,
    dtmax: undefined,
    stepTs: like.stepTs,
    jumpTs: like.jumpTs,
    initialState: () => ({ prevInv: 1, prevPrevInv: 1, rejected: false, index: 0 }),
    adapt: (dt: number, errNorm: number, _order: number, state: ControllerState) => {
      const index = (state.index ?? 0) + 1;
      return {
        accept: Number.isFinite(errNorm),
        dtNext: Math.abs(steps[index] ?? dt),
        state: { ...state, index },
      };
    },
  });
}

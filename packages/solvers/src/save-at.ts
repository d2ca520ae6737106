import { checkOptions } from './options.js';

/** Which values a solve keeps (Diffrax's `SaveAt`). */
export interface SaveAt {
  readonly t0: boolean;
  readonly t1: boolean;
  /** Times to save at (in the direction of integration, within [t0, t1]); from dense output. */
  readonly ts: readonly number[];
  /** Save after every accepted step. */
  readonly steps: boolean;
  /**
   * Per-sample save times of a batched state: sample `b` (index `b` on the leading batch axis of
   * every leaf of `y0`) is saved at `sampleTs[b]` only; undefined when not asked for.
   */
  readonly sampleTs?: readonly (readonly number[])[];
  /** Keep the dense output: `sol.evaluate(t)` and `sol.derivative(t)`. */
  readonly dense: boolean;
}

/** Marks the objects {@link saveAt} built (checked and frozen), so a solve takes them as they are. */
const BUILT: unique symbol = Symbol('odekit.saveAt');

/** Whether `x` was built by {@link saveAt} (then it needs no second check). */
export function isBuiltSaveAt(x: unknown): x is SaveAt {
  return typeof x === 'object' && x !== null && (x as { [BUILT]?: true })[BUILT] === true;
}

/** Options of {@link saveAt}. */
export interface SaveAtOptions {
  t0?: boolean;
  t1?: boolean;
  ts?: readonly number[] | Float64Array | Float32Array;
  steps?: boolean;
  dense?: boolean;
  /**
   * Per-sample save times of a batched state `[B, ...]`: one monotone list per sample (B lists,
   * any lengths, empty allowed). Sample `b` is interpolated from dense output at its own times
   * only, so a batch of trajectories on their own grids costs what their points cost, not
   * B × the union of their grids. The saved leaves are then `[P, ...sampleShape]` with
   * P = Σ lengths, sample by sample (sample 0's times first), `sol.ts` holds the matching times
   * and `sol.sampleOffsets` where each sample starts. Combines with `dense` only.
   */
  sampleTs?: readonly (readonly number[] | Float64Array | Float32Array)[];
}

/**
 * Chooses what a solve saves. With no options it saves `y(t1)` only (Diffrax's default).
 * Outputs are ordered: `t0`, then `ts`, then every step, then `t1` — as a time-ordered union
 * when several are asked for (duplicates are kept, as Diffrax does). `ts` must be monotone
 * (repeated times are allowed) in the direction of integration.
 *
 * @throws Error for unknown options, non-finite or non-monotone `ts`, or nothing to save.
 * @example
 * ```ts
 * import { saveAt } from '@odekit/solvers';
 * const s = saveAt({ ts: [0, 0.5, 1] });
 * if (s.t1 || s.ts.length !== 3) throw new Error('bad');
 * // a batch of two samples, each saved at its own times
 * const own = saveAt({ sampleTs: [[0.5], [0.2, 1]] });
 * if (own.sampleTs?.length !== 2 || own.t1) throw new Error('bad');
 * ```
 */
export function saveAt(options: SaveAtOptions = {}): SaveAt {
  checkOptions('saveAt', options, ['t0', 't1', 'ts', 'steps', 'dense', 'sampleTs']);
  const anyGiven = Object.keys(options).length > 0;
  const ts = options.ts === undefined ? [] : Array.from(options.ts);
  checkTimes(ts, 'ts');
  let sampleTs: (readonly number[])[] | undefined;
  if (options.sampleTs !== undefined) {
    if (!Array.isArray(options.sampleTs)) {
      throw new Error("saveAt: 'sampleTs' must be an array with one array of save times per batch sample.");
    }
    for (const k of ['t0', 't1', 'ts', 'steps'] as const) {
      const v = options[k];
      if (v !== undefined && v !== false && !(k === 'ts' && ts.length === 0)) {
        throw new Error(
          `saveAt: 'sampleTs' combines with 'dense' only; drop '${k}' (or add its times to each sample).`,
        );
      }
    }
    sampleTs = options.sampleTs.map((list, b) => {
      if (!(Array.isArray(list) || list instanceof Float64Array || list instanceof Float32Array)) {
        throw new Error(`saveAt: 'sampleTs[${b}]' must be an array of save times.`);
      }
      const times = Array.from(list);
      checkTimes(times, `sampleTs[${b}]`);
      return Object.freeze(times);
    });
  }
  const s: SaveAt = {
    t0: options.t0 ?? false,
    t1: options.t1 ?? !anyGiven,
    ts: Object.freeze(ts),
    steps: options.steps ?? false,
    dense: options.dense ?? false,
    ...(sampleTs === undefined ? {} : { sampleTs: Object.freeze(sampleTs) }),
  };
  Object.defineProperty(s, BUILT, { value: true, enumerable: false });
  Object.freeze(s);
  if (!s.t0 && !s.t1 && s.ts.length === 0 && !s.steps && !s.dense && s.sampleTs === undefined) {
    throw new Error('saveAt: nothing to save; set at least one of t0, t1, ts, steps or dense (or sampleTs).');
  }
  return s;
}

/** Finite and monotone in one direction (repeats allowed). */
function checkTimes(ts: readonly number[], name: string): void {
  ts.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new Error(`saveAt: '${name}[${i}]' is ${t}; save times must be finite numbers.`);
    }
  });
  if (ts.length > 1) {
    const dir = Math.sign((ts[ts.length - 1] as number) - (ts[0] as number));
    for (let i = 1; i < ts.length; i++) {
      const d = (ts[i] as number) - (ts[i - 1] as number);
      if (d * dir < 0 || (dir === 0 && d !== 0)) {
        throw new Error(
          `saveAt: '${name}' must be monotone in one direction; ${name}[${i - 1}] = ${ts[i - 1]}, ${name}[${i}] = ${ts[i]}.`,
        );
      }
    }
  }
}

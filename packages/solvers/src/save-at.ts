import { checkOptions } from './options.js';

/** Which values a solve keeps (Diffrax's `SaveAt`). */
export interface SaveAt {
  readonly t0: boolean;
  readonly t1: boolean;
  /** Times to save at (in the direction of integration, within [t0, t1]); from dense output. */
  readonly ts: readonly number[];
  /** Save after every accepted step. */
  readonly steps: boolean;
  /** Keep the dense output: `sol.evaluate(t)` and `sol.derivative(t)`. */
  readonly dense: boolean;
}

/** Options of {@link saveAt}. */
export interface SaveAtOptions {
  t0?: boolean;
  t1?: boolean;
  ts?: readonly number[] | Float64Array | Float32Array;
  steps?: boolean;
  dense?: boolean;
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
 * ```
 */
export function saveAt(options: SaveAtOptions = {}): SaveAt {
  checkOptions('saveAt', options, ['t0', 't1', 'ts', 'steps', 'dense']);
  const anyGiven = Object.keys(options).length > 0;
  const ts = options.ts === undefined ? [] : Array.from(options.ts);
  ts.forEach((t, i) => {
    if (!Number.isFinite(t)) throw new Error(`saveAt: 'ts[${i}]' is ${t}; save times must be finite numbers.`);
  });
  if (ts.length > 1) {
    const dir = Math.sign((ts[ts.length - 1] as number) - (ts[0] as number));
    for (let i = 1; i < ts.length; i++) {
      const d = (ts[i] as number) - (ts[i - 1] as number);
      if (d * dir < 0 || (dir === 0 && d !== 0)) {
        throw new Error(
          `saveAt: 'ts' must be monotone in one direction; ts[${i - 1}] = ${ts[i - 1]}, ts[${i}] = ${ts[i]}.`,
        );
      }
    }
  }
  const s: SaveAt = Object.freeze({
    t0: options.t0 ?? false,
    t1: options.t1 ?? !anyGiven,
    ts: Object.freeze(ts),
    steps: options.steps ?? false,
    dense: options.dense ?? false,
  });
  if (!s.t0 && !s.t1 && s.ts.length === 0 && !s.steps && !s.dense) {
    throw new Error('saveAt: nothing to save; set at least one of t0, t1, ts, steps or dense.');
  }
  return s;
}

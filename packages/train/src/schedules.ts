import { portablePow } from '@odekit/core';
import type { Schedule } from './transform.js';

function check(fn: string, name: string, v: unknown, min = 0, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new Error(
      `${fn}: '${name}' must be a${integer ? 'n integer' : ' finite number'} >= ${min}, got ${String(v)}.`,
    );
  }
  return v;
}

/**
 * A constant learning rate.
 *
 * @example
 * ```ts
 * import { constantSchedule } from '@odekit/train';
 * if (constantSchedule(0.1)(1000) !== 0.1) throw new Error('bad');
 * ```
 */
export function constantSchedule(value: number): Schedule {
  check('constantSchedule', 'value', value);
  return () => value;
}

/**
 * Exponential decay (Optax's `exponential_decay`): `init·decayRate^((count − begin)/steps)`,
 * floored to whole periods when `staircase`, held at `init` before `transitionBegin`, and
 * clipped at `endValue` when given.
 *
 * @example
 * ```ts
 * import { exponentialDecay } from '@odekit/train';
 * const s = exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.5 });
 * if (Math.abs(s(20) - 0.25) > 1e-12) throw new Error('bad');
 * ```
 */
export function exponentialDecay(options: {
  initValue: number;
  transitionSteps: number;
  decayRate: number;
  transitionBegin?: number;
  staircase?: boolean;
  endValue?: number;
}): Schedule {
  const fn = 'exponentialDecay';
  const { initValue, transitionSteps, decayRate, transitionBegin = 0, staircase = false, endValue } = options;
  check(fn, 'initValue', initValue);
  check(fn, 'transitionSteps', transitionSteps, 1, true);
  check(fn, 'decayRate', decayRate);
  check(fn, 'transitionBegin', transitionBegin, 0, true);
  if (endValue !== undefined) check(fn, 'endValue', endValue);
  return (count) => {
    const t = Math.max(0, count - transitionBegin) / transitionSteps;
    const v = initValue * portablePow(decayRate, staircase ? Math.floor(t) : t);
    if (endValue === undefined) return v;
    return decayRate < 1 ? Math.max(v, endValue) : Math.min(v, endValue);
  };
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, SGDR): from `initValue` to `alpha·initValue` over
 * `decaySteps`, then constant: `init·((1 − α)·½(1 + cos(π·min(count, steps)/steps)) + α)`.
 *
 * @example
 * ```ts
 * import { cosineDecay } from '@odekit/train';
 * const s = cosineDecay({ initValue: 2, decaySteps: 100 });
 * if (s(0) !== 2 || Math.abs(s(50) - 1) > 1e-12 || s(200) !== 0) throw new Error('bad');
 * ```
 */
export function cosineDecay(options: { initValue: number; decaySteps: number; alpha?: number }): Schedule {
  const fn = 'cosineDecay';
  const { initValue, decaySteps, alpha = 0 } = options;
  check(fn, 'initValue', initValue);
  check(fn, 'decaySteps', decaySteps, 1, true);
  check(fn, 'alpha', alpha);
  return (count) => {
    const c = Math.min(Math.max(count, 0), decaySteps) / decaySteps;
    return initValue * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * c)) + alpha);
  };
}

/**
 * Linear warm-up from `initValue` to `peakValue` over `warmupSteps`, then cosine decay to
 * `endValue` at `decaySteps` (counted from 0, warm-up included), as Optax's
 * `warmup_cosine_decay_schedule`.
 *
 * @throws Error when `decaySteps <= warmupSteps`.
 * @example
 * ```ts
 * import { warmupCosineDecay } from '@odekit/train';
 * const s = warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 110, endValue: 0 });
 * if (s(5) !== 0.5 || s(10) !== 1 || Math.abs(s(60) - 0.5) > 1e-12 || s(110) !== 0) throw new Error('bad');
 * ```
 */
export function warmupCosineDecay(options: {
  initValue: number;
  peakValue: number;
  warmupSteps: number;
  decaySteps: number;
  endValue?: number;
}): Schedule {
  const fn = 'warmupCosineDecay';
  const { initValue, peakValue, warmupSteps, decaySteps, endValue = 0 } = options;
  check(fn, 'initValue', initValue);
  check(fn, 'peakValue', peakValue);
  check(fn, 'warmupSteps', warmupSteps, 0, true);
  check(fn, 'decaySteps', decaySteps, 1, true);
  check(fn, 'endValue', endValue);
  if (decaySteps <= warmupSteps) {
    throw new Error(
      `${fn}: 'decaySteps' (${decaySteps}) must exceed 'warmupSteps' (${warmupSteps}); it counts the warm-up too.`,
    );
  }
  return (count) => {
    if (count < warmupSteps) return initValue + ((peakValue - initValue) * count) / warmupSteps;
    const c = Math.min(count - warmupSteps, decaySteps - warmupSteps) / (decaySteps - warmupSteps);
    return endValue + (peakValue - endValue) * 0.5 * (1 + Math.cos(Math.PI * c));
  };
}

/**
 * Piecewise constant: starts at `initValue`; at each boundary step the value is multiplied by
 * its scale (Optax's `piecewise_constant_schedule`).
 *
 * @example
 * ```ts
 * import { piecewiseConstant } from '@odekit/train';
 * const s = piecewiseConstant({ initValue: 1, boundariesAndScales: { 100: 0.1, 200: 0.5 } });
 * if (s(99) !== 1 || s(100) !== 0.1 || Math.abs(s(250) - 0.05) > 1e-15) throw new Error('bad');
 * ```
 */
export function piecewiseConstant(options: {
  initValue: number;
  boundariesAndScales: Record<number, number>;
}): Schedule {
  const fn = 'piecewiseConstant';
  const { initValue, boundariesAndScales } = options;
  check(fn, 'initValue', initValue);
  const pieces = Object.entries(boundariesAndScales ?? {})
    .map(([b, s]) => [Number(b), check(fn, `boundariesAndScales[${b}]`, s)] as const)
    .sort((a, b) => a[0] - b[0]);
  for (const [b] of pieces) check(fn, 'boundary', b, 0, true);
  return (count) => {
    let v = initValue;
    for (const [b, s] of pieces) if (count >= b) v *= s;
    return v;
  };
}

/** A schedule as data: `{ kind: 'cosine', initValue, decaySteps }` etc. */
export type ScheduleSpec =
  | ({ kind: 'constant' } & { value: number })
  | ({ kind: 'exponential' } & Parameters<typeof exponentialDecay>[0])
  | ({ kind: 'cosine' } & Parameters<typeof cosineDecay>[0])
  | ({ kind: 'warmup-cosine' } & Parameters<typeof warmupCosineDecay>[0])
  | ({ kind: 'piecewise' } & Parameters<typeof piecewiseConstant>[0]);

/** The schedule table: kinds to factories (frozen data). */
export const SCHEDULES = Object.freeze({
  constant: (s: { value: number }) => constantSchedule(s.value),
  exponential: exponentialDecay,
  cosine: cosineDecay,
  'warmup-cosine': warmupCosineDecay,
  piecewise: piecewiseConstant,
});

/**
 * Builds a schedule from data (e.g. read from a JSON config).
 *
 * @throws Error naming the known kinds when `spec.kind` is unknown.
 * @example
 * ```ts
 * import { makeSchedule } from '@odekit/train';
 * const s = makeSchedule({ kind: 'cosine', initValue: 1, decaySteps: 10 });
 * if (s(10) !== 0) throw new Error('bad');
 * ```
 */
export function makeSchedule(spec: ScheduleSpec): Schedule {
  const factory = Object.hasOwn(SCHEDULES, spec?.kind) ? SCHEDULES[spec.kind] : undefined;
  if (factory === undefined) {
    throw new Error(
      `makeSchedule: 'kind' must be one of ${Object.keys(SCHEDULES).join(', ')}, got ${JSON.stringify(spec?.kind)}.`,
    );
  }
  return (factory as (s: ScheduleSpec) => Schedule)(spec);
}

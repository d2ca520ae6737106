import type { GradientTransformation } from './transform.js';

/** Which leaves a stage trains: `'all'`, a group name, several names, or a predicate on the path. */
export type TrainSelector = string | readonly string[] | ((path: string) => boolean);

/** One stage of a curriculum (data, not code: stages can come from a JSON config). */
export interface FitStage {
  /** A name for progress and results (default `stage <i>`). */
  name?: string;
  /** Optimisation steps in this stage. */
  steps: number;
  /**
   * The leaves trained in this stage (default `'all'`). A name selects the leaves whose path
   * is the name or starts with `name.` (e.g. `'physics'` for `{ physics: {...}, network: {...} }`),
   * or the predicate `groups[name]` of `fit`. The other leaves are frozen: bit for bit unchanged.
   */
  train?: TrainSelector;
  /** The fraction of each series the loss should use (`ctx.length`; default 1). */
  length?: number;
  /** The optimiser for this stage (default: `fit`'s `optimizer`). */
  optimizer?: GradientTransformation;
  /**
   * Start this stage with a fresh optimiser state (default true). A state is always fresh when
   * the trained leaves or the optimiser change.
   */
  resetOptimizer?: boolean;
}

/** Diffrax's curriculum: train on the first `lengthStrategy[i]` of each series for `stepsStrategy[i]` steps. */
export interface Curriculum {
  lengthStrategy: readonly number[];
  stepsStrategy: readonly number[];
}

/**
 * Turns `steps`, `stages` or `curriculum` into one list of stages.
 *
 * @throws Error when none or more than one is given, or a stage is malformed.
 */
export function resolveStages(
  steps: number | undefined,
  stages: readonly FitStage[] | undefined,
  curriculum: Curriculum | undefined,
): FitStage[] {
  const given = [steps !== undefined, stages !== undefined, curriculum !== undefined].filter(Boolean).length;
  if (given !== 1) {
    throw new Error(`fit: pass exactly one of 'steps', 'stages' or 'curriculum' (got ${given}).`);
  }
  let out: FitStage[];
  if (steps !== undefined) out = [{ steps }];
  else if (stages !== undefined) {
    if (!Array.isArray(stages) || stages.length === 0) throw new Error("fit: 'stages' must be a non-empty array.");
    out = [...stages];
  } else {
    const { lengthStrategy, stepsStrategy } = curriculum as Curriculum;
    if (
      !Array.isArray(lengthStrategy) ||
      !Array.isArray(stepsStrategy) ||
      lengthStrategy.length !== stepsStrategy.length ||
      lengthStrategy.length === 0
    ) {
      throw new Error(
        "fit: 'curriculum.lengthStrategy' and 'curriculum.stepsStrategy' must be non-empty arrays of one length.",
      );
    }
    out = lengthStrategy.map((length, i) => ({ name: `length ${length}`, length, steps: stepsStrategy[i] as number }));
  }
  out.forEach((s, i) => {
    if (!Number.isInteger(s.steps) || s.steps < 0)
      throw new Error(`fit: stage ${i} 'steps' must be an integer >= 0, got ${s.steps}.`);
    if (s.length !== undefined && !(s.length > 0 && s.length <= 1)) {
      throw new Error(`fit: stage ${i} 'length' must be in (0, 1], got ${s.length}.`);
    }
  });
  return out;
}

/** A predicate on leaf paths for a stage's `train` selector. */
export function selectorPredicate(
  selector: TrainSelector | undefined,
  groups: Readonly<Record<string, (path: string) => boolean>>,
  stageIndex: number,
): (path: string) => boolean {
  if (selector === undefined || selector === 'all') return () => true;
  if (typeof selector === 'function') return selector;
  const names = typeof selector === 'string' ? [selector] : selector;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new Error(`fit: stage ${stageIndex} 'train' must be 'all', a group name, an array of names or a predicate.`);
  }
  const preds = names.map((name) =>
    Object.hasOwn(groups, name)
      ? (groups[name] as (path: string) => boolean)
      : name === 'all'
        ? () => true
        : (path: string) => path === name || path.startsWith(`${name}.`),
  );
  return (path) => preds.some((p) => p(path));
}

/**
 * The number of points of a series of `n` points that a curriculum `length` fraction keeps:
 * `max(2, floor(n·length))` (Diffrax's example uses `int(n·length)`), at most `n`.
 *
 * @example
 * ```ts
 * import { prefixLength } from '@odekit/train';
 * if (prefixLength(100, 0.1) !== 10 || prefixLength(100, 1) !== 100) throw new Error('bad');
 * ```
 */
export function prefixLength(n: number, length: number): number {
  return Math.min(n, Math.max(2, Math.floor(n * length + 1e-9)));
}

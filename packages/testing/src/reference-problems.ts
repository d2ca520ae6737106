import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { rhsFields } from './rhs-fields.js';
import type { RhsNode } from './rhs-parser.js';

/** One reference initial value problem (see `fixtures/README.md`). */
export interface ReferenceProblem {
  id: string;
  stiff: boolean;
  t0: number;
  t1: number;
  y0: number[];
  /** Each component's right-hand side as text, in `y0..yN` and `t`. */
  rhs: string[];
  /** The 21 save times and the float64 reference solution there, `[21][dim]`. */
  ts: number[];
  ys: number[][];
  /** SciPy's figures: keys like `RK45@1e-06` → `{ nfe, maxAbsErr }`. */
  scipy: Record<string, { nfe: number; maxAbsErr: number }>;
  /** The parsed right-hand side. */
  ast: RhsNode[];
  /** The vector field for tfjs: `y` is `[..., dim]`, the result has the same shape. */
  vectorField: (t: number, y: tf.Tensor) => tf.Tensor;
  /** The vector field in float64 plain JS. */
  vectorField64: (t: number, y: readonly number[]) => number[];
}

/**
 * Loads the 14 reference problems of `fixtures/ode-problems.json` with vector fields built by
 * parsing each `rhs` string.
 *
 * @example
 * ```ts
 * import { loadReferenceProblems } from '@odekit/testing';
 * const a1 = loadReferenceProblems().find((p) => p.id === 'A1');
 * if (a1 === undefined || a1.vectorField64(0, [2])[0] !== -2) throw new Error('bad');
 * ```
 */
export function loadReferenceProblems(): ReferenceProblem[] {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/ode-problems.json', import.meta.url), 'utf8')) as {
    problems: Omit<ReferenceProblem, 'ast' | 'vectorField' | 'vectorField64'>[];
  };
  return raw.problems.map((p) => ({ ...p, ...rhsFields(p.rhs) }));
}

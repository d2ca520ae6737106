import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { rhsFields } from './rhs-fields.js';
import type { RhsNode } from './rhs-parser.js';

/** SciPy's figures for one method at one tolerance (see `scripts/make-stiff-problems.py`). */
export interface ScipyStiffFigures {
  success: boolean;
  steps: number;
  nfev: number;
  njev: number;
  nlu: number;
  /** `nfev + njev·dim`: the finite-difference Jacobian columns counted as field evaluations. */
  nfeWithJac: number;
  maxAbsErr: number;
  /** Max over save points and components of |err| / max_t |y_i(t)|. */
  maxRelErr: number;
  msPerSolve: number;
}

/** One stiff reference problem of `fixtures/stiff-problems.json`. */
export interface StiffProblem {
  id: string;
  about: string;
  t0: number;
  t1: number;
  y0: number[];
  rhs: string[];
  ts: number[];
  ys: number[][];
  crossCheckRelDiff: number;
  /** Keys `Radau@1e-06/1e-10`, `BDF@0.001/1e-06`, `LSODA@…`. */
  scipy: Record<string, ScipyStiffFigures>;
  ast: RhsNode[];
  /** The vector field for tfjs: `y` is `[..., dim]`. */
  vectorField: (t: number, y: tf.Tensor) => tf.Tensor;
  vectorField64: (t: number, y: readonly number[]) => number[];
}

/**
 * Loads the stiff problems (Robertson to 40 and to 1e5, Van der Pol μ = 1000, the Oregonator, HIRES)
 * with float64 references and SciPy's Radau/BDF/LSODA figures, made by
 * `packages/testing/scripts/make-stiff-problems.py`.
 *
 * @example
 * ```ts
 * import { loadStiffProblems } from '@odekit/testing';
 * const rober = loadStiffProblems().find((p) => p.id === 'ROBER');
 * if (rober === undefined || rober.vectorField64(0, [1, 0, 0])[0] !== -0.04) throw new Error('bad');
 * ```
 */
export function loadStiffProblems(): StiffProblem[] {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/stiff-problems.json', import.meta.url), 'utf8')) as {
    problems: Omit<StiffProblem, 'ast' | 'vectorField' | 'vectorField64'>[];
  };
  return raw.problems.map((p) => ({ ...p, ...rhsFields(p.rhs) }));
}

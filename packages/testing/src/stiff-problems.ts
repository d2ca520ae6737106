import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateRhs, evaluateRhsTensor, parseRhs, type RhsNode } from './rhs-parser.js';

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
 * Loads the stiff problems (Robertson to 40 and to 1e5, Van der Pol μ = 1000, the Oregonator)
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
  return raw.problems.map((p) => {
    const ast = p.rhs.map(parseRhs);
    const dim = p.y0.length;
    const vectorField = (t: number, y: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        const parts = tf.unstack(y, y.rank - 1);
        const env: Record<string, tf.Tensor | number> = { t };
        parts.forEach((c, i) => {
          env[`y${i}`] = c;
        });
        const comps = ast.map((node) => tf.broadcastTo(evaluateRhsTensor(node, env), y.shape.slice(0, -1)));
        return tf.stack(comps, y.rank - 1);
      });
    const vectorField64 = (t: number, y: readonly number[]): number[] => {
      const env: Record<string, number> = { t };
      for (let i = 0; i < dim; i++) env[`y${i}`] = y[i] as number;
      return ast.map((node) => evaluateRhs(node, env));
    };
    return { ...p, ast, vectorField, vectorField64 };
  });
}

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateRhs, evaluateRhsTensor, parseRhs, type RhsNode } from './rhs-parser.js';

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

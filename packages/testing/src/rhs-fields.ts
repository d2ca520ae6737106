import * as tf from '@tensorflow/tfjs-core';
import { evaluateRhs, evaluateRhsTensor, parseRhs, type RhsNode } from './rhs-parser.js';

/** A problem's right-hand side parsed once, as a tfjs field and a float64 field. */
export interface RhsFields {
  /** The parsed right-hand side, one node per component. */
  ast: RhsNode[];
  /** The vector field for tfjs: `y` is `[..., dim]`, the result has the same shape. */
  vectorField: (t: number, y: tf.Tensor) => tf.Tensor;
  /** The vector field in float64 plain JS. */
  vectorField64: (t: number, y: readonly number[]) => number[];
}

/** Builds both vector fields of a right-hand side given as text in `y0..yN` and `t` (internal). */
export function rhsFields(rhs: readonly string[]): RhsFields {
  const ast = rhs.map(parseRhs);
  const dim = rhs.length;
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
  return { ast, vectorField, vectorField64 };
}

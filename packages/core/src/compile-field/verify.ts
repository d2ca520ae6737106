import * as tf from '@tensorflow/tfjs-core';
import type { HostFieldSession } from '../host-implementation.js';
import { sizeOfShape } from '../host-ops/shapes.js';
import { isolatedGradients } from '../internal/tfjs-internals.js';
import { treeFlatten } from '../tree.js';
import { type Field, traceState } from './tracing.js';

/** `true` when `got` matches `want` elementwise (NaN matches NaN); otherwise where it does not. */
function firstMismatch(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (w: number) => number,
): [number, number, number] | undefined {
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    const v = got[i] as number;
    if (Number.isNaN(w) && Number.isNaN(v)) continue;
    if (!(Math.abs(v - w) <= tol(w))) return [v, w, i];
  }
  return undefined;
}

/**
 * `true` when `session` evaluates the field as tfjs did on a trace (`want`, at time `t` and the
 * trace state); otherwise why not.
 */
export function checkValues(
  session: HostFieldSession,
  yShape: readonly number[],
  want: ArrayLike<number>,
  t: number,
): true | string {
  const got = session.evaluate(t, traceState(sizeOfShape(yShape)));
  const bad = firstMismatch(got, want, (w) => 1e-5 + 1e-4 * Math.abs(w));
  return bad === undefined
    ? true
    : `the compiled program disagrees with tfjs (${bad[0]} against ${bad[1]} at element ${bad[2]})`;
}

/**
 * `true` when the session's VJP (its state part and the args part for every float32 args leaf)
 * equals tfjs's gradient of `f` at time `t` and the trace state for a fixed cotangent;
 * otherwise why not. tfjs's gradient is taken on a tape of its own, so an enclosing gradient is
 * not disturbed.
 */
export function checkVjp(
  session: HostFieldSession,
  f: Field,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
  t: number,
): true | string {
  const y = traceState(sizeOfShape(yShape));
  const ct = Float32Array.from(y, (v, i) => (i % 3) - 1 + 0.5 * v);
  const floats = argTensors.map((a, j) => [a, j] as const).filter(([a]) => a.dtype === 'float32');
  const argGrads = argTensors.map((a) => new Float64Array(a.dtype === 'float32' ? a.size : 0));
  const got = [session.vjp(t, y, ct, argGrads), ...floats.map(([, j]) => argGrads[j] as Float64Array)];
  let want: Float32Array[];
  try {
    want = tf.tidy(() => {
      const yt = tf.tensor(y, yShape.slice(), 'float32');
      const xs = [yt, ...floats.map(([a]) => a)];
      const { grads } = isolatedGradients(
        () => treeFlatten<tf.Tensor>(f(t, yFromLeaf(yt), args) as never).leaves[0] as tf.Tensor,
        xs,
        tf.tensor(ct, yShape.slice(), 'float32'),
      );
      return grads.map((g, i) =>
        g === undefined ? new Float32Array((xs[i] as tf.Tensor).size) : (g.dataSync() as Float32Array),
      );
    });
  } catch (e) {
    return `tfjs could not differentiate the field to check the compiled VJP: ${(e as Error).message}`;
  }
  for (const [q, w] of want.entries()) {
    let scale = 0;
    for (const v of w) scale = Math.max(scale, Math.abs(v));
    const bad = firstMismatch(got[q] as ArrayLike<number>, w, (wi) => 1e-5 * (1 + scale) + 1e-3 * Math.abs(wi));
    if (bad !== undefined) {
      const what = q === 0 ? 'the state' : `args leaf #${(floats[q - 1] as readonly [tf.Tensor, number])[1]}`;
      return `the compiled VJP disagrees with tfjs's gradient for ${what} (${bad[0]} against ${bad[1]} at element ${bad[2]})`;
    }
  }
  return true;
}

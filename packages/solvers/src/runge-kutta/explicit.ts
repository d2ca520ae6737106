import type { FloatArray } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { stageCombination } from '../host-combine.js';
import type {
  AbstractSolver,
  HostDense,
  HostField,
  HostStepOutput,
  RowField,
  StepInput,
  StepOutput,
} from '../solver.js';
import { polyDeriv, polyEval, polyTable, polyTableEval } from './poly.js';
import type { ButcherTableau } from './tableau.js';

/**
 * One generic explicit Runge–Kutta step for every tableau.
 *
 * Per-op overhead dominates small systems in tfjs, so stage values are combined with one
 * matrix product each: the rows `[y0; k1; …; k_i]` are kept stacked (one `concat` per stage)
 * and stage `i+1` is `[1, h·a_{i+1,1}, …] · rows` — four tensor ops per stage besides the vector
 * field, whatever the number of stages. The solution and the error estimate come from one more
 * product each (the FSAL solution is the last stage's input, so it costs nothing).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, explicitRungeKutta, RK4 } from '@odekit/solvers';
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.neg(y), solver: explicitRungeKutta(RK4),
 *   t0: 0, t1: 1, dt0: 0.1, y0: tf.tensor1d([1]) });
 * if (Math.abs((sol.ys as tf.Tensor).dataSync()[0] - Math.exp(-1)) > 1e-6) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function explicitRungeKutta(tableau: ButcherTableau): AbstractSolver {
  const s = tableau.c.length;
  const dense = tableau.dense;
  const denseD = dense.map(polyDeriv);
  const errorOrder = tableau.bError ? tableau.errorOrder : undefined;

  const step = ({ f, t0, h, y0, f0, wantError }: StepInput): StepOutput =>
    tf.tidy(() => {
      let nfe = 0;
      const k1 = f0 ?? f(t0, y0);
      if (f0 === undefined) nfe++;
      let rows = tf.concat([y0, k1], 0) as tf.Tensor2D;
      let yStage: tf.Tensor2D = y0;
      let kLast: tf.Tensor2D = k1;
      for (let i = 1; i < s; i++) {
        const a = tableau.a[i] as readonly number[];
        const w = new Float32Array(i + 1);
        w[0] = 1;
        for (let j = 0; j < i; j++) w[j + 1] = h * (a[j] as number);
        yStage = tf.matMul(tf.tensor2d(w, [1, i + 1]), rows);
        kLast = f(t0 + (tableau.c[i] as number) * h, yStage);
        nfe++;
        rows = tf.concat([rows, kLast], 0) as tf.Tensor2D;
      }
      let y1: tf.Tensor2D;
      if (tableau.fsal) y1 = yStage;
      else {
        const w = new Float32Array(s + 1);
        w[0] = 1;
        for (let j = 0; j < s; j++) w[j + 1] = h * (tableau.b[j] as number);
        y1 = tf.matMul(tf.tensor2d(w, [1, s + 1]), rows);
      }
      let yError: tf.Tensor2D | undefined;
      if (wantError && tableau.bError) {
        const w = new Float32Array(s + 1);
        for (let j = 0; j < s; j++) w[j + 1] = h * (tableau.bError[j] as number);
        yError = tf.matMul(tf.tensor2d(w, [1, s + 1]), rows);
      }
      return { y1, yError, dense: rows, f1: tableau.fsal ? kLast : undefined, nfe };
    });

  const completeDense = (f: RowField, t1: number, out: StepOutput) => {
    if (!tableau.denseNeedsF1) return undefined;
    return tf.tidy(() => {
      const f1 = f(t1, out.y1);
      return { dense: tf.concat([out.dense, f1], 0) as tf.Tensor2D, f1, nfe: 1 };
    });
  };

  const stepHost = (
    f: HostField,
    t0: number,
    h: number,
    y0: Float64Array,
    f0: FloatArray | undefined,
    wantError: boolean,
  ): HostStepOutput => {
    const n = y0.length;
    let nfe = 0;
    const k: FloatArray[] = [];
    if (f0 === undefined) nfe++;
    k.push(f0 ?? f(t0, y0));
    let yStage = y0;
    for (let i = 1; i < s; i++) {
      yStage = stageCombination(n, y0, tableau.a[i] as readonly number[], k, h);
      k.push(f(t0 + (tableau.c[i] as number) * h, yStage));
      nfe++;
    }
    const y1 = tableau.fsal ? yStage : stageCombination(n, y0, tableau.b, k, h);
    const yError = wantError && tableau.bError ? stageCombination(n, undefined, tableau.bError, k, h) : undefined;
    return { y1, yError, dense: { y0, k }, f1: tableau.fsal ? k[s - 1] : undefined, nfe };
  };

  const completeDenseHost = (f: HostField, t1: number, out: HostStepOutput) => {
    if (!tableau.denseNeedsF1) return undefined;
    const f1 = f(t1, out.y1);
    const dense: HostDense = { y0: out.dense.y0, k: [...out.dense.k, f1] };
    return { dense, f1, nfe: 1 };
  };

  const denseWeights = (theta: number, h: number, derivative: boolean): Float32Array => {
    const w = new Float32Array(dense.length + 1);
    w[0] = derivative ? 0 : 1;
    const polys = derivative ? denseD : dense;
    const scale = derivative ? 1 : h;
    for (let i = 0; i < polys.length; i++) w[i + 1] = scale * polyEval(polys[i] as readonly number[], theta);
    return w;
  };

  const denseTable = polyTable(dense);
  const denseWeightsInto = (out: Float32Array, at: number, r: number, theta: number, h: number): void => {
    // the values of denseWeights(theta, h, false), written in place
    if (r <= 0) return;
    out[at] = 1;
    polyTableEval(denseTable, theta, h, out, at + 1, Math.min(r - 1, dense.length));
  };

  return Object.freeze({
    name: tableau.name,
    order: tableau.order,
    tableau,
    errorOrder,
    step,
    completeDense,
    stepHost,
    completeDenseHost,
    denseWeights,
    denseWeightsInto,
  });
}

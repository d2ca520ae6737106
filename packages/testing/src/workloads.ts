import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

/** The raw benchmark workloads W1–W5 of `fixtures/workloads.json` (see `fixtures/README.md`). */
export interface Workloads {
  W1: {
    ts: number[];
    y0: number[];
    t0: number;
    t1: number;
    a: number;
    b: number;
    c: number;
    d: number;
    rtol: number;
    atol: number;
    reference_ys: number[][];
  };
  W2: {
    init: { mech: number[]; W1: number[][]; b1: number[]; W2: number[][]; b2: number[] };
    y0: number[];
    ts: number[];
    data: number[][];
    rtol: number;
    atol: number;
    reference_gradient: { loss: number; grad: number[] };
  };
  W3: Record<string, unknown>;
  W4: { batches: number[]; y0_rows: number[][] };
  W5: { horizons: number[] };
}

/**
 * Loads the benchmark workloads.
 *
 * @example
 * ```ts
 * import { loadWorkloads } from '@odekit/testing';
 * if (loadWorkloads().W2.ts.length !== 100) throw new Error('bad');
 * ```
 */
export function loadWorkloads(): Workloads {
  return JSON.parse(readFileSync(new URL('../fixtures/workloads.json', import.meta.url), 'utf8')) as Workloads;
}

/** Parameters of the W2 hybrid Lotka–Volterra model (`param_order` of the workload). */
export type LvHybridParams = {
  /** α, β, γ, δ: `[4]`. */
  mech: tf.Tensor1D;
  /** `[4, 2]`, W1[i][j]: input j → hidden i. */
  W1: tf.Tensor2D;
  b1: tf.Tensor1D;
  /** `[1, 4]`. */
  W2: tf.Tensor2D;
  b2: tf.Tensor1D;
};

/**
 * The W2 parameters as tensors (the workload's initial values unless given).
 *
 * @example
 * ```ts
 * import { lvHybridParams } from '@odekit/testing';
 * const p = lvHybridParams();
 * if (p.W1.shape.join() !== '4,2') throw new Error('bad');
 * ```
 */
export function lvHybridParams(init: Workloads['W2']['init'] = loadWorkloads().W2.init): LvHybridParams {
  return {
    mech: tf.tensor1d(init.mech),
    W1: tf.tensor2d(init.W1),
    b1: tf.tensor1d(init.b1),
    W2: tf.tensor2d(init.W2),
    b2: tf.tensor1d(init.b2),
  };
}

/**
 * The W2 vector field on `y = [..., 2]` (rabbits r, cats c):
 * `dr = α r − β r c`, `dc = −γ c + δ r (c + NN(r, c))`, `NN = Linear(2→4) → tanh → Linear(4→1)`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { lvHybridField, lvHybridParams } from '@odekit/testing';
 * const dy = lvHybridField(0, tf.tensor1d([2, 1]), lvHybridParams());
 * if (dy.shape.join() !== '2') throw new Error('bad');
 * ```
 */
export function lvHybridField(_t: number, y: tf.Tensor, p: LvHybridParams): tf.Tensor {
  return tf.tidy(() => {
    // Broadcasting elementwise ops and slices along the state axis are slow on the cpu
    // backend for large batches, so every coefficient is applied by a small matMul:
    // dy = y·diag(α, −γ) + (r c)·[−β, δ] + (r·NN)·[0, δ].
    const y2 = tf.reshape(y, [-1, 2]);
    const coef = tf.matMul(tf.reshape(p.mech, [1, 4]), tf.tensor2d(SELECT, [4, 8]));
    const diag = tf.reshape(tf.slice(coef, [0, 0], [1, 4]), [2, 2]);
    const quad = tf.slice(coef, [0, 4], [1, 2]);
    const corr = tf.slice(coef, [0, 6], [1, 2]);
    const hidden = tf.tanh(tf.add(tf.matMul(y2, p.W1, false, true), p.b1));
    const nn = tf.add(tf.matMul(hidden, p.W2, false, true), p.b2);
    const r = tf.matMul(y2, tf.tensor2d(PICK_R, [2, 1]));
    const rc = tf.prod(y2, 1, true);
    const dy = tf.add(tf.add(tf.matMul(y2, diag), tf.matMul(rc, quad)), tf.matMul(tf.mul(r, nn), corr));
    return tf.reshape(dy, y.shape);
  });
}

/** Everything the fused W2 field needs, derived once per solve from {@link LvHybridParams}. */
export type LvHybridArgs = {
  /** `[4, 2]`: dy = [r, c, r c, r·NN] · out, out = [[α, 0], [0, −γ], [−β, δ], [0, δ]]. */
  out: tf.Tensor2D;
  W1: tf.Tensor2D;
  b1: tf.Tensor1D;
  W2: tf.Tensor2D;
  b2: tf.Tensor1D;
  /** The constant [[1], [0]] that picks r. */
  pickR: tf.Tensor2D;
};

/**
 * Derives the fused field's args from the parameters (differentiable: call it inside the loss
 * and pass the result as `args`, so the coefficient algebra runs once per solve, not per step).
 *
 * @example
 * ```ts
 * import { lvHybridArgs, lvHybridParams } from '@odekit/testing';
 * const a = lvHybridArgs(lvHybridParams());
 * if (a.out.shape.join() !== '4,2') throw new Error('bad');
 * ```
 */
export function lvHybridArgs(p: LvHybridParams): LvHybridArgs {
  return tf.tidy(() => {
    // mech [α, β, γ, δ] · SELECT = [α, 0, 0, −γ, −β, δ, 0, δ], read as four rows of two
    const coef = tf.matMul(tf.reshape(p.mech, [1, 4]), tf.tensor2d(SELECT, [4, 8]));
    return {
      out: tf.reshape(coef, [4, 2]) as tf.Tensor2D,
      W1: tf.clone(p.W1),
      b1: tf.clone(p.b1),
      W2: tf.clone(p.W2),
      b2: tf.clone(p.b2),
      pickR: tf.tensor2d(PICK_R, [2, 1]),
    };
  });
}

/**
 * The W2 vector field on pre-derived args ({@link lvHybridArgs}): the same values as
 * {@link lvHybridField} with 12 tensor ops per evaluation instead of 21.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { lvHybridArgs, lvHybridFieldFused, lvHybridParams } from '@odekit/testing';
 * const dy = lvHybridFieldFused(0, tf.tensor1d([2, 1]), lvHybridArgs(lvHybridParams()));
 * if (dy.shape.join() !== '2') throw new Error('bad');
 * ```
 */
export function lvHybridFieldFused(_t: number, y: tf.Tensor, a: LvHybridArgs): tf.Tensor {
  return tf.tidy(() => {
    const y2 = tf.reshape(y, [-1, 2]);
    const hidden = tf.tanh(tf.add(tf.matMul(y2, a.W1, false, true), a.b1));
    const nn = tf.add(tf.matMul(hidden, a.W2, false, true), a.b2);
    const rc = tf.prod(y2, 1, true);
    const rnn = tf.mul(tf.matMul(y2, a.pickR), nn);
    const dy = tf.matMul(tf.concat([y2, rc, rnn], 1), a.out);
    return tf.reshape(dy, y.shape);
  });
}

/** mech [α, β, γ, δ] · SELECT = [α, 0, 0, −γ, −β, δ, 0, δ]. */
const SELECT = new Float32Array([
  1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1,
]);
const PICK_R = new Float32Array([1, 0]);

/** Flattens W2 gradients in the workload's `param_order` (α..δ, W1 row-major, b1, W2, b2). */
export function lvHybridFlat(p: LvHybridParams): number[] {
  return [p.mech, p.W1, p.b1, p.W2, p.b2].flatMap((t) => Array.from(t.dataSync()));
}

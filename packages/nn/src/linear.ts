import { isTracingField } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { type UniformSource, uniformFanIn, uniformSource, zerosInit } from './init.js';

/** The parameters of a {@link linear} layer: `weight` `[outSize, inSize]`, optional `bias` `[outSize]`. */
export type LinearParams = { weight: tf.Tensor2D; bias?: tf.Tensor1D };

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Input features. */
  inSize: number;
  /** Output features. */
  outSize: number;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Multiplies the default U(±1/√inSize) bound (default 1). */
  initScale?: number;
  /** `'uniform'` (default, PyTorch/Equinox) or `'zeros'`. */
  init?: 'uniform' | 'zeros';
  /** Seed of the initialiser (default 0); ignored when `random` is given. */
  seed?: number;
  /** A uniform [0, 1) source consumed weight (row-major) then bias, e.g. `mulberry32(5679)`. */
  random?: UniformSource;
}

/** A layer: its initial parameters (owned by the caller) and a pure `apply`. */
export interface Layer<P> {
  /** The initial parameters; the caller owns (and disposes) them. */
  readonly params: P;
  /** `x: [..., inSize] → [..., outSize]`; borrows `params` and `x`, returns a new tensor. */
  apply(params: P, x: tf.Tensor): tf.Tensor;
  /** Input and output features. */
  readonly inSize: number;
  readonly outSize: number;
}

function checkSize(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`linear: '${name}' must be a positive integer, got ${n}.`);
}

/**
 * `y = x Wᵀ + b` over the last axis of `x`. Works on any leading axes: reshapes to 2-D, does one
 * matMul and one add, reshapes back. On the wasm backend it transposes `W` explicitly for an
 * untransposed matMul, and takes its gradient with untransposed products
 * (tfjs 4.22 wasm runs transposed matMuls through a loop 3–9× slower than XNNPACK's); the
 * values and gradients equal the cpu backend's to float32 rounding.
 *
 * Shapes: `x [..., inSize]`, `weight [outSize, inSize]`, `bias [outSize]` → `[..., outSize]`.
 *
 * @throws Error when the last axis of `x` is not `inSize`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { applyLinear } from '@odekit/nn';
 * const y = applyLinear({ weight: tf.tensor2d([[1, 2]]), bias: tf.tensor1d([0.5]) }, tf.tensor2d([[3, 4]]));
 * if (y.dataSync()[0] !== 11.5) throw new Error('bad');
 * ```
 */
export function applyLinear(params: LinearParams, x: tf.Tensor): tf.Tensor {
  const w = params.weight;
  const inSize = w.shape[1];
  const outSize = w.shape[0];
  if (x.shape[x.rank - 1] !== inSize) {
    throw new Error(
      `linear.apply: 'x' must have last axis ${inSize}, got shape [${x.shape.join(', ')}]; pass [..., ${inSize}].`,
    );
  }
  const bias = params.bias;
  // One matMul with Wᵀ, then the bias. Not tf.fused.matMul: with transposeB and a bias it
  // computes wrong values on the wasm backend of tfjs 4.22 (tested in linear-wasm.test.ts).
  const affine = (x2: tf.Tensor2D) => {
    if (tf.getBackend() === 'wasm') {
      // while compileField traces, the same untransposed kernels as plain ops (a custom
      // gradient cannot be compiled; the compiled program differentiates them itself)
      if (isTracingField())
        return bias === undefined ? tf.matMul(x2, tf.transpose(w)) : tf.add(tf.matMul(x2, tf.transpose(w)), bias);
      return bias === undefined ? wasmAffine(x2, w) : wasmAffineBias(x2, w, bias);
    }
    const y = tf.matMul(x2, w, false, true);
    if (bias === undefined) return y;
    const out = tf.add(y, bias);
    y.dispose();
    return out;
  };
  if (x.rank === 2) return affine(x as tf.Tensor2D);
  return tf.tidy(() =>
    tf.reshape(affine(tf.reshape(x, [-1, inSize]) as tf.Tensor2D), [...x.shape.slice(0, -1), outSize]),
  );
}

// On wasm, tfjs 4.22 gives XNNPACK only untransposed matMuls; with transposeA or transposeB it
// runs a slow loop (3–9× slower for 32–4224 rows of width 64), and tfjs's own gradient of x·Wᵀ
// needs both kinds. So on wasm a linear layer transposes W explicitly (Transpose, matMul, add:
// three kernels; tf.fused.matMul would add three Reshapes) and brings its own gradient, every
// product untransposed: dx = dy·W, dW = dyᵀ·x (dyᵀ by a Transpose), db = Σ dy.
type Inputs = (tf.Tensor | tf.GradSaveFunc)[];
const wasmAffineGrads = (dy: tf.Tensor, saved: tf.Tensor[], withBias: boolean): tf.Tensor[] =>
  tf.tidy(() => {
    const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dx = tf.matMul(dy as tf.Tensor2D, w);
    const dw = tf.matMul(tf.transpose(dy) as tf.Tensor2D, x);
    return withBias ? [dx, dw, tf.sum(dy, 0)] : [dx, dw];
  });
const wasmAffineBias = tf.customGrad((...inputs: Inputs) => {
  const [x, w, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.tidy(() => tf.add(tf.matMul(x, tf.transpose(w)), b)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => wasmAffineGrads(dy, saved, true),
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
const wasmAffine = tf.customGrad((...inputs: Inputs) => {
  const [x, w, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.tidy(() => tf.matMul(x, tf.transpose(w))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => wasmAffineGrads(dy, saved, false),
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * A linear layer as a parameter tree `{ weight, bias }` plus a pure `apply`.
 *
 * Initialised like PyTorch and Equinox: weight and bias U(±initScale/√inSize).
 *
 * @throws Error when `inSize`/`outSize` are not positive integers.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { linear } from '@odekit/nn';
 * const layer = linear({ inSize: 3, outSize: 2, seed: 0 });
 * const y = layer.apply(layer.params, tf.ones([5, 7, 3]));
 * if (y.shape.join() !== '5,7,2') throw new Error('bad shape');
 * ```
 */
export function linear(options: LinearOptions): Layer<LinearParams> {
  const { inSize, outSize, useBias = true, initScale = 1, init = 'uniform', seed = 0, random } = options;
  checkSize('inSize', inSize);
  checkSize('outSize', outSize);
  if (init !== 'uniform' && init !== 'zeros') {
    throw new Error(`linear: 'init' must be 'uniform' or 'zeros', got ${JSON.stringify(init)}.`);
  }
  const source = uniformSource(seed, random);
  const make = (shape: number[]) =>
    init === 'zeros' ? zerosInit(shape) : uniformFanIn(shape, inSize, source, initScale);
  const weight = make([outSize, inSize]) as tf.Tensor2D;
  const params: LinearParams = useBias ? { weight, bias: make([outSize]) as tf.Tensor1D } : { weight };
  return { params, apply: applyLinear, inSize, outSize };
}

import { isTracingField, withHostImplementation } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { type Activation, type ActivationName, getActivation } from './activations.js';
import { FUSED_ACTIVATION_CODES, fusedMlpApply, mlpHostImplementation } from './fused-mlp/index.js';
import { type UniformSource, uniformSource } from './init.js';
import { applyLinear, type Layer, type LinearParams, linear } from './linear.js';

/** The parameters of an {@link mlp}: `layers.0.weight`, `layers.0.bias`, … (depth + 1 layers). */
export type MlpParams = { layers: LinearParams[] };

/** An {@link mlp}: a {@link Layer} that also offers itself as a vector field. */
export interface MlpLayer extends Layer<MlpParams> {
  /**
   * `(t, y, params) => apply(params, y)`, the neural ODE `dy/dt = MLP(y)` (Diffrax's
   * `ODETerm(lambda t, y, args: mlp(y))`) for `diffeqsolve` with `args: params`. When the MLP
   * is fused (see {@link MlpOptions.fused}), it carries a host implementation: on the cpu and wasm
   * backends the solvers then evaluate it and take its vector–Jacobian products by direct calls
   * into the WebAssembly kernels, without tensors or the tape. Needs `inSize === outSize`.
   */
  readonly vectorField: (t: number, y: tf.Tensor, params: MlpParams) => tf.Tensor;
}

/** Options of {@link mlp} (Equinox's names). */
export interface MlpOptions {
  /** Input features. */
  inSize: number;
  /** Output features. */
  outSize: number;
  /** Hidden width. */
  widthSize: number;
  /** Number of hidden layers; `depth + 1` linear layers in all (0: one linear layer). */
  depth: number;
  /** Hidden activation (default `'relu'`, as Equinox). */
  activation?: ActivationName | Activation;
  /** Output activation (default `'identity'`). */
  finalActivation?: ActivationName | Activation;
  /** Biases on the hidden layers (default true). */
  useBias?: boolean;
  /** Bias on the output layer (default true). */
  useFinalBias?: boolean;
  /**
   * Multiplies the default U(±1/√fanIn) bound of every layer (default 1); e.g. 1e-3 starts a
   * correction term near zero.
   */
  initScale?: number;
  /** Multiplies the bound of the last layer only (default 1), on top of `initScale`. */
  finalInitScale?: number;
  /** Seed of the initialiser (default 0); ignored when `random` is given. */
  seed?: number;
  /** A uniform [0, 1) source consumed layer by layer, weight (row-major) then bias. */
  random?: UniformSource;
  /**
   * Whether `apply` may run as one fused op (default true): on the cpu and wasm backends, with
   * activations named among identity, relu, tanh, sigmoid and softplus, the whole forward pass
   * and its gradient each run in one call into odekit's SIMD WebAssembly kernels instead of
   * three to four tfjs ops per layer. Values agree with the tfjs ops to float32 rounding
   * (activations within 4e-7 relative). `false` always uses tfjs ops.
   */
  fused?: boolean;
}

/**
 * A multilayer perceptron as a plain parameter tree plus a pure `apply` (Equinox's `eqx.nn.MLP`).
 *
 * Shapes: `apply(params, x)` maps `[..., inSize] → [..., outSize]`; weights are `[out, in]`.
 *
 * @throws Error naming the option when a size or depth is not a non-negative integer or an
 *   activation is unknown.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { mlp } from '@odekit/nn';
 * const net = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1, activation: 'tanh', initScale: 1e-3, seed: 0 });
 * const y = net.apply(net.params, tf.ones([10, 2]));
 * if (y.shape.join() !== '10,1' || Math.abs(y.dataSync()[0] ?? 1) > 1e-2) throw new Error('bad');
 * ```
 */
export function mlp(options: MlpOptions): MlpLayer {
  const {
    inSize,
    outSize,
    widthSize,
    depth,
    activation = 'relu',
    finalActivation = 'identity',
    useBias = true,
    useFinalBias = true,
    initScale = 1,
    finalInitScale = 1,
    seed = 0,
    random,
    fused = true,
  } = options;
  for (const [name, v, min] of [
    ['inSize', inSize, 1],
    ['outSize', outSize, 1],
    ['widthSize', widthSize, 1],
    ['depth', depth, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new Error(`mlp: '${name}' must be an integer >= ${min}, got ${v}.`);
    }
  }
  const act = getActivation(activation, 'activation');
  const finalAct = getActivation(finalActivation, 'finalActivation');
  const source = uniformSource(seed, random);
  const layers: LinearParams[] = [];
  for (let i = 0; i <= depth; i++) {
    const last = i === depth;
    layers.push(
      linear({
        inSize: i === 0 ? inSize : widthSize,
        outSize: last ? outSize : widthSize,
        useBias: last ? useFinalBias : useBias,
        initScale: last ? initScale * finalInitScale : initScale,
        random: source,
      }).params,
    );
  }
  const code = (a: ActivationName | Activation) =>
    typeof a === 'string' && Object.hasOwn(FUSED_ACTIVATION_CODES, a) ? FUSED_ACTIVATION_CODES[a] : undefined;
  const hiddenCode = code(activation);
  const finalCode = code(finalActivation);
  const kinds =
    fused && hiddenCode !== undefined && finalCode !== undefined
      ? Array.from({ length: depth + 1 }, (_, i) => (i === depth ? finalCode : hiddenCode))
      : undefined;
  const apply = (params: MlpParams, x: tf.Tensor): tf.Tensor => {
    // while compileField traces a field, the layers are plain tfjs ops it can record
    const fusedOut = kinds !== undefined && !isTracingField() ? fusedMlpApply(params.layers, kinds, x) : undefined;
    if (fusedOut !== undefined) return fusedOut;
    return tf.tidy(() => {
      const n = params.layers.length;
      let h = x;
      params.layers.forEach((p, i) => {
        const z = applyLinear(p, h);
        h = i === n - 1 ? finalAct(z) : act(z);
      });
      return h === x ? tf.clone(x) : h;
    });
  };
  const field = (_t: number, y: tf.Tensor, params: MlpParams) => apply(params, y);
  const vectorField = kinds === undefined ? field : withHostImplementation(field, mlpHostImplementation(kinds));
  return { params: { layers }, apply, inSize, outSize, vectorField };
}

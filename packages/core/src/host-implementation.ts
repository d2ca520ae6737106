import type * as tf from '@tensorflow/tfjs-core';
import type { FloatArray } from './host-ops/float-array.js';

export type { FloatArray };

/**
 * One solve's host implementation of a vector field: plain float32 (or float64) math on the
 * packed state, with no tensors and no tape. Values must equal the tensor field's to float32
 * rounding; a float64 implementation returns Float64Arrays, which the solvers read as numbers.
 */
export interface HostFieldSession {
  /** `f(t, y)` for the packed state `y` (the state's row-major values). */
  evaluate(t: number, y: ArrayLike<number>): FloatArray;
  /**
   * `J_y f(t, y)ᵀ·ct`; adds the args part `J_θ f(t, y)ᵀ·ct` into `argGrads[j]` for each
   * `argTensors[j]` (as passed to {@link HostImplementation.open}) the field depends on; passes
   * `f(t, y)` to `onValue` when given.
   */
  vjp(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    argGrads: Float64Array[],
    onValue?: (f: FloatArray) => void,
  ): FloatArray;
  /**
   * Optional: {@link HostFieldSession.vjp} for callers that sum many VJPs into the same arrays —
   * the args part stays in the session until {@link HostFieldSession.flushArgGrads}.
   */
  vjpDeferred?(t: number, y: ArrayLike<number>, ct: ArrayLike<number>, onValue?: (f: FloatArray) => void): FloatArray;
  /** Adds the args gradients kept by `vjpDeferred` into `argGrads` and forgets them. */
  flushArgGrads?(argGrads: Float64Array[]): void;
  /**
   * Optional: `true` when the field's values do not depend on `t` (no time enters the compiled
   * program), so solvers may skip `∂f/∂t` (Rosenbrock methods take it by differences otherwise).
   */
  readonly autonomous?: boolean;
}

/** What a vector field carries (under {@link HOST_IMPLEMENTATION}) to offer a host implementation. */
export interface HostImplementation {
  /**
   * A session for one solve with these `args` (the tree the solver passes to the field) and a
   * single state leaf of shape `yShape`, or `undefined` when this case is not covered: the
   * solver then uses the tensor field. `argTensors` are the tensor leaves of `args` in
   * `treeFlatten` order, the order of `argGrads` in {@link HostFieldSession.vjp}. `yFromLeaf`,
   * when given, builds the state the field takes (say `{ x: leaf }`) from its one leaf.
   * `onFallback`, when given, is told why whenever `open` returns `undefined`. `span`, when
   * given, is the solve's `[t0, t1]` (a compiled field checks its trace at both ends).
   */
  open(
    args: unknown,
    yShape: readonly number[],
    argTensors: readonly tf.Tensor[],
    yFromLeaf?: (leaf: tf.Tensor) => unknown,
    onFallback?: (reason: string) => void,
    span?: readonly [number, number],
  ): HostFieldSession | undefined;
}

/** The property under which a vector field carries its {@link HostImplementation}. */
export const HOST_IMPLEMENTATION: unique symbol = Symbol.for('@odekit/core:host-kernels') as never;

/**
 * Returns `f` with `implementation` attached under {@link HOST_IMPLEMENTATION}, so that @odekit/solvers can
 * run it on host arrays (the cpu and wasm backends) instead of through tfjs ops and the tape.
 * `f` itself stays the reference: solvers use it whenever `open` returns `undefined`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { hostImplementationOf, withHostImplementation } from '@odekit/core';
 * const decay = withHostImplementation((_t: number, y: tf.Tensor) => tf.neg(y), {
 *   open: () => ({
 *     evaluate: (_t, y) => Float32Array.from(y, (v) => -v),
 *     vjp: (_t, _y, ct) => Float32Array.from(ct, (v) => -v),
 *   }),
 * });
 * if (hostImplementationOf(decay) === undefined) throw new Error('bad');
 * ```
 */
export function withHostImplementation<F extends (...args: never[]) => unknown>(
  f: F,
  implementation: HostImplementation,
): F {
  if (typeof implementation?.open !== 'function') {
    throw new Error("withHostImplementation: 'implementation' must have an open(args, yShape, argTensors) method.");
  }
  Object.defineProperty(f, HOST_IMPLEMENTATION, { value: implementation, enumerable: false });
  return f;
}

/**
 * The {@link HostImplementation} a vector field carries, if any.
 *
 * @example
 * ```ts
 * import { hostImplementationOf } from '@odekit/core';
 * if (hostImplementationOf(() => 0) !== undefined) throw new Error('a plain function has none');
 * ```
 */
export function hostImplementationOf(f: unknown): HostImplementation | undefined {
  if (typeof f !== 'function') return undefined;
  const k = (f as unknown as { [HOST_IMPLEMENTATION]?: HostImplementation })[HOST_IMPLEMENTATION];
  return typeof k?.open === 'function' ? k : undefined;
}

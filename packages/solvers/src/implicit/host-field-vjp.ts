import type { HostFieldSession } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { HostField } from '../solver.js';

/**
 * A host field that can also take vector–Jacobian products in the state (`J_yᵀ·ct`), as the
 * host session of a compiled field offers: implicit solvers build Jacobians from its rows.
 */
export type HostFieldWithVjp = HostField & {
  readonly vjp?: (t: number, y: Float64Array, ct: Float64Array) => Float32Array;
};

/** Attaches the session's state VJP to `f` (the args part is discarded). */
export function withVjp(f: HostField, session: HostFieldSession, argTensors: readonly tf.Tensor[]): HostFieldWithVjp {
  const deferred = session.vjpDeferred?.bind(session);
  const sink = argTensors.map((x) => new Float64Array(x.size));
  const vjp = deferred
    ? (t: number, y: Float64Array, ct: Float64Array) => deferred(t, y, ct)
    : (t: number, y: Float64Array, ct: Float64Array) => session.vjp(t, y, ct, sink);
  return Object.assign(f, { vjp });
}

import {
  engineGradients,
  type FloatArray,
  type HostFieldSession,
  type Tree,
  treeFlatten,
  treeUnflatten,
} from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { packHost, packRow, type StateLayout, unpackHost } from '../packing.js';
import type { HostField } from '../solver.js';

/**
 * A host field that can also take vector–Jacobian products in the state (`J_yᵀ·ct`), as the
 * host session of a compiled field offers: implicit solvers build Jacobians from its rows.
 */
export type HostFieldWithVjp = HostField & {
  readonly vjp?: (t: number, y: Float64Array, ct: Float64Array) => FloatArray;
  /** The VJP records a tape (no host kernels): it gives nothing inside a `customGrad` forward. */
  readonly tapeVjp?: boolean;
  /** The field does not depend on `t` (its host session says so): `∂f/∂t = 0`. */
  readonly autonomous?: boolean;
};

/**
 * `f` without a taped VJP: inside a `customGrad` forward function tfjs records no tape (the
 * forward runs as a kernel), so a taped VJP there returns zeros — a Jacobian of zeros made
 * rodas4 take 180× the steps under the checkpointed adjoint. Jacobians then come from
 * differences. Host-kernel VJPs are kept.
 */
export function withoutTapeVjp(f: HostField): HostFieldWithVjp {
  if ((f as HostFieldWithVjp).tapeVjp !== true) return f;
  const plain = (t: number, y: Float64Array) => f(t, y);
  return (f as HostFieldWithVjp).autonomous === true ? Object.assign(plain, { autonomous: true }) : plain;
}

/** Attaches the session's state VJP to `f` (the args part is discarded). */
export function withVjp(f: HostField, session: HostFieldSession, argTensors: readonly tf.Tensor[]): HostFieldWithVjp {
  const deferred = session.vjpDeferred?.bind(session);
  const sink = argTensors.map((x) => new Float64Array(x.size));
  const vjp = deferred
    ? (t: number, y: Float64Array, ct: Float64Array) => deferred(t, y, ct)
    : (t: number, y: Float64Array, ct: Float64Array) => session.vjp(t, y, ct, sink);
  return Object.assign(f, session.autonomous === true ? { vjp, autonomous: true } : { vjp });
}

/**
 * Attaches a state VJP taken with the storage's gradients (one taped evaluation of the tensor
 * field per call) to a host field without host kernels.
 */
export function withTapeVjp(
  f: HostField,
  field: (t: number, y: Tree<tf.Tensor>, args: unknown) => Tree<tf.Tensor>,
  layout: StateLayout,
  args: unknown,
): HostFieldWithVjp {
  const vjp = (t: number, y: Float64Array, ct: Float64Array): Float32Array => {
    const yTree = unpackHost(layout, y);
    const leaves = treeFlatten<tf.Tensor>(yTree).leaves;
    const dy = tf.tensor2d(Float32Array.from(ct), [1, layout.size]);
    const { value, grads } = engineGradients(() => packRow(layout, field(t, yTree, args)), leaves, dy);
    const gy = leaves.map((leaf, i) => grads[i] ?? tf.zerosLike(leaf));
    const out = Float32Array.from(packHost(layout, treeUnflatten(layout.treedef, gy)));
    tf.dispose([
      value,
      dy,
      ...leaves,
      ...gy,
      ...grads.filter((g): g is tf.Tensor => g !== undefined && !gy.includes(g)),
    ]);
    return out;
  };
  return Object.assign(f, { vjp, tapeVjp: true });
}

import * as tf from '@tensorflow/tfjs-core';
import { sizeOfShape } from '../host-ops/shapes.js';
import { backendReadSync, type KernelHooks, tensorId, withKernelHooks } from '../internal/tfjs-internals.js';
import { treeFlatten } from '../tree.js';
import type { RawConst, RawOp, Trace, ValueRef } from './trace-types.js';

/** A vector field as the compiler sees it. */
export type Field = (t: number, y: unknown, args: unknown) => unknown;

/**
 * The two times a field is traced at when no solve interval is given (or its ends are the same
 * float32 number); otherwise it is traced at the interval's ends (see `traceTimes`).
 */
export const TRACE_T: readonly [number, number] = [0.3141592653589793, 0.7182818284590452];

// How many traces are running: a process-wide fact, like tfjs's own engine state, which ops with
// a gradient of their own (nn's fused MLP) ask through `isTracingField`.
const tracing = { depth: 0 };

/**
 * Whether {@link compileField} is tracing a field right now: ops with a gradient of their own
 * (say @odekit/nn's fused MLP) then run as plain tfjs ops, which the trace can record.
 *
 * @example
 * ```ts
 * import { isTracingField } from '@odekit/core';
 * if (isTracingField()) throw new Error('not while tracing');
 * ```
 */
export function isTracingField(): boolean {
  return tracing.depth > 0;
}

/** The state the field is traced at (and the program checked at): values in [0.5, 1.5). */
export function traceState(n: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 + ((i * 0.6180339887498949 + 0.25) % 1);
  return y;
}

/** Runs `f` once on tensors while recording its kernels; a string says why it cannot be traced. */
export function trace(
  f: Field,
  t: number,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
): Trace | string {
  const refOf = new Map<number, ValueRef>();
  const ops: RawOp[] = [];
  const consts: RawConst[] = [];
  let failure: string | undefined;
  const addConst = (x: tf.Tensor): ValueRef => {
    const ref: ValueRef = { kind: 'const', index: consts.length };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      failure ??= `a ${x.dtype} constant`;
      return ref;
    }
    const raw = backendReadSync(x);
    consts.push({
      shape: x.shape.slice(),
      values: x.dtype === 'float32' ? Float32Array.from(raw) : Int32Array.from(raw),
    });
    refOf.set(tensorId(x), ref);
    return ref;
  };
  const record = (
    kernel: string,
    inputs: Record<string, tf.Tensor | null>,
    attrs: object | undefined,
    out: unknown,
  ) => {
    const named: RawOp['inputs'] = [];
    const inShapes: number[][] = [];
    let allConst = true;
    for (const [name, x] of Object.entries(inputs)) {
      if (x == null) continue;
      const ref = refOf.get(tensorId(x)) ?? addConst(x);
      if (ref.kind !== 'const') allConst = false;
      named.push({ name, ref });
      inShapes.push(x.shape.slice());
    }
    const outs = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
    if (allConst) {
      // constants only (tf.zeros, tf.fill, index arithmetic): folded into a constant
      for (const o of outs) addConst(o);
      return;
    }
    for (const o of outs) {
      if (o.dtype !== 'float32') failure ??= `kernel ${kernel} makes ${o.dtype} values from the state or args`;
    }
    const attrsObj = { ...(attrs ?? {}) } as Record<string, unknown>;
    const op = ops.length;
    ops.push({
      kernel,
      inputs: named,
      inShapes,
      attrs: attrsObj,
      attrsJson: JSON.stringify(attrsObj),
      outShapes: outs.map((o) => o.shape.slice()),
    });
    outs.forEach((o, output) => {
      refOf.set(tensorId(o), { kind: 'node', op, output });
    });
  };
  let depth = 0;
  let custom: number | undefined; // where the ops of the customGrad op being run start
  const hooks: KernelHooks = {
    kernel(params, run) {
      const inCustom = custom !== undefined && depth === 1;
      if (depth > 0 && !inCustom) return run(params);
      if (params.kernelName == null) {
        // tfjs's fused matMul is a customGrad op around the _FusedMatMul kernel (and reshapes),
        // whose gradient is the kernel's own: record the kernels inside; other customGrad ops
        // have gradients of their own, which compiling would lose
        if (inCustom) failure ??= 'it uses a customGrad op';
        const start = ops.length;
        custom = start;
        depth++;
        try {
          return run(params);
        } finally {
          depth--;
          custom = undefined;
          const inner = ops.slice(start).map((o) => o.kernel);
          if (!inner.includes('_FusedMatMul') || inner.some((k) => k !== '_FusedMatMul' && k !== 'Reshape')) {
            failure ??= 'it uses a customGrad op';
          }
        }
      }
      depth++;
      let out: unknown;
      try {
        out = run(params);
      } finally {
        depth--;
      }
      record(params.kernelName, params.inputs, params.attrs, out);
      return out;
    },
    read(kind) {
      if (depth === 0) {
        failure ??=
          kind === 'readSync' ? 'it reads tensor values (dataSync/arraySync)' : 'it reads tensor values (data/array)';
      }
    },
  };
  const run = (): Trace | string => {
    const y = tf.tensor(traceState(sizeOfShape(yShape)), yShape.slice(), 'float32');
    refOf.set(tensorId(y), { kind: 'state' });
    argTensors.forEach((a, index) => {
      if (!refOf.has(tensorId(a))) refOf.set(tensorId(a), { kind: 'arg', index });
    });
    let result: unknown;
    try {
      result = f(t, yFromLeaf(y), args);
    } catch (e) {
      return `the field threw while traced: ${(e as Error).message}`;
    }
    const leaves = treeFlatten<unknown>(result as never).leaves;
    const leaf = leaves[0];
    if (leaves.length !== 1 || !(leaf instanceof tf.Tensor)) return 'it does not return a single tensor';
    if (leaf.dtype !== 'float32' || !tf.util.arraysEqual(leaf.shape, yShape as number[])) {
      return "its output's shape or dtype differs from the state's";
    }
    const out = refOf.get(tensorId(leaf)) ?? addConst(leaf);
    if (failure !== undefined) return failure;
    return { ops, consts, out, outValues: Float32Array.from(backendReadSync(leaf)) };
  };
  tracing.depth++;
  try {
    let traced: Trace | string = 'not traced';
    withKernelHooks(hooks, () =>
      tf.tidy(() => {
        traced = run();
      }),
    );
    return traced;
  } finally {
    tracing.depth--;
  }
}

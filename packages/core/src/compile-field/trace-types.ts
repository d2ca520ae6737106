/**
 * What the tracer records: a value of the traced field (a typed record, not a string key), a
 * kernel call, a constant, and the whole trace.
 */

/** A value of the traced field: the state, an args leaf, a constant, or an op's output. */
export type ValueRef =
  | { readonly kind: 'state' }
  | { readonly kind: 'arg'; readonly index: number }
  | { readonly kind: 'const'; readonly index: number }
  | { readonly kind: 'node'; readonly op: number; readonly output: number };

/** A kernel call as recorded: inputs by their registry names, shapes, attributes. */
export interface RawOp {
  kernel: string;
  inputs: { name: string; ref: ValueRef }[];
  inShapes: number[][];
  attrs: Record<string, unknown>;
  attrsJson: string;
  outShapes: number[][];
}

/** A constant of the trace: a tensor that depends on neither the state nor the args. */
export interface RawConst {
  shape: number[];
  values: Float32Array | Int32Array;
}

/** One run of the field on tensors, recorded. */
export interface Trace {
  ops: RawOp[];
  consts: RawConst[];
  out: ValueRef;
  outValues: Float32Array;
}

/** Whether two value records name the same value. */
export function sameRef(a: ValueRef, b: ValueRef): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

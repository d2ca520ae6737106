import { type RawConst, type RawOp, sameRef, type Trace } from './trace-types.js';

/** How a constant of a trace behaves across the two traces: fixed, or the trace's time. */
export type ConstKind = 'const' | 't';

/**
 * How each constant of trace A (taken at time `ta`) behaves against trace B (at `tb`): 'const'
 * (the same in both traces) or 't' (holds the trace's time); a string says why the traces differ.
 */
export function compareTraces(a: Trace, b: Trace, times: readonly [number, number]): ConstKind[] | string {
  if (a.ops.length !== b.ops.length || a.consts.length !== b.consts.length || !sameRef(a.out, b.out)) {
    return 'its ops change with t';
  }
  for (let i = 0; i < a.ops.length; i++) {
    const p = a.ops[i] as RawOp;
    const q = b.ops[i] as RawOp;
    if (
      p.kernel !== q.kernel ||
      p.attrsJson !== q.attrsJson ||
      JSON.stringify(p.inputs) !== JSON.stringify(q.inputs) ||
      JSON.stringify(p.inShapes) !== JSON.stringify(q.inShapes)
    ) {
      return 'its ops change with t';
    }
  }
  const ta = Math.fround(times[0]);
  const tb = Math.fround(times[1]);
  const kinds: ConstKind[] = [];
  for (const [i, c] of a.consts.entries()) {
    const d = b.consts[i] as RawConst;
    if (c.values.every((v, j) => Object.is(v, d.values[j]))) kinds.push('const');
    else if (c.values instanceof Float32Array && c.values.every((v) => v === ta) && d.values.every((v) => v === tb)) {
      kinds.push('t');
    } else return 'its constants change with t other than as t itself';
  }
  return kinds;
}

/**
 * What identifies a traced structure (the ops, their inputs and shapes, the constants' shapes, the
 * state's shape): the key of what {@link compileField} remembers across solves.
 */
export function structureKey(tr: Trace, yShape: readonly number[]): string {
  const ops = tr.ops.map((o) => [o.kernel, o.attrsJson, o.inputs, o.inShapes]);
  return JSON.stringify([yShape, tr.out, tr.consts.map((c) => c.shape), ops]);
}

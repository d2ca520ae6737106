import * as tf from '@tensorflow/tfjs-core';
import type { HostFieldSession } from '../host-kernels.js';
import { Unsupported } from './lowering/attrs.js';
import { Program } from './program.js';
import { type ConstKind, compareTraces, structureKey } from './trace-comparison.js';
import type { RawConst, Trace } from './trace-types.js';
import { type Field, TRACE_T, trace } from './tracing.js';
import { checkValues, checkVjp } from './verify.js';

/** What a compiled field remembers about one traced structure across solves. */
interface StructureMemo {
  /** How each constant behaves (fixed, or the time), from comparing two traces. */
  kinds: ConstKind[];
  /** The first trace's constants, when they were compared. */
  consts: RawConst[];
  /** Whether the program's VJPs matched tfjs's gradients, or why not. */
  vjp: true | string;
}

/**
 * A compiled field's memory of the structures it opened, by {@link structureKey}; lives as long
 * as the compiled field, at most {@link MAX_STRUCTURES} entries (cleared when full).
 */
export type StructureMemos = Map<string, StructureMemo>;

const MAX_STRUCTURES = 32;

/** Whether every constant of `now` equals (bit for bit) the remembered one. */
function sameConsts(now: readonly RawConst[], memo: readonly RawConst[]): boolean {
  if (now.length !== memo.length) return false;
  for (let i = 0; i < now.length; i++) {
    const a = (now[i] as RawConst).values;
    const b = (memo[i] as RawConst).values;
    if (a.length !== b.length || a.constructor !== b.constructor) return false;
    for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return false;
  }
  return true;
}

function build(
  tr: Trace,
  kinds: readonly ConstKind[],
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
): Program | string {
  try {
    return new Program(tr, kinds, yShape, argTensors);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}

/**
 * Opens the compiled field for one solve: traces `f`, lowers the trace to a {@link Program} and
 * checks it against tfjs. The first time a structure opens (or when its constants changed) the
 * field is traced at two times, to tell constants from the time, and the program's VJPs are
 * checked against tfjs's gradients; later opens of the same structure with the same constants
 * trace once and reuse what `memos` remembers. Values are checked at every open. A string says
 * why the solve must use the tensor field.
 */
export function openProgram(
  f: Field,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
  memos: StructureMemos,
): HostFieldSession | string {
  const backendName = tf.getBackend();
  if (backendName !== 'cpu' && backendName !== 'wasm') return `backend '${backendName}' is not cpu or wasm`;
  const a = trace(f, TRACE_T[0], args, yShape, argTensors, yFromLeaf);
  if (typeof a === 'string') return a;
  const structure = structureKey(a, yShape);
  const memo = memos.get(structure);
  if (memo !== undefined && sameConsts(a.consts, memo.consts)) {
    if (memo.vjp !== true) return memo.vjp;
    const program = build(a, memo.kinds, yShape, argTensors);
    if (typeof program === 'string') return program;
    const values = checkValues(program, yShape, a.outValues, TRACE_T[0]);
    return values === true ? program : values;
  }
  const b = trace(f, TRACE_T[1], args, yShape, argTensors, yFromLeaf);
  if (typeof b === 'string') return b;
  const kinds = compareTraces(a, b);
  if (typeof kinds === 'string') return kinds;
  const program = build(a, kinds, yShape, argTensors);
  if (typeof program === 'string') return program;
  const values = checkValues(program, yShape, b.outValues, TRACE_T[1]);
  if (values !== true) return values;
  const vjp = memo?.vjp ?? checkVjp(program, f, args, yShape, argTensors, yFromLeaf);
  if (memos.size >= MAX_STRUCTURES && memo === undefined) memos.clear();
  memos.set(structure, { kinds, consts: a.consts, vjp });
  return vjp === true ? program : vjp;
}

import * as tf from '@tensorflow/tfjs-core';
import type { HostFieldSession } from '../host-implementation.js';
import { Unsupported } from './lowering/attrs.js';
import { Program } from './program.js';
import type { Precision } from './program-builder.js';
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
  /** The (float32) times the structure was traced at with these constants, ≤ {@link MAX_TIMES}. */
  times: Set<number>;
}

/**
 * A compiled field's memory of the structures it opened, by {@link structureKey}; lives as long
 * as the compiled field, at most {@link MAX_STRUCTURES} entries (cleared when full).
 */
export type StructureMemos = Map<string, StructureMemo>;

const MAX_STRUCTURES = 32;
const MAX_TIMES = 16;

/**
 * The two times a solve over `span` traces its field at: the interval's ends, so that a field
 * whose ops or constants change between `t0` and `t1` (a JavaScript branch on `t`, an index
 * computed from `t`) is caught; {@link TRACE_T} when there is no span or its ends are the same
 * float32 number (a time constant could not be told from a fixed one).
 */
export function traceTimes(span: readonly [number, number] | undefined): readonly [number, number] {
  if (span === undefined) return TRACE_T;
  const [t0, t1] = span;
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || Math.fround(t0) === Math.fround(t1)) return TRACE_T;
  return [t0, t1];
}

/**
 * Whether every constant of `now` (traced at `t`) equals (bit for bit) the remembered one; a
 * constant that holds the time must hold `t` instead.
 */
function sameConsts(now: readonly RawConst[], memo: StructureMemo, t: number): boolean {
  if (now.length !== memo.consts.length) return false;
  const tf32 = Math.fround(t);
  for (let i = 0; i < now.length; i++) {
    const a = (now[i] as RawConst).values;
    if (memo.kinds[i] === 't') {
      if (!a.every((v) => v === tf32)) return false;
      continue;
    }
    const b = (memo.consts[i] as RawConst).values;
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
  precision: Precision,
): Program | string {
  try {
    return new Program(tr, kinds, yShape, argTensors, precision);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}

/**
 * Opens the compiled field for one solve over `span` (its `[t0, t1]`, when known): traces `f`,
 * lowers the trace to a {@link Program} and checks it against tfjs. The first time a structure
 * opens (or when its constants or the solve's `t1` are new to it) the field is traced at both
 * ends of the span ({@link traceTimes}), to tell constants from the time and to catch ops that
 * change between them, and, once per structure, the program's VJPs are checked against tfjs's
 * gradients; later opens of the same structure, constants and `t1` trace once (at `t0`) and
 * reuse what `memos` remembers. Values are checked at every open. A string says why the solve
 * must use the tensor field. `precision` is the program's arithmetic (the checks against tfjs's
 * float32 values and gradients take float32 tolerances either way).
 */
export function openProgram(
  f: Field,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
  memos: StructureMemos,
  span?: readonly [number, number],
  precision: Precision = 'float32',
): HostFieldSession | string {
  const backendName = tf.getBackend();
  if (backendName !== 'cpu' && backendName !== 'wasm') return `backend '${backendName}' is not cpu or wasm`;
  const times = traceTimes(span);
  const [ta, tb] = times;
  const a = trace(f, ta, args, yShape, argTensors, yFromLeaf);
  if (typeof a === 'string') return a;
  const structure = structureKey(a, yShape);
  const memo = memos.get(structure);
  const known = memo !== undefined && sameConsts(a.consts, memo, ta);
  if (known && memo.times.has(Math.fround(tb))) {
    if (memo.vjp !== true) return memo.vjp;
    const program = build(a, memo.kinds, yShape, argTensors, precision);
    if (typeof program === 'string') return program;
    const values = checkValues(program, yShape, a.outValues, ta);
    return values === true ? program : values;
  }
  const b = trace(f, tb, args, yShape, argTensors, yFromLeaf);
  if (typeof b === 'string') return b;
  const kinds = compareTraces(a, b, times);
  if (typeof kinds === 'string') return kinds;
  const program = build(a, kinds, yShape, argTensors, precision);
  if (typeof program === 'string') return program;
  const values = checkValues(program, yShape, b.outValues, tb);
  if (values !== true) return values;
  const vjp = memo?.vjp ?? checkVjp(program, f, args, yShape, argTensors, yFromLeaf, tb);
  if (memos.size >= MAX_STRUCTURES && memo === undefined) memos.clear();
  const kept = known && memo.times.size < MAX_TIMES ? memo.times : new Set<number>();
  kept.add(Math.fround(ta)).add(Math.fround(tb));
  memos.set(structure, { kinds, consts: a.consts, vjp, times: kept });
  return vjp === true ? program : vjp;
}

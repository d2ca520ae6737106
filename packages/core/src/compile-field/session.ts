import * as tf from '@tensorflow/tfjs-core';
import type { HostFieldSession } from '../host-kernels.js';
import { Unsupported } from './lowering/attrs.js';
import { Program } from './program.js';
import { compareTraces, structureKey } from './trace-comparison.js';
import { type Field, TRACE_T, trace } from './tracing.js';
import { checkValues, checkVjp } from './verify.js';

/** What a compiled field remembers across solves, per traced structure: the VJP check's verdict. */
export type VjpVerdicts = Map<string, true | string>;

/**
 * Opens the compiled field for one solve: traces `f` at two times, compares the traces, lowers
 * the first to a {@link Program} and checks it against tfjs (values each time; VJPs the first
 * time a structure opens, remembered in `verdicts`). A string says why the solve must use the
 * tensor field.
 */
export function openProgram(
  f: Field,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
  verdicts: VjpVerdicts,
): HostFieldSession | string {
  const backendName = tf.getBackend();
  if (backendName !== 'cpu' && backendName !== 'wasm') return `backend '${backendName}' is not cpu or wasm`;
  const a = trace(f, TRACE_T[0], args, yShape, argTensors, yFromLeaf);
  if (typeof a === 'string') return a;
  const b = trace(f, TRACE_T[1], args, yShape, argTensors, yFromLeaf);
  if (typeof b === 'string') return b;
  const kinds = compareTraces(a, b);
  if (typeof kinds === 'string') return kinds;
  let program: Program;
  try {
    program = new Program(a, kinds, yShape, argTensors);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
  const values = checkValues(program, yShape, b.outValues);
  if (values !== true) return values;
  const structure = structureKey(a, yShape);
  let verdict = verdicts.get(structure);
  if (verdict === undefined) {
    verdict = checkVjp(program, f, args, yShape, argTensors, yFromLeaf);
    verdicts.set(structure, verdict);
  }
  return verdict === true ? program : verdict;
}

import { treeUnflatten } from '@odekit/core';
import { type HostFieldSession, hostImplementationOf } from '@odekit/core/internal';
import type * as tf from '@tensorflow/tfjs-core';
import type { StateLayout } from './packing.js';

/**
 * The host session of `field` for one solve over `span` (`[t0, t1]`), when it carries host
 * kernels (an MLP's `vectorField`, a `compileField` field) that cover this single-leaf state;
 * else `undefined`.
 */
export function openHostSession(
  field: unknown,
  layout: StateLayout,
  args: unknown,
  argTensors: readonly tf.Tensor[],
  span: readonly [number, number],
  onFallback?: (reason: string) => void,
): HostFieldSession | undefined {
  const kernels = hostImplementationOf(field);
  if (kernels === undefined) return undefined;
  if (layout.shapes.length !== 1) {
    onFallback?.(`the state has ${layout.shapes.length} leaves; host fields take a single-leaf state`);
    return undefined;
  }
  return kernels.open(
    args,
    layout.shapes[0] as number[],
    argTensors,
    (leaf) => treeUnflatten(layout.treedef, [leaf]),
    onFallback,
    span,
  );
}

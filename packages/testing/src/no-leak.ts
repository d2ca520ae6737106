import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` (sync or async) and throws unless `tf.memory().numTensors` is the same before and
 * after: the tensor-ownership contract. `fn` must dispose whatever it receives. Returns `fn`'s
 * result.
 *
 * @throws Error with the number of leaked tensors.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { expectNoLeak } from '@odekit/testing';
 * await expectNoLeak(() => { tf.ones([3]).dispose(); });
 * ```
 */
export async function expectNoLeak<R>(fn: () => R | Promise<R>, label = 'expectNoLeak'): Promise<R> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`${label}: ${after - before} tensor(s) leaked (numTensors ${before} before, ${after} after)`);
  }
  return result;
}

import { mulberry32, type TensorTree, treeLeaves, treeMap } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** A seeded minibatch loader over the leading axis of every leaf of `data`. */
export interface Batcher {
  /** The next batch (owned by the caller when `owned`), and the epoch it belongs to. */
  next(): { batch: TensorTree | undefined; owned: boolean; epoch: number; endOfEpoch: boolean };
  /** Advances the stream by `k` batches without making tensors (resuming a checkpoint). */
  skip(k: number): void;
}

/**
 * Makes the loader of `fit`: each epoch a Fisher–Yates permutation drawn from one Mulberry32
 * stream seeded with `seed` (for i = n−1..1: j = floor(next()·(i+1)); swap), cut into batches of
 * `batchSize`, the last partial batch dropped. Without `batchSize` every step sees all of
 * `data` (and every step is an epoch).
 *
 * @throws Error when the leaves disagree on their leading size or `batchSize` exceeds it.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { makeBatcher } from '@odekit/train';
 * const b = makeBatcher({ x: tf.range(0, 10) }, 4, 0);
 * const first = b.next();
 * const x = (first.batch as { x: tf.Tensor }).x;
 * if (x.shape[0] !== 4 || first.epoch !== 0 || first.endOfEpoch) throw new Error('bad');
 * ```
 */
export function makeBatcher(data: TensorTree | undefined, batchSize: number | undefined, seed: number): Batcher {
  if (data === undefined || batchSize === undefined) {
    let epoch = 0;
    return {
      next: () => ({ batch: data, owned: false, epoch: epoch++, endOfEpoch: true }),
      skip: (k) => {
        epoch += k;
      },
    };
  }
  const leaves = treeLeaves<tf.Tensor>(data);
  if (leaves.length === 0 || leaves.some((l) => !(l instanceof tf.Tensor) || l.rank < 1)) {
    throw new Error("fit: 'data' must be a tree of tensors with a leading sample axis when 'batchSize' is given.");
  }
  const n = (leaves[0] as tf.Tensor).shape[0] as number;
  if (leaves.some((l) => l.shape[0] !== n)) {
    throw new Error(
      `fit: every leaf of 'data' must have the same leading size; got ${leaves.map((l) => l.shape[0]).join(', ')}.`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n) {
    throw new Error(`fit: 'batchSize' must be an integer in [1, ${n}] (the number of samples), got ${batchSize}.`);
  }
  const random = mulberry32(seed);
  const perBatch = Math.floor(n / batchSize);
  let perm: Int32Array = new Int32Array(0);
  let cursor = perBatch;
  let epoch = -1;
  const advance = (): { idx: Int32Array; epoch: number; endOfEpoch: boolean } => {
    if (cursor >= perBatch) {
      perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i >= 1; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = perm[i] as number;
        perm[i] = perm[j] as number;
        perm[j] = t;
      }
      cursor = 0;
      epoch++;
    }
    const idx = perm.subarray(cursor * batchSize, (cursor + 1) * batchSize);
    cursor++;
    return { idx, epoch, endOfEpoch: cursor >= perBatch };
  };
  return {
    next() {
      const { idx, epoch: e, endOfEpoch } = advance();
      const batch = tf.tidy(() => {
        const ix = tf.tensor1d(idx, 'int32');
        return treeMap((leaf: tf.Tensor) => tf.gather(leaf, ix), data) as tf.TensorContainer;
      }) as TensorTree;
      return { batch, owned: true, epoch: e, endOfEpoch };
    },
    skip(k) {
      for (let i = 0; i < k; i++) advance();
    },
  };
}

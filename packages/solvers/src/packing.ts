import { type Tree, type TreeDef, treeFlatten, treeUnflatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * How a pytree state maps to the solver's internal row `[1, N]`: leaves are laid out sample by
 * sample (`[B, D]` flattened), so the error norm can take each sample's RMS.
 */
export interface StateLayout {
  readonly treedef: TreeDef;
  readonly shapes: readonly (readonly number[])[];
  /** Batch size B: the shared leading axis when every leaf has rank ≥ 2 and the same first dim; else 1. */
  readonly batch: number;
  /** Per-sample size of each leaf. */
  readonly sampleSizes: readonly number[];
  /** Per-sample width D = Σ sampleSizes. */
  readonly width: number;
  /** N = B · D. */
  readonly size: number;
}

/** Describes the layout of a state tree. */
export function layoutOf(y: Tree<tf.Tensor>, name: string): StateLayout {
  const { leaves, treedef } = treeFlatten<tf.Tensor>(y);
  if (leaves.length === 0) throw new Error(`${name}: the state has no leaves; pass at least one tensor.`);
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof tf.Tensor)) {
      throw new Error(
        `${name}: leaf #${i} (${treedef.toString()}) is ${typeof leaf}, not a tf.Tensor; pass float32 tensors.`,
      );
    }
    if (leaf.dtype !== 'float32') {
      throw new Error(
        `${name}: leaf #${i} has dtype ${leaf.dtype}; states must be float32 (cast with tf.cast(x, 'float32')).`,
      );
    }
  });
  const shapes = leaves.map((l) => l.shape);
  const first = shapes[0]?.[0];
  const batched = first !== undefined && shapes.every((s) => s.length >= 2 && s[0] === first);
  const batch = batched ? (first as number) : 1;
  const sampleSizes = leaves.map((l) => l.size / batch);
  const width = sampleSizes.reduce((a, b) => a + b, 0);
  return { treedef, shapes, batch, sampleSizes, width, size: width * batch };
}

/**
 * The layout of one sample's row `[W]` (leaves `[...leafShape.slice(1)]`): that of the saved rows
 * of a solve with `saveAt({ sampleTs })`, whose leaves are `[P, ...sampleShape]`.
 */
export function sampleLayout(layout: StateLayout): StateLayout {
  // an unbatched state (batch 1 without a leading axis of 1 on every leaf) is one whole sample
  const batched = layout.shapes.every((s) => s.length >= 2 && s[0] === layout.batch);
  return {
    treedef: layout.treedef,
    shapes: batched ? layout.shapes.map((s) => s.slice(1)) : layout.shapes,
    batch: 1,
    sampleSizes: layout.sampleSizes,
    width: layout.width,
    size: layout.width,
  };
}

/** Packs the leaves of a state into one row `[1, N]`. */
export function packRow(layout: StateLayout, tree: Tree<tf.Tensor>): tf.Tensor2D {
  const leaves = treeFlatten<tf.Tensor>(tree).leaves;
  if (leaves.length === 1) return tf.reshape(leaves[0] as tf.Tensor, [1, layout.size]);
  const parts = leaves.map((l, i) => tf.reshape(l, [layout.batch, layout.sampleSizes[i] as number]));
  return tf.reshape(tf.concat(parts, 1), [1, layout.size]);
}

/** Unpacks `m` stacked rows `[m, N]` into a tree with leaves `[m, ...leafShape]` (or `[...leafShape]` when `m` is null). */
export function unpackRows(layout: StateLayout, rows: tf.Tensor, m: number | null): Tree<tf.Tensor> {
  const lead = m === null ? [] : [m];
  if (layout.shapes.length === 1) {
    return treeUnflatten(layout.treedef, [tf.reshape(rows, [...lead, ...(layout.shapes[0] as number[])])]);
  }
  const grid = tf.reshape(rows, [m ?? 1, layout.batch, layout.width]);
  const parts = tf.split(grid, layout.sampleSizes as number[], 2);
  return treeUnflatten(
    layout.treedef,
    parts.map((p, i) => tf.reshape(p, [...lead, ...(layout.shapes[i] as number[])])),
  );
}

/** The layout of a solve's saved rows: the state's, or one sample's with `saveAt({ sampleTs })`. */
export function savedLayout(layout: StateLayout, perSample: boolean): StateLayout {
  return perSample ? sampleLayout(layout) : layout;
}

/** Unpacks saved rows to the state's tree (leaves `[nSaved, ...shape]`), or empty leaves when none. */
export function rowsToTree(layout: StateLayout, rows: tf.Tensor2D | undefined, n: number): Tree<tf.Tensor> {
  if (rows === undefined) {
    return treeUnflatten(
      layout.treedef,
      layout.shapes.map((s) => tf.zeros([0, ...s])),
    );
  }
  return tf.tidy(() => unpackRows(layout, rows, n) as tf.TensorContainer) as Tree<tf.Tensor>;
}

/** Host values (sample-major, length N) → the state tree of new tensors. */
export function unpackHost(layout: StateLayout, y: Float64Array | Float32Array): Tree<tf.Tensor> {
  if (layout.shapes.length === 1) {
    return treeUnflatten(layout.treedef, [tf.tensor(Float32Array.from(y), layout.shapes[0] as number[], 'float32')]);
  }
  const { batch, width, sampleSizes } = layout;
  let offset = 0;
  const leaves = sampleSizes.map((size, l) => {
    const out = new Float32Array(size * batch);
    for (let s = 0; s < batch; s++) {
      const src = s * width + offset;
      for (let i = 0; i < size; i++) out[s * size + i] = y[src + i] as number;
    }
    offset += size;
    return tf.tensor(out, layout.shapes[l] as number[], 'float32');
  });
  return treeUnflatten(layout.treedef, leaves);
}

/** A state tree → host values (sample-major, length N). */
export function packHost(layout: StateLayout, tree: Tree<tf.Tensor>): Float32Array {
  const leaves = treeFlatten<tf.Tensor>(tree).leaves;
  if (leaves.length === 1) return (leaves[0] as tf.Tensor).dataSync() as Float32Array;
  const { batch, width, sampleSizes } = layout;
  const out = new Float32Array(layout.size);
  let offset = 0;
  leaves.forEach((leaf, l) => {
    const v = leaf.dataSync() as Float32Array;
    const size = sampleSizes[l] as number;
    for (let s = 0; s < batch; s++) {
      const dst = s * width + offset;
      for (let i = 0; i < size; i++) out[dst + i] = v[s * size + i] as number;
    }
    offset += size;
  });
  return out;
}

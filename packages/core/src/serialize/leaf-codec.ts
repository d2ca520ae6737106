import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeMapWithPath, treeUnflatten } from '../tree.js';

/** One serialised leaf: a tensor (float32 or int32) or a plain number. */
export type LeafRecord =
  | { path: string; kind: 'tensor'; dtype: 'float32' | 'int32'; shape: number[]; data: Float32Array | Int32Array }
  | { path: string; kind: 'number'; value: number };

/** Reads every leaf of `tree` with its path (one sync read per tensor). */
export function encodeLeaves(tree: Tree<tf.Tensor | number>, fn: string): LeafRecord[] {
  const out: LeafRecord[] = [];
  treeMapWithPath((path: string, leaf: unknown) => {
    if (typeof leaf === 'number') out.push({ path, kind: 'number', value: leaf });
    else if (leaf instanceof tf.Tensor) {
      if (leaf.isDisposed)
        throw new Error(`${fn}: leaf '${path || '<root>'}' is a disposed tensor; pass live tensors.`);
      if (leaf.dtype !== 'float32' && leaf.dtype !== 'int32') {
        throw new Error(`${fn}: leaf '${path || '<root>'}' has dtype ${leaf.dtype}; only float32 and int32 are saved.`);
      }
      const data = leaf.dataSync();
      out.push({
        path,
        kind: 'tensor',
        dtype: leaf.dtype,
        shape: [...leaf.shape],
        data: leaf.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data),
      });
    } else {
      throw new Error(
        `${fn}: leaf '${path || '<root>'}' is ${leaf === null ? 'null' : typeof leaf}; save trees of tensors and numbers.`,
      );
    }
    return null;
  }, tree);
  return out;
}

function describe(r: LeafRecord | { kind: 'like'; leaf: unknown }): string {
  if (r.kind === 'number') return 'a number';
  if (r.kind === 'tensor') return `${r.dtype} [${r.shape.join(', ')}]`;
  return r.leaf instanceof tf.Tensor ? `${r.leaf.dtype} [${r.leaf.shape.join(', ')}]` : typeof r.leaf;
}

/**
 * Rebuilds a tree shaped like `like` from records, after checking that the names, shapes and
 * dtypes match exactly. Tensors are made only once everything checked, so a failure allocates
 * nothing and changes nothing.
 */
export function decodeLeaves<T extends Tree<tf.Tensor | number>>(records: LeafRecord[], like: T, fn: string): T {
  const { treedef } = treeFlatten<unknown>(like);
  const expected: { path: string; leaf: unknown }[] = [];
  treeMapWithPath((path: string, leaf: unknown) => {
    expected.push({ path, leaf });
    return null;
  }, like);
  const byPath = new Map<string, LeafRecord>();
  for (const r of records) {
    if (byPath.has(r.path)) throw new Error(`${fn}: the file has leaf '${r.path}' twice; the file is corrupt.`);
    byPath.set(r.path, r);
  }
  const missing = expected.filter((e) => !byPath.has(e.path)).map((e) => e.path || '<root>');
  if (missing.length > 0) {
    throw new Error(
      `${fn}: the file lacks leaf ${missing.map((p) => `'${p}'`).join(', ')} of the model; save and load the same architecture.`,
    );
  }
  const known = new Set(expected.map((e) => e.path));
  const extra = records.filter((r) => !known.has(r.path)).map((r) => r.path || '<root>');
  if (extra.length > 0) {
    throw new Error(
      `${fn}: the file has leaf ${extra.map((p) => `'${p}'`).join(', ')} that the model lacks; save and load the same architecture.`,
    );
  }
  for (const e of expected) {
    const r = byPath.get(e.path) as LeafRecord;
    const ok =
      r.kind === 'number'
        ? typeof e.leaf === 'number'
        : e.leaf instanceof tf.Tensor &&
          e.leaf.dtype === r.dtype &&
          tf.util.arraysEqual(e.leaf.shape, r.shape) &&
          r.data.length === e.leaf.size;
    if (!ok) {
      throw new Error(
        `${fn}: leaf '${e.path || '<root>'}' is ${describe(r)} in the file but ${describe({ kind: 'like', leaf: e.leaf })} in the model; save and load the same architecture.`,
      );
    }
  }
  const leaves = expected.map((e) => {
    const r = byPath.get(e.path) as LeafRecord;
    return r.kind === 'number' ? r.value : tf.tensor(r.data, r.shape, r.dtype);
  });
  return treeUnflatten(treedef, leaves) as T;
}

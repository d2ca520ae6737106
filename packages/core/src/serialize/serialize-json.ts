import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../tree.js';
import { decodeLeaves, encodeLeaves, type LeafRecord } from './leaf-codec.js';

/** The JSON format's name and version (bumped on any incompatible change). */
export const PARAMS_FORMAT = Object.freeze({ name: 'odekit-params', version: 1 });

type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';
const toJson = (v: number): JsonNumber =>
  Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : (String(v) as JsonNumber);
const fromJson = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity' || v === '-0') return Number(v);
  throw new Error(`not a number: ${JSON.stringify(v)}`);
};

/**
 * Serialises a tree of tensors (and numbers) to versioned JSON text:
 * `{"format":"odekit-params","version":1,"leaves":[{"path","dtype","shape","data"} | {"path","number"}]}`.
 * float32 values round-trip exactly; NaN, ±Infinity and -0 are written as strings.
 *
 * @throws Error naming the leaf when it is disposed or of an unsupported dtype.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { paramsToJSON, paramsFromJSON } from '@odekit/core';
 * const p = { w: tf.tensor([[1.5, -2]]), step: 3 };
 * const back = paramsFromJSON(paramsToJSON(p), p);
 * if (back.w.arraySync().toString() !== '1.5,-2' || back.step !== 3) throw new Error('bad');
 * ```
 */
export function paramsToJSON(params: Tree<tf.Tensor | number>): string {
  const leaves = encodeLeaves(params, 'paramsToJSON').map((r) =>
    r.kind === 'number'
      ? { path: r.path, number: toJson(r.value) }
      : { path: r.path, dtype: r.dtype, shape: r.shape, data: Array.from(r.data, toJson) },
  );
  return JSON.stringify({ format: PARAMS_FORMAT.name, version: PARAMS_FORMAT.version, leaves });
}

/**
 * Parses JSON made by {@link paramsToJSON} into a new tree shaped like `like` (the model's
 * current parameters, used as the template). Names, shapes and dtypes are checked; on any error
 * nothing is allocated and `like` is untouched. The caller owns the result.
 *
 * @throws Error for invalid JSON, a wrong format or version, a missing or extra leaf, or a wrong
 *   shape; the message names the leaf.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { paramsFromJSON } from '@odekit/core';
 * let msg = '';
 * try { paramsFromJSON('{"format":"odekit-params","version":1,"leaves":[]}', { w: tf.zeros([2]) }); }
 * catch (e) { msg = (e as Error).message; }
 * if (!msg.includes("lacks leaf 'w'")) throw new Error(msg);
 * ```
 */
export function paramsFromJSON<T extends Tree<tf.Tensor | number>>(text: string | object, like: T): T {
  const fn = 'paramsFromJSON';
  let doc: unknown = text;
  if (typeof text === 'string') {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`${fn}: the text is not valid JSON (${(e as Error).message}); the file is corrupt or truncated.`);
    }
  }
  const d = doc as { format?: unknown; version?: unknown; leaves?: unknown };
  if (d === null || typeof d !== 'object' || d.format !== PARAMS_FORMAT.name) {
    throw new Error(
      `${fn}: not an odekit parameter file (format ${JSON.stringify(d?.format)}); pass text made by paramsToJSON.`,
    );
  }
  if (d.version !== PARAMS_FORMAT.version) {
    throw new Error(
      `${fn}: file version ${JSON.stringify(d.version)} is not supported (this build reads version ${PARAMS_FORMAT.version}).`,
    );
  }
  if (!Array.isArray(d.leaves)) throw new Error(`${fn}: 'leaves' is missing; the file is corrupt.`);
  const records: LeafRecord[] = d.leaves.map((raw: unknown, i: number): LeafRecord => {
    const r = raw as { path?: unknown; number?: unknown; dtype?: unknown; shape?: unknown; data?: unknown };
    try {
      if (typeof r?.path !== 'string') throw new Error('no path');
      if ('number' in r) return { path: r.path, kind: 'number', value: fromJson(r.number) };
      if (r.dtype !== 'float32' && r.dtype !== 'int32') throw new Error(`dtype ${JSON.stringify(r.dtype)}`);
      if (!Array.isArray(r.shape) || !r.shape.every((n) => Number.isInteger(n) && n >= 0)) throw new Error('bad shape');
      if (!Array.isArray(r.data)) throw new Error('no data');
      const values = r.data.map(fromJson);
      const data = r.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
      return { path: r.path, kind: 'tensor', dtype: r.dtype, shape: r.shape as number[], data };
    } catch (e) {
      throw new Error(`${fn}: leaf #${i} is malformed (${(e as Error).message}); the file is corrupt.`);
    }
  });
  return decodeLeaves(records, like, fn);
}

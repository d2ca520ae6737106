import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../tree.js';
import { decodeLeaves, encodeLeaves, type LeafRecord } from './leaf-codec.js';

const MAGIC = [0x4f, 0x44, 0x4b, 0x50]; // "ODKP"
const VERSION = 1;

/** CRC-32 (IEEE 802.3, polynomial 0xEDB88320) of `bytes`. */
function crc32(bytes: Uint8Array): number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

type HeaderLeaf = { path: string; number?: number; dtype?: 'float32' | 'int32'; shape?: number[] };

/**
 * Serialises a tree of tensors (and numbers) to a compact binary form: `"ODKP"`, version (u32),
 * header length (u32), a UTF-8 JSON header with paths, dtypes and shapes, padding to 4 bytes,
 * the raw little-endian 32-bit values of every tensor in order, and a CRC-32 of all the
 * preceding bytes. About 4 bytes per parameter.
 *
 * @throws Error naming the leaf when it is disposed or of an unsupported dtype.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { paramsToBinary, paramsFromBinary } from '@odekit/core';
 * const p = { w: tf.tensor([0.1, 0.2, 0.3]) };
 * const bytes = paramsToBinary(p);
 * const back = paramsFromBinary(bytes, p);
 * if (back.w.dataSync()[1] !== p.w.dataSync()[1]) throw new Error('bad');
 * ```
 */
export function paramsToBinary(params: Tree<tf.Tensor | number>): Uint8Array {
  const records = encodeLeaves(params, 'paramsToBinary');
  const header: HeaderLeaf[] = records.map((r) =>
    r.kind === 'number' ? { path: r.path, number: r.value } : { path: r.path, dtype: r.dtype, shape: r.shape },
  );
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 12 + headerBytes.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const numValues = records.reduce((n, r) => n + (r.kind === 'tensor' ? r.data.length : 0), 0);
  const total = dataStart + 4 * numValues + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, 12);
  let off = dataStart;
  for (const r of records) {
    if (r.kind !== 'tensor') continue;
    for (let i = 0; i < r.data.length; i++, off += 4) {
      if (r.dtype === 'int32') view.setInt32(off, r.data[i] as number, true);
      else view.setFloat32(off, r.data[i] as number, true);
    }
  }
  view.setUint32(off, crc32(bytes.subarray(0, off)), true);
  return bytes;
}

/**
 * Reads bytes made by {@link paramsToBinary} into a new tree shaped like `like`. The checksum,
 * format, names, shapes and dtypes are checked first; on any error nothing is allocated and
 * `like` is untouched. The caller owns the result.
 *
 * @throws Error for a truncated or corrupt buffer (bad magic, version, length or checksum), a
 *   missing or extra leaf, or a wrong shape; the message names the problem and the leaf.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { paramsToBinary, paramsFromBinary } from '@odekit/core';
 * const p = { w: tf.tensor([1, 2]) };
 * const bytes = paramsToBinary(p);
 * bytes[bytes.length - 6] ^= 0xff; // flip bits in the data
 * let msg = '';
 * try { paramsFromBinary(bytes, p); } catch (e) { msg = (e as Error).message; }
 * if (!msg.includes('checksum')) throw new Error(msg);
 * ```
 */
export function paramsFromBinary<T extends Tree<tf.Tensor | number>>(bytes: Uint8Array, like: T): T {
  const fn = 'paramsFromBinary';
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: 'bytes' must be a Uint8Array, got ${typeof bytes}.`);
  if (bytes.length < 16 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new Error(
      `${fn}: not an odekit binary parameter file (bad magic or too short); pass bytes made by paramsToBinary.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) {
    throw new Error(`${fn}: file version ${version} is not supported (this build reads version ${VERSION}).`);
  }
  const end = bytes.length - 4;
  if (crc32(bytes.subarray(0, end)) !== view.getUint32(end, true)) {
    throw new Error(`${fn}: checksum mismatch; the file is corrupt or truncated.`);
  }
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > end)
    throw new Error(`${fn}: header length ${headerLength} exceeds the file; the file is corrupt.`);
  let header: HeaderLeaf[];
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as HeaderLeaf[];
    if (!Array.isArray(header)) throw new Error('not an array');
  } catch (e) {
    throw new Error(`${fn}: the header is not valid (${(e as Error).message}); the file is corrupt.`);
  }
  let off = Math.ceil((12 + headerLength) / 4) * 4;
  const records: LeafRecord[] = header.map((h, i) => {
    if (typeof h?.path !== 'string') throw new Error(`${fn}: header leaf #${i} has no path; the file is corrupt.`);
    if (typeof h.number === 'number') return { path: h.path, kind: 'number', value: h.number };
    const shape = h.shape;
    if ((h.dtype !== 'float32' && h.dtype !== 'int32') || !Array.isArray(shape)) {
      throw new Error(`${fn}: header leaf '${h.path}' has no dtype or shape; the file is corrupt.`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (off + 4 * size > end)
      throw new Error(`${fn}: leaf '${h.path}' runs past the end of the data; the file is corrupt.`);
    const data = h.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
    for (let k = 0; k < size; k++, off += 4) {
      data[k] = h.dtype === 'int32' ? view.getInt32(off, true) : view.getFloat32(off, true);
    }
    return { path: h.path, kind: 'tensor', dtype: h.dtype, shape, data };
  });
  if (off !== end) throw new Error(`${fn}: ${end - off} unexpected trailing bytes; the file is corrupt.`);
  return decodeLeaves(records, like, fn);
}

import { readFile, rename, writeFile } from 'node:fs/promises';
import { paramsFromBinary, paramsFromJSON, paramsToBinary, paramsToJSON, type Tree } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';

/** File format of {@link saveParams}: by default `.json` files are JSON, anything else binary. */
export type ParamsFileFormat = 'json' | 'binary';

const formatOf = (file: string, format: ParamsFileFormat | undefined): ParamsFileFormat =>
  format ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'binary');

/**
 * Writes a parameter tree to `file` (Node only), atomically: the data goes to a temporary file
 * that is then renamed, so a crash never leaves a half-written file.
 *
 * @throws Error from the file system, or naming a leaf that cannot be saved.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { saveParams, loadParams } from '@odekit/nn/node';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const file = `${mkdtempSync(`${tmpdir()}/odekit-`)}/net.bin`;
 * const p = { w: tf.tensor([1, 2]) };
 * await saveParams(file, p);
 * const q = await loadParams(file, p);
 * if (q.w.arraySync().toString() !== '1,2') throw new Error('bad');
 * ```
 */
export async function saveParams(
  file: string,
  params: Tree<tf.Tensor | number>,
  options: { format?: ParamsFileFormat } = {},
): Promise<void> {
  const format = formatOf(file, options.format);
  const body = format === 'json' ? paramsToJSON(params) : paramsToBinary(params);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, body);
  await rename(tmp, file);
}

/**
 * Reads a parameter file written by {@link saveParams} into a new tree shaped like `like`
 * (Node only). On a missing, corrupt or mismatched file it throws and `like` is untouched.
 *
 * @throws Error naming the file and the problem (see `paramsFromJSON`, `paramsFromBinary`).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { saveParams, loadParams } from '@odekit/nn/node';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const file = `${mkdtempSync(`${tmpdir()}/odekit-`)}/net.json`;
 * await saveParams(file, { w: tf.tensor([1, 2]) });
 * let msg = '';
 * try { await loadParams(file, { w: tf.zeros([3]) }); } catch (e) { msg = (e as Error).message; }
 * if (!msg.includes("leaf 'w' is float32 [2] in the file but float32 [3] in the model")) throw new Error(msg);
 * ```
 */
export async function loadParams<T extends Tree<tf.Tensor | number>>(
  file: string,
  like: T,
  options: { format?: ParamsFileFormat } = {},
): Promise<T> {
  const format = formatOf(file, options.format);
  const bytes = await readFile(file);
  try {
    return format === 'json'
      ? paramsFromJSON(bytes.toString('utf8'), like)
      : paramsFromBinary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), like);
  } catch (e) {
    throw new Error(`loadParams('${file}'): ${(e as Error).message}`);
  }
}

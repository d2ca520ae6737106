import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mlp, paramsFromBinary, paramsFromJSON, paramsToBinary, paramsToJSON } from './index.js';
import { loadParams, saveParams } from './node.js';

const model = () => mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1, activation: 'tanh', seed: 7 });

describe('save and load', () => {
  it('round trips JSON and binary bit for bit, numbers and non-finite values included', () => {
    const net = model();
    const tree = {
      net: net.params,
      count: 5,
      odd: tf.tensor([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-30]),
      i: tf.tensor([1, -2], [2], 'int32'),
    };
    for (const back of [paramsFromJSON(paramsToJSON(tree), tree), paramsFromBinary(paramsToBinary(tree), tree)]) {
      expect(Array.from(back.net.layers[1]?.weight.dataSync() ?? [])).toEqual(
        Array.from(net.params.layers[1]?.weight.dataSync() ?? []),
      );
      expect(back.count).toBe(5);
      expect(Array.from(back.odd.dataSync())).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -0, Math.fround(1e-30)]);
      expect(back.i.dtype).toBe('int32');
      expect(Array.from(back.i.dataSync())).toEqual([1, -2]);
      disposeTree(back);
    }
    const bytes = paramsToBinary(net.params);
    expect(bytes.length).toBeLessThan(4 * 17 + 320);
    expect(bytes.length).toBeLessThan(paramsToJSON(net.params).length / 2);
    disposeTree(tree);
  });

  it('rejects wrong shapes, missing and extra leaves, leaving the model untouched and allocating nothing', async () => {
    const net = model();
    const other = mlp({ inSize: 2, outSize: 1, widthSize: 5, depth: 1 });
    const deeper = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 2 });
    const before = Array.from(net.params.layers[0]?.weight.dataSync() ?? []);
    await expectNoLeak(() => {
      for (const [save, load] of [
        [paramsToJSON, paramsFromJSON],
        [paramsToBinary, paramsFromBinary],
      ] as const) {
        const fromOther = (save as (p: unknown) => string | Uint8Array)(other.params);
        const fromDeeper = (save as (p: unknown) => string | Uint8Array)(deeper.params);
        const ld = load as (x: string | Uint8Array, like: typeof net.params) => typeof net.params;
        expect(() => ld(fromOther, net.params)).toThrow(
          /leaf 'layers.0.bias' is float32 \[5\] in the file but float32 \[4\] in the model/,
        );
        expect(() => ld(fromDeeper, net.params)).toThrow(
          /the file has leaf 'layers.2.bias', 'layers.2.weight' that the model lacks/,
        );
        expect(() => ld(save(net.params) as never, deeper.params as never)).toThrow(
          /the file lacks leaf 'layers.2.bias'/,
        );
      }
    });
    expect(Array.from(net.params.layers[0]?.weight.dataSync() ?? [])).toEqual(before);
    disposeTree([net.params, other.params, deeper.params]);
  });

  it('detects corrupt JSON and binary files', () => {
    const net = model();
    const json = paramsToJSON(net.params);
    expect(() => paramsFromJSON(json.slice(0, -10), net.params)).toThrow(/not valid JSON.*corrupt or truncated/);
    expect(() => paramsFromJSON('{"format":"other"}', net.params)).toThrow(/not an odekit parameter file/);
    expect(() => paramsFromJSON(json.replace('"version":1', '"version":9'), net.params)).toThrow(
      /version 9 is not supported/,
    );
    expect(() => paramsFromJSON(json.replace(/"data":\[[^\]]*\]/, '"data":[1,2]'), net.params)).toThrow(
      /in the file but/,
    );
    expect(() => paramsFromJSON(json.replace(/"data":\[/, '"data":["x",'), net.params)).toThrow(/leaf #0 is malformed/);
    const bin = paramsToBinary(net.params);
    expect(() => paramsFromBinary(bin.subarray(0, bin.length - 8), net.params)).toThrow(/checksum mismatch/);
    const flipped = bin.slice();
    flipped[40] = (flipped[40] as number) ^ 1;
    expect(() => paramsFromBinary(flipped, net.params)).toThrow(/checksum mismatch/);
    const magic = bin.slice();
    magic[0] = 0;
    expect(() => paramsFromBinary(magic, net.params)).toThrow(/bad magic/);
    expect(() => paramsFromBinary(new Uint8Array(3), net.params)).toThrow(/too short/);
    disposeTree(net.params);
  });

  it('saves and loads files atomically in Node, naming the file on error', async () => {
    const dir = mkdtempSync(`${tmpdir()}/odekit-nn-`);
    const net = model();
    for (const name of ['net.json', 'net.odkp']) {
      const file = `${dir}/${name}`;
      await saveParams(file, net.params);
      const back = await loadParams(file, net.params);
      expect(back).toBeAllclose(net.params, { rtol: 0, atol: 0 });
      disposeTree(back);
    }
    expect(readFileSync(`${dir}/net.json`, 'utf8')).toMatch(/^\{"format":"odekit-params","version":1/);
    writeFileSync(`${dir}/bad.odkp`, readFileSync(`${dir}/net.odkp`).subarray(0, 30));
    await expect(loadParams(`${dir}/bad.odkp`, net.params)).rejects.toThrow(
      /loadParams\('.*bad.odkp'\): paramsFromBinary: checksum/,
    );
    disposeTree(net.params);
  });
});

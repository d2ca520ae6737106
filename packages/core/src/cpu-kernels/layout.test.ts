import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { installFastCpuKernels, uninstallFastCpuKernels } from '../index.js';
import { both, rand, read, useFastCpuKernels } from './compare.test-support.js';

useFastCpuKernels();

describe('fast Concat', () => {
  it.each([
    [
      [
        [5, 2],
        [5, 1],
        [5, 1],
      ],
      1,
    ],
    [
      [
        [5, 2],
        [5, 1],
        [5, 1],
      ],
      -1,
    ],
    [
      [
        [2, 3],
        [4, 3],
      ],
      0,
    ],
    [
      [
        [2, 3, 4],
        [2, 1, 4],
        [2, 2, 4],
      ],
      1,
    ],
    [
      [
        [2, 3, 40],
        [2, 3, 33],
      ],
      2,
    ], // wide rows: copied with set()
    [
      [
        [1, 3],
        [1, 5],
      ],
      1,
    ],
    [
      [
        [4, 2],
        [4, 0],
        [4, 3],
      ],
      1,
    ], // an empty input is skipped
    [[[4, 2]], 1], // one input
    [
      [
        [0, 2],
        [0, 3],
      ],
      1,
    ], // empty output
  ])('%j along axis %i equals tfjs bit for bit', (shapes, axis) => {
    const xs = shapes.map(rand);
    const { fast, orig } = both(() => read(() => tf.concat(xs, axis)));
    expect(fast).toEqual(orig);
    tf.dispose(xs);
  });

  it('hands int32 and mismatched shapes to tfjs', () => {
    const i = [tf.tensor2d([[1], [2]], undefined, 'int32'), tf.tensor2d([[3], [4]], undefined, 'int32')];
    const { fast, orig } = both(() => read(() => tf.concat(i, 1)));
    expect(fast).toEqual(orig);
    const bad = [rand([2, 3]), rand([3, 3])];
    let message = '';
    uninstallFastCpuKernels();
    expect(() => {
      try {
        tf.concat(bad, 1);
      } catch (e) {
        message = (e as Error).message;
        throw e;
      }
    }).toThrow();
    installFastCpuKernels();
    expect(() => tf.concat(bad, 1)).toThrow(message);
    tf.dispose([...i, ...bad]);
  });
});

describe('fast GatherV2, Slice and Transpose', () => {
  it.each([
    [[6, 3], [4, 0, 4, 5], 0],
    [[6, 3], [2, 0], 1],
    [[4, 5, 2], [3, 3, 1], 1],
    [[4, 5, 40], [1, 0, 3], 0], // long rows: copied with set()
    [[3, 4, 2], [1, 0], -1],
    [[5], [4, 4, 0], 0],
    [[5, 2], [], 0],
  ] as [number[], number[], number][])(
    'gather of %j at %j along axis %i equals tfjs bit for bit',
    (shape, ix, axis) => {
      const x = rand(shape);
      const i = tf.tensor1d(ix, 'int32');
      const { fast, orig } = both(() => read(() => tf.gather(x, i, axis)));
      expect(fast).toEqual(orig);
      if (ix.length >= 2) {
        // 2-D indices: the output takes their shape
        const i2 = tf.tensor2d([ix[0] as number, ix[1] as number, ix[1] as number, ix[0] as number], [2, 2], 'int32');
        const r = both(() => read(() => tf.gather(x, i2, axis)));
        expect(r.fast).toEqual(r.orig);
        i2.dispose();
      }
      tf.dispose([x, i]);
    },
  );

  it('gather hands int32 values and out-of-range indices to tfjs (same values, same error)', () => {
    const xi = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const { fast, orig } = both(() => read(() => tf.gather(xi, tf.tensor1d([1, 0], 'int32'))));
    expect(fast).toEqual(orig);
    const x = rand([3, 2]);
    const bad = tf.tensor1d([0, 3], 'int32');
    uninstallFastCpuKernels();
    let message = '';
    try {
      tf.gather(x, bad);
    } catch (e) {
      message = (e as Error).message;
    }
    installFastCpuKernels();
    expect(message).not.toBe('');
    expect(() => tf.gather(x, bad)).toThrow(message);
    tf.dispose([xi, x, bad]);
  });

  it.each([
    [
      [4, 6],
      [1, 2],
      [2, 3],
    ],
    [
      [4, 6],
      [0, 1],
      [-1, 4],
    ],
    [
      [3, 10, 2],
      [0, 0, 0],
      [-1, 4, -1],
    ],
    [
      [3, 10, 2],
      [1, 2, 1],
      [2, 5, 1],
    ],
    [
      [2, 3, 4, 5],
      [1, 1, 0, 2],
      [1, 2, 4, 3],
    ],
    [
      [2, 50, 40],
      [0, 3, 0],
      [2, 4, 40],
    ], // long runs: copied with set()
    [
      [4, 6],
      [1, 0],
      [2, 6],
    ], // contiguous: tfjs's view
    [
      [4, 6],
      [1, 2],
      [0, 3],
    ], // empty
  ] as [number[], number[], number[]][])('slice of %j at %j size %j equals tfjs bit for bit', (shape, begin, size) => {
    const x = rand(shape);
    const { fast, orig } = both(() => read(() => tf.slice(x, begin, size)));
    expect(fast).toEqual(orig);
    tf.dispose(x);
  });

  it('slice with a scalar begin, short arrays or out-of-range bounds behaves as in tfjs', () => {
    const x = rand([4, 5]);
    for (const [begin, size] of [
      [1, 2],
      [[1], [2]],
    ] as [number | number[], number | number[]][]) {
      const { fast, orig } = both(() => read(() => tf.slice(x, begin, size)));
      expect(fast).toEqual(orig);
    }
    uninstallFastCpuKernels();
    let message = '';
    try {
      tf.slice(x, [3, 0], [2, 5]);
    } catch (e) {
      message = (e as Error).message;
    }
    installFastCpuKernels();
    expect(message).not.toBe('');
    expect(() => tf.slice(x, [3, 0], [2, 5])).toThrow(message);
    tf.dispose(x);
  });

  it.each([
    [
      [3, 4],
      [1, 0],
    ],
    [
      [5, 3, 2],
      [1, 0, 2],
    ],
    [
      [5, 3, 2],
      [2, 1, 0],
    ],
    [
      [5, 3, 2],
      [0, 2, 1],
    ],
    [
      [2, 3, 4, 5],
      [2, 0, 1, 3],
    ],
    [
      [2, 3, 4, 5],
      [3, 2, 1, 0],
    ],
    [
      [2, 3, 4, 5, 2],
      [1, 0, 3, 2, 4],
    ],
    [
      [4, 3, 40],
      [1, 0, 2],
    ], // long blocks: copied with set()
    [
      [3, 4],
      [0, 1],
    ], // identity
    [
      [0, 4],
      [1, 0],
    ], // empty
  ] as [number[], number[]][])('transpose of %j by %j equals tfjs bit for bit', (shape, perm) => {
    const x = rand(shape);
    const { fast, orig } = both(() => read(() => tf.transpose(x, perm)));
    expect(fast).toEqual(orig);
    tf.dispose(x);
  });
});

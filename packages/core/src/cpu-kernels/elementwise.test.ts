import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { both, rand, read, sizeOf, useFastCpuKernels } from './compare.test-support.js';
import { fastTanh } from './tanh.js';

useFastCpuKernels();

describe('fast binary kernels equal tfjs bit for bit', () => {
  const shapePairs: [number[], number[]][] = [
    [
      [3, 4],
      [3, 4],
    ], // same shape
    [[5, 4], [4]], // row vector (bias add)
    [
      [5, 4],
      [1, 4],
    ],
    [
      [5, 4],
      [5, 1],
    ], // column vector
    [
      [5, 1],
      [1, 4],
    ], // outer
    [[3, 4], []], // scalar
    [[4096, 1], [1]],
    [
      [2, 3, 4],
      [3, 1],
    ],
    [
      [2, 1, 4],
      [1, 3, 1],
    ], // three merged dimensions: the outer loop
    [
      [2, 3, 1, 5],
      [1, 3, 4, 1],
    ],
    [[1, 1], [1]],
    [[1, 1], [3]],
    [[], []],
    [[], [2, 3]],
    [[0, 4], [4]], // empty
    [[17, 65], [65]],
    [
      [3, 20],
      [3, 1],
    ], // a column against long rows: one value per row
    [[37, 3], [3]], // short rows tiled: one tiled block and a remainder
    [
      [100, 2],
      [1, 2],
    ], // three tiled blocks and a remainder
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
  ];
  for (const [name, op] of ops) {
    it.each(shapePairs)(`${name} %j with %j, both orders`, (sa, sb) => {
      const a = rand(sa);
      const b = rand(sb);
      const { fast, orig } = both(() => [read(() => op(a, b)), read(() => op(b, a))]);
      expect(fast).toEqual(orig);
      expect(fast[0]?.values.length).toBe(sizeOf(orig[0]?.shape ?? []));
      tf.dispose([a, b]);
    });
  }

  it('propagates NaN and infinities like tfjs', () => {
    const a = tf.tensor2d([
      [Number.NaN, 1, Number.POSITIVE_INFINITY],
      [0, -0, Number.NEGATIVE_INFINITY],
    ]);
    const b = tf.tensor1d([0, Number.NaN, Number.POSITIVE_INFINITY]);
    const { fast, orig } = both(() => ops.map(([, op]) => read(() => op(a, b))));
    expect(fast).toEqual(orig);
    expect(fast[3]?.values.some(Number.isNaN)).toBe(true);
    tf.dispose([a, b]);
  });

  it('hands int32 to tfjs (same values and dtype)', () => {
    const a = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      undefined,
      'int32',
    );
    const b = tf.tensor1d([7, -8, 9], 'int32');
    const { fast, orig } = both(() => ops.slice(0, 3).map(([, op]) => read(() => op(a, b))));
    expect(fast).toEqual(orig);
    expect(fast[0]?.dtype).toBe('int32');
    tf.dispose([a, b]);
  });
});

/** Σ_k |A_ik B_kj| and the exact float64 product, for error bounds. */
describe('fast Tanh', () => {
  const f32 = new Float32Array(1);
  const bits = new Uint32Array(f32.buffer);
  /** Distance in float32 ulps, measured in the finer spacing of the two values' binades. */
  function ulps(got: number, ref: number): number {
    if (got === ref) return 0;
    f32[0] = Math.min(Math.abs(got), Math.abs(ref));
    const lo = f32[0] as number;
    bits[0] = (bits[0] as number) + 1;
    return Math.abs(got - ref) / ((f32[0] as number) - lo);
  }

  it('is within 2 float32 ulp of Math.tanh (rounded to float32) on a dense float32 grid, through the kernel', () => {
    expect(ulps(Math.fround(1 + 2 ** -23), 1)).toBe(1); // the measure itself
    f32[0] = 10;
    const end = bits[0] as number; // every 101st float32 in [0, 10] and its negative: 21M inputs
    const stride = 101;
    const chunk = 1 << 20;
    let worst = 0;
    let worstAt = 0;
    for (let start = 0; start < end; start += stride * chunk) {
      const xs = new Float32Array(2 * chunk);
      let n = 0;
      for (let b = start; b < Math.min(end, start + stride * chunk); b += stride) {
        bits[0] = b;
        xs[n++] = f32[0] as number;
        xs[n++] = -(f32[0] as number);
      }
      const x = tf.tensor1d(xs.subarray(0, n));
      const y = tf.tanh(x);
      const ys = y.dataSync();
      for (let i = 0; i < n; i++) {
        const u = ulps(ys[i] as number, Math.fround(Math.tanh(xs[i] as number)));
        if (u > worst) {
          worst = u;
          worstAt = xs[i] as number;
        }
      }
      tf.dispose([x, y]);
    }
    expect(worst, `worst at x = ${worstAt}`).toBeLessThanOrEqual(2);
  });

  it('special values: NaN → NaN, ±Infinity → ±1, ±0 kept, large |x| → ±1, tiny x → x', () => {
    const xs = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0,
      -0,
      9,
      -9,
      20,
      3.4e38,
      -3.4e38,
      1e-30,
      1e-45,
      0.3,
      -0.3,
    ];
    const x = tf.tensor1d(xs);
    const y = Array.from(tf.tanh(x).dataSync());
    expect(y[0]).toBeNaN();
    expect(y.slice(1, 3)).toEqual([1, -1]);
    expect(Object.is(y[3], 0) && Object.is(y[4], -0)).toBe(true);
    expect(y.slice(5, 10)).toEqual([1, -1, 1, 1, -1]);
    expect(y[10]).toBe(Math.fround(1e-30));
    for (let i = 0; i < xs.length; i++) expect(y[i]).toBe(Math.fround(fastTanh(Math.fround(xs[i] as number))));
    x.dispose();
  });

  it('gives tfjs the int32 case (reachable through the engine, not tf.tanh) and keeps shapes', () => {
    const i = tf.tensor2d(
      [
        [0, 1],
        [-2, 30],
      ],
      undefined,
      'int32',
    );
    const x = rand([3, 1, 4]);
    const { fast, orig } = both(() => [
      read(() => tf.engine().runKernel('Tanh', { x: i }) as tf.Tensor),
      read(() => tf.tanh(x)).shape,
    ]);
    expect(fast).toEqual(orig);
    tf.dispose([i, x]);
  });
});

describe('fast Prod', () => {
  it.each([
    [[5, 2], 1, true],
    [[5, 2], -1, false],
    [[2, 3, 4], [1, 2], true],
    [[2, 3, 4], [2, 1], false],
    [[2, 3, 4], [0, 1, 2], false],
    [[2, 3, 4], 0, true], // not trailing: tfjs's kernel
    [[2, 3, 4], [0, 2], false],
    [[3, 0], 1, true], // empty rows: products of nothing are 1
    [[0, 3], 1, false],
  ] as [number[], number | number[], boolean][])(
    '%j over axis %j (keepDims %s) equals tfjs bit for bit',
    (shape, axis, keepDims) => {
      const x = rand(shape);
      const { fast, orig } = both(() => read(() => tf.prod(x, axis, keepDims)));
      expect(fast).toEqual(orig);
      x.dispose();
    },
  );

  it('without an axis (all axes) equals tfjs bit for bit', () => {
    const xs = [rand([2]), rand([3, 4]), rand([2, 3, 2]), tf.scalar(1.5)];
    const { fast, orig } = both(() =>
      xs.flatMap((x) => [read(() => tf.prod(x)), read(() => tf.prod(x, undefined, true))]),
    );
    expect(fast).toEqual(orig);
    tf.dispose(xs);
  });

  it('NaN and int32 behave like tfjs', () => {
    const x = tf.tensor2d([
      [Number.NaN, 2],
      [3, Number.POSITIVE_INFINITY],
      [0, Number.POSITIVE_INFINITY],
    ]);
    const i = tf.tensor2d(
      [
        [2, 3],
        [4, 5],
      ],
      undefined,
      'int32',
    );
    const { fast, orig } = both(() => [read(() => tf.prod(x, 1)), read(() => tf.prod(i, 1))]);
    expect(fast).toEqual(orig);
    expect(fast[0]?.values[0]).toBeNaN();
    expect(fast[1]?.dtype).toBe('int32');
    tf.dispose([x, i]);
  });
});

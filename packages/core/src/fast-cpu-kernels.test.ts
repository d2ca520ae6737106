import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastTanh } from './cpu-kernels/tanh.js';
import { FAST_CPU_KERNEL_NAMES } from './fast-cpu-kernels.js';
import { createRng, fastCpuKernelsInstalled, installFastCpuKernels, uninstallFastCpuKernels } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installFastCpuKernels();
});
afterAll(() => installFastCpuKernels());

/** Runs `f` once with the fast kernels and once with tfjs's; returns both results as plain data. */
function both<T>(f: () => T): { fast: T; orig: T } {
  installFastCpuKernels();
  const fast = f();
  uninstallFastCpuKernels();
  try {
    return { fast, orig: f() };
  } finally {
    installFastCpuKernels();
  }
}

/** Values, shape and dtype of what `f` returns (disposed). */
function read(f: () => tf.Tensor): { values: number[]; shape: number[]; dtype: string } {
  const t = tf.tidy(f);
  const out = { values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype };
  t.dispose();
  return out;
}

const rng = createRng(7);
/** Random float32 values in [-2, 2] (plain numbers, so both runs see the same inputs). */
function randomValues(n: number): Float32Array {
  const t = rng.uniform([n], -2, 2);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}
const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);
const rand = (shape: number[]) => tf.tensor(randomValues(sizeOf(shape)), shape);

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
function reference(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean) {
  const A = (tA ? tf.transpose(a) : a).arraySync() as number[][];
  const B = (tB ? tf.transpose(b) : b).arraySync() as number[][];
  const M = A.length;
  const K = B.length;
  const N = B[0]?.length ?? 0;
  const exact: number[] = [];
  const scale: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const p = (A[i]?.[k] as number) * (B[k]?.[j] as number);
        s += p;
        m += Math.abs(p);
      }
      exact.push(s);
      scale.push(m);
    }
  }
  return { exact, scale };
}

describe('fast BatchMatMul', () => {
  const dims = [1, 3, 17, 64, 65];
  const cases: [number, number, number][] = [];
  for (const M of dims) for (const K of [1, 2, 3, 4, 5, 17, 64, 65]) for (const N of [1, 4, 65]) cases.push([M, K, N]);

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])(
    '2-D products of many shapes, transposeA %s transposeB %s: within 1e-5·Σ|ab| of tfjs, one rounding from exact',
    (tA, tB) => {
      for (const [M, K, N] of cases) {
        const a = rand(tA ? [K, M] : [M, K]);
        const b = rand(tB ? [N, K] : [K, N]);
        const { fast, orig } = both(() => read(() => tf.matMul(a, b, tA, tB)));
        const { exact, scale } = reference(a, b, tA, tB);
        expect(fast.shape).toEqual([M, N]);
        let worstVsTfjs = 0; // in units of 1e-5·Σ|ab|
        let worstVsExact = 0; // in units of the final rounding's bound
        for (let q = 0; q < exact.length; q++) {
          const f = fast.values[q] as number;
          const e = exact[q] as number;
          const m = scale[q] as number;
          worstVsTfjs = Math.max(worstVsTfjs, Math.abs(f - (orig.values[q] as number)) / (1e-5 * m + 1e-30));
          // float64 accumulation: only the final rounding to float32 (half an ulp, 2^-24 relative)
          worstVsExact = Math.max(worstVsExact, Math.abs(f - e) / (2 ** -24 * Math.abs(e) + 1e-12 * m + 1e-30));
        }
        expect(worstVsTfjs, `${M}x${K}x${N}`).toBeLessThanOrEqual(1);
        expect(worstVsExact, `${M}x${K}x${N}`).toBeLessThanOrEqual(1);
        tf.dispose([a, b]);
      }
    },
  );

  it.each([
    [
      [2, 3, 5],
      [2, 5, 4],
    ], // equal batches
    [
      [1, 3, 5],
      [3, 5, 4],
    ], // A shared by every batch entry
    [
      [3, 3, 5],
      [1, 5, 4],
    ], // B shared
    [
      [2, 2, 3, 5],
      [2, 2, 5, 4],
    ],
    [
      [2, 1, 3, 5],
      [1, 5, 4],
    ], // broadcast batch ranks
    [
      [2, 1, 3, 2],
      [1, 3, 2, 4],
    ], // [2,1] against [1,3]: left to tfjs
  ])('batched %j · %j equals tfjs within 1e-5 relative', (sa, sb) => {
    const a = rand(sa);
    const b = rand(sb);
    for (const [tA, tB] of [
      [false, false],
      [true, true],
    ] as const) {
      const ta = tA
        ? tf.transpose(
            a,
            [...sa.keys()].map((d) => (d < sa.length - 2 ? d : 2 * sa.length - 3 - d)),
          )
        : a;
      const tb = tB
        ? tf.transpose(
            b,
            [...sb.keys()].map((d) => (d < sb.length - 2 ? d : 2 * sb.length - 3 - d)),
          )
        : b;
      let r: { fast: ReturnType<typeof read>; orig: ReturnType<typeof read> } | undefined;
      try {
        r = both(() => read(() => tf.matMul(ta, tb, tA, tB)));
      } catch (e) {
        // whatever tfjs does with a shape, the fast kernels do the same (here: both throw)
        uninstallFastCpuKernels();
        expect(() => tf.matMul(ta, tb, tA, tB)).toThrow((e as Error).message);
        installFastCpuKernels();
      }
      if (r !== undefined) {
        expect(r.fast.shape).toEqual(r.orig.shape);
        expect(r.fast.values).toBeAllclose(r.orig.values, { rtol: 1e-5, atol: 1e-6 });
      }
      if (ta !== a) tf.dispose([ta, tb]);
    }
    tf.dispose([a, b]);
  });

  it('NaN, empty and int32 products behave like tfjs', () => {
    const a = tf.tensor2d([
      [1, Number.NaN],
      [2, 3],
      [Number.POSITIVE_INFINITY, 0],
    ]);
    const b = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const e1 = tf.zeros([0, 2]);
    const e2 = tf.zeros([3, 0]);
    const e3 = tf.zeros([0, 4]);
    const i1 = tf.tensor2d(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      'int32',
    );
    const { fast, orig } = both(() => [
      read(() => tf.matMul(a, b)),
      read(() => tf.matMul(e1, b)),
      read(() => tf.matMul(e2, e3)),
      read(() => tf.matMul(i1, i1)),
    ]);
    expect(fast).toEqual(orig);
    expect(fast[0]?.values.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(fast[2]?.values).toEqual(new Array(12).fill(0));
    expect(fast[3]?.dtype).toBe('int32');
    tf.dispose([a, b, e1, e2, e3, i1]);
  });
});

describe('fast _FusedMatMul', () => {
  it.each(['linear', 'relu', 'elu'] as const)(
    'bias and %s activation equal tfjs within 1e-5 relative',
    (activation) => {
      for (const [tA, tB] of [
        [false, false],
        [false, true],
        [true, false],
      ] as const) {
        const a = rand(tA ? [3, 17] : [17, 3]);
        const b = rand(tB ? [5, 3] : [3, 5]);
        for (const bias of [rand([5]), rand([17, 1]), undefined]) {
          const { fast, orig } = both(() =>
            read(() =>
              tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, activation, ...(bias ? { bias } : {}) }),
            ),
          );
          expect(fast.shape).toEqual(orig.shape);
          expect(fast.values).toBeAllclose(orig.values, { rtol: 1e-5, atol: 1e-6 });
          bias?.dispose();
        }
        tf.dispose([a, b]);
      }
    },
  );
});

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

describe('gradients through the fast kernels', () => {
  it('equal the gradients through tfjs kernels within 1e-5 of each leaf’s largest entry (a small MLP-with-physics loss)', () => {
    const local = createRng(11); // its own stream: the inputs do not depend on which tests ran first
    const r = (shape: number[]) => local.uniform(shape, -2, 2);
    const x = r([64, 2]);
    const p = { W1: r([8, 2]), b1: r([8]), W2: r([1, 8]), b2: r([1]), out: r([4, 2]) };
    const loss = (W1: tf.Tensor, b1: tf.Tensor, W2: tf.Tensor, b2: tf.Tensor, out: tf.Tensor) => {
      const h = tf.tanh(tf.add(tf.matMul(x, W1, false, true), b1));
      const nn = tf.add(tf.matMul(h, W2, false, true), b2);
      const rc = tf.prod(x, 1, true);
      const z = tf.concat([x, rc, tf.div(tf.mul(nn, rc), tf.add(tf.abs(rc), 3))], 1);
      return tf.sum(tf.square(tf.sub(tf.matMul(z, out), 0.5)));
    };
    const g = tf.grads(loss);
    const args = [p.W1, p.b1, p.W2, p.b2, p.out];
    const { fast, orig } = both(() => tf.tidy(() => g(args)).map((t) => Array.from(t.dataSync())));
    for (const [i, leaf] of orig.entries()) {
      const scale = Math.max(...leaf.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      // float32 sums over 64 samples, accumulated differently by the two matMuls
      expect(fast[i]).toBeAllclose(leaf, { rtol: 0, atol: 1e-5 * scale });
    }
    tf.dispose([x, ...args]);
  });
});

describe('installFastCpuKernels / uninstallFastCpuKernels', () => {
  it('are idempotent, restore the very configs tfjs registered, and touch only the listed kernels', () => {
    uninstallFastCpuKernels();
    const originals = FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'));
    const untouched = tf.getKernel('Exp', 'cpu');
    uninstallFastCpuKernels();
    expect(fastCpuKernelsInstalled()).toBe(false);
    installFastCpuKernels();
    const installed = FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'));
    installFastCpuKernels();
    expect(FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'))).toEqual(installed);
    expect(installed.every((c, i) => c !== originals[i])).toBe(true);
    expect(fastCpuKernelsInstalled()).toBe(true);
    uninstallFastCpuKernels();
    uninstallFastCpuKernels();
    for (const [i, n] of FAST_CPU_KERNEL_NAMES.entries()) expect(tf.getKernel(n, 'cpu')).toBe(originals[i]);
    expect(tf.getKernel('Exp', 'cpu')).toBe(untouched);
    installFastCpuKernels();
    expect(FAST_CPU_KERNEL_NAMES).toEqual(
      expect.arrayContaining([
        'Add',
        'Sub',
        'Multiply',
        'RealDiv',
        'BatchMatMul',
        '_FusedMatMul',
        'Tanh',
        'Concat',
        'Prod',
      ]),
    );
  });

  it('leak no tensors and no backend data, on fast paths and delegated ones', async () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = rand([6, 4]);
    const i = tf.tensor1d([1, 2], 'int32');
    const run = () =>
      tf.tidy(() => {
        tf.tanh(tf.add(tf.matMul(a, a, false, true), tf.sub(tf.mul(a, a), tf.div(a, 2)).sum()));
        tf.concat([a, a], 1);
        tf.prod(a, 1, true);
        tf.fused.matMul({ a, b: a, transposeB: true, bias: tf.ones([6]), activation: 'relu' });
        tf.add(i, i);
        tf.concat([i, i]);
      });
    run();
    const ids = backend.numDataIds();
    await expectNoLeak(run, 'fast kernels');
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([a, i]);
  });
});

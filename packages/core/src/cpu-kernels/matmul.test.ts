import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { installFastCpuKernels, uninstallFastCpuKernels } from '../index.js';
import { both, rand, read, useFastCpuKernels } from './compare.test-support.js';

useFastCpuKernels();

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

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, loadReferenceProblems } from './index.js';

const problems = loadReferenceProblems();

/** |a − e| ≤ 1e-5·max(1, max|e|): relative agreement scaled by the field's magnitude. */
function close(actual: ArrayLike<number>, expected: number[]) {
  const scale = Math.max(1, ...expected.map(Math.abs));
  return expect(Array.from(actual)).toBeAllclose(expected, { rtol: 1e-5, atol: 1e-5 * scale });
}

describe('loadReferenceProblems', () => {
  it('loads the 14 problems with consistent fields', () => {
    expect(problems.map((p) => p.id)).toEqual([
      'A1',
      'A2',
      'A3',
      'A4',
      'A5',
      'B1',
      'B2',
      'B5',
      'D1',
      'D3',
      'E2',
      'E4',
      'ROBER',
      'VDP1000',
    ]);
    for (const p of problems) {
      expect(p.rhs.length, p.id).toBe(p.y0.length);
      expect(p.ast.length, p.id).toBe(p.y0.length);
      expect(p.ts.length, p.id).toBe(21);
      expect(p.ys.length, p.id).toBe(21);
      expect(p.ys[0], p.id).toBeAllclose(p.y0, { rtol: 1e-12 });
      expect(p.t1).toBeGreaterThan(p.t0);
    }
    expect(problems.filter((p) => p.stiff).map((p) => p.id)).toEqual(['ROBER', 'VDP1000']);
    const a1 = problems[0];
    expect(a1?.vectorField64(0, [2])).toEqual([-2]);
  });

  it.each(problems.map((p) => [p.id, p] as const))(
    '%s: vectorField (tfjs) agrees with vectorField64',
    async (_id, p) => {
      const states = [p.y0, p.y0.map((v, i) => v + 0.1 * (i + 1)), p.ys[10] as number[]];
      const ts = [p.t0, 0.7, p.ts[10] as number];
      await expectNoLeak(() => {
        states.forEach((y, k) => {
          const t = ts[k] as number;
          const yT = tf.tensor1d(y);
          const f = p.vectorField(t, yT);
          expect(f.shape).toEqual([y.length]);
          close(f.dataSync(), p.vectorField64(t, y));
          tf.dispose([yT, f]);
        });
        // batch [B, dim]: each row agrees with the float64 field
        const yB = tf.tensor2d(states);
        const fB = p.vectorField(0.7, yB);
        expect(fB.shape).toEqual([states.length, p.y0.length]);
        const rows = fB.arraySync() as number[][];
        states.forEach((y, k) => {
          close(rows[k] as number[], p.vectorField64(0.7, y));
        });
        tf.dispose([yB, fB]);
      }, p.id);
    },
  );

  it('vector fields are differentiable through tfjs', () => {
    const d1 = problems.find((p) => p.id === 'D1');
    if (d1 === undefined) throw new Error('D1 missing');
    const y = tf.tensor1d(d1.y0);
    const g = tf.grad((yy: tf.Tensor) => tf.sum(d1.vectorField(0, yy)))(y);
    const [y0, y1] = d1.y0 as [number, number];
    const r2 = y0 * y0 + y1 * y1;
    // d/dy0 of (−y0 − y1) / r³ summed: components 2,3 depend on y0, y1; components 0,1 give dy2, dy3 = 1
    const dy0 = -1 / r2 ** 1.5 + (3 * y0 * (y0 + y1)) / r2 ** 2.5;
    expect(g).toBeAllclose([dy0, (3 * y1 * (y0 + y1)) / r2 ** 2.5 - 1 / r2 ** 1.5, 1, 1], { rtol: 1e-4, atol: 1e-6 });
    tf.dispose([y, g]);
  });
});

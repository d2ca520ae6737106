import { valueAndGrad } from '@odekit/core';
import {
  expectNoLeak,
  type LvHybridParams,
  loadWorkloads,
  lvHybridField,
  lvHybridFlat,
  lvHybridParams,
} from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  type Adjoint,
  backsolveAdjoint,
  constantStepSize,
  diffeqsolve,
  directAdjoint,
  dopri5,
  heun,
  pidController,
  recursiveCheckpointAdjoint,
  saveAt,
  tsit5,
} from './index.js';

// y' = A y with A = [[a, b], [−b, a]]: e^{As} = e^{as} [[cos bs, sin bs], [−sin bs, cos bs]].
const a = -0.3;
const b = 1.1;
const T = 2;
const Y0 = [1, 0.5];
const expA = (s: number, transpose = false): number[][] => {
  const e = Math.exp(a * s);
  const c = Math.cos(b * s) * e;
  const sn = Math.sin(b * s) * e * (transpose ? -1 : 1);
  return [
    [c, sn],
    [-sn, c],
  ];
};
const mv = (m: number[][], v: number[]) => m.map((row) => row.reduce((acc, x, j) => acc + x * (v[j] as number), 0));

/** Analytic gradients of L = Σ y(T)²: dL/dy0 = e^{AᵀT} g, dL/dA = ∫ e^{Aᵀ(T−s)} g y(s)ᵀ ds, g = 2 y(T). */
function analytic(): { dA: number[]; dy0: number[] } {
  const yT = mv(expA(T), Y0);
  const g = yT.map((v) => 2 * v);
  const dy0 = mv(expA(T, true), g);
  const n = 2000; // Simpson's rule
  const dA = [0, 0, 0, 0];
  for (let i = 0; i <= n; i++) {
    const s = (T * i) / n;
    const w = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * (T / n / 3);
    const lam = mv(expA(T - s, true), g);
    const ys = mv(expA(s), Y0);
    for (let p = 0; p < 2; p++)
      for (let q = 0; q < 2; q++)
        dA[2 * p + q] = (dA[2 * p + q] as number) + w * (lam[p] as number) * (ys[q] as number);
  }
  return { dA, dy0 };
}

function gradOf(adjoint: Adjoint, adaptive: boolean, solver = dopri5()) {
  const loss = (p: { A: tf.Tensor; y0: tf.Tensor }) => {
    const sol = diffeqsolve({
      term: (_t, y: tf.Tensor, args: { A: tf.Tensor }) => tf.matMul(y, args.A, false, true),
      solver,
      t0: 0,
      t1: T,
      dt0: 0.01,
      y0: p.y0,
      args: { A: p.A },
      adjoint,
      stepsizeController: adaptive ? pidController({ rtol: 1e-7, atol: 1e-9 }) : constantStepSize(),
    });
    return tf.sum(tf.square(sol.ys as tf.Tensor));
  };
  const A = tf.tensor2d([
    [a, b],
    [-b, a],
  ]);
  const y0 = tf.tensor2d([Y0]);
  const { value, grads } = valueAndGrad(loss)({ A, y0 });
  const out = {
    value: value.dataSync()[0] as number,
    dA: Array.from(grads.A.dataSync()),
    dy0: Array.from(grads.y0.dataSync()),
  };
  tf.dispose([value, grads.A, grads.y0, A, y0]);
  return out;
}

const adjoints: [string, () => Adjoint, number][] = [
  ['direct', directAdjoint, 2e-4],
  ['recursive-checkpoint', () => recursiveCheckpointAdjoint({ batchStages: false }), 2e-4],
  ['recursive-checkpoint (auto)', () => recursiveCheckpointAdjoint(), 2e-4],
  ['recursive-checkpoint (4 checkpoints)', () => recursiveCheckpointAdjoint({ checkpoints: 4 }), 2e-4],
  ['recursive-checkpoint (batchStages)', () => recursiveCheckpointAdjoint({ batchStages: true }), 2e-4],
  ['backsolve', () => backsolveAdjoint(), 2e-3],
];

describe('gradients through diffeqsolve: y′ = A y, loss Σ y(T)²', () => {
  const exact = analytic();
  for (const [name, make, rtol] of adjoints) {
    for (const adaptive of [false, true]) {
      it(`${name}, ${adaptive ? 'adaptive' : 'constant'} steps, matches the analytic gradient`, () => {
        const g = gradOf(make(), adaptive);
        expect(g.dA).toBeAllclose(exact.dA, { rtol, atol: 1e-5 });
        expect(g.dy0).toBeAllclose(exact.dy0, { rtol, atol: 1e-5 });
      });
    }
  }

  it('checkpointed and direct agree to float32 round-off with constant steps', () => {
    for (const solver of [dopri5(), tsit5(), heun()]) {
      const d = gradOf(directAdjoint(), false, solver);
      const c = gradOf(recursiveCheckpointAdjoint({ checkpoints: 3 }), false, solver);
      expect(c.dA).toBeAllclose(d.dA, { rtol: 2e-5, atol: 1e-6 });
      expect(c.dy0).toBeAllclose(d.dy0, { rtol: 2e-5, atol: 1e-6 });
    }
  });

  it('agrees with central finite differences of the computed loss', () => {
    const g = gradOf(recursiveCheckpointAdjoint(), false);
    const lossAt = (A: number[][]) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, args: { A: tf.Tensor }) => tf.matMul(y, args.A, false, true),
        solver: dopri5(),
        t0: 0,
        t1: T,
        dt0: 0.01,
        y0: tf.tensor2d([Y0]),
        args: { A: tf.tensor2d(A) },
      });
      const v = (sol.ys as tf.Tensor).dataSync();
      sol.dispose();
      return Array.from(v).reduce((s, x) => s + x * x, 0);
    };
    const h = 1e-2;
    const base = [
      [a, b],
      [-b, a],
    ];
    const fd = [0, 1, 2, 3].map((k) => {
      const plus = base.map((r) => [...r]);
      const minus = base.map((r) => [...r]);
      (plus[k >> 1] as number[])[k & 1] = ((plus[k >> 1] as number[])[k & 1] as number) + h;
      (minus[k >> 1] as number[])[k & 1] = ((minus[k >> 1] as number[])[k & 1] as number) - h;
      return (lossAt(plus) - lossAt(minus)) / (2 * h);
    });
    expect(g.dA).toBeAllclose(fd, { rtol: 1e-3, atol: 1e-4 });
  });
});

describe('gradients reach args through saveAt outputs, reverse time and batches', () => {
  const k = 0.7;
  // y(t) = y0 e^{−k t}; L = Σ_i y(t_i)² → dL/dk = Σ −2 t_i y0² e^{−2k t_i}
  const ts = [0.25, 0.5, 1.5];
  const expected = ts.reduce((s, t) => s - 2 * t * 4 * Math.exp(-2 * k * t), 0);
  for (const [name, make] of adjoints) {
    it(`${name}: saveAt({ ts }) cotangents flow into args`, () => {
      const loss = (p: { k: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (_t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(args.k), y),
          solver: tsit5(),
          t0: 0,
          t1: 1.5,
          y0: tf.tensor1d([2]),
          args: p,
          saveat: saveAt({ ts }),
          stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
          adjoint: make(),
        });
        return tf.sum(tf.square(sol.ys as tf.Tensor));
      };
      const { grads } = valueAndGrad(loss)({ k: tf.scalar(k) });
      expect(grads.k.dataSync()[0]).toBeAllclose(expected, { rtol: 1e-3 });
    });
  }

  for (const [name, make] of adjoints) {
    it(`${name}: args and y0 computed inside the loss (intermediates) get gradients`, async () => {
      // y′ = −2k y, y0 = 3k: L = y(1) = 3k e^{−2k}, dL/dk = 3 e^{−2k} (1 − 2k)
      const loss = (p: { k: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (_t, y: tf.Tensor, args: { k2: tf.Tensor }) => tf.mul(tf.neg(args.k2), y),
          solver: tsit5(),
          t0: 0,
          t1: 1,
          dt0: 0.05,
          y0: tf.reshape(tf.mul(p.k, 3), [1]),
          args: { k2: tf.mul(p.k, 2) },
          adjoint: make(),
        });
        return tf.sum(sol.ys as tf.Tensor);
      };
      const k = tf.scalar(0.4);
      await expectNoLeak(() => {
        const { value, grads } = valueAndGrad(loss)({ k });
        expect(grads.k.dataSync()[0]).toBeAllclose(3 * Math.exp(-0.8) * (1 - 0.8), { rtol: 2e-4 });
        tf.dispose([value, grads.k]);
      });
      k.dispose();
    });
  }

  it('reverse time (t1 < t0) gives the mirrored gradient', () => {
    // integrating y′ = k y backwards from t0 = 1 to t1 = 0 gives y(0) = y0 e^{−k}
    const loss = (p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(args.k, y),
        solver: dopri5(),
        t0: 1,
        t1: 0,
        dt0: -0.05,
        y0: tf.tensor1d([1]),
        args: p,
        adjoint: recursiveCheckpointAdjoint(),
      });
      return tf.sum(sol.ys as tf.Tensor);
    };
    const { value, grads } = valueAndGrad(loss)({ k: tf.scalar(0.5) });
    expect(value.dataSync()[0]).toBeAllclose(Math.exp(-0.5), { rtol: 1e-5 });
    expect(grads.k.dataSync()[0]).toBeAllclose(-Math.exp(-0.5), { rtol: 1e-4 });
  });

  it('a batch gets per-sample gradients equal to solving each sample alone', () => {
    const ks = [0.3, 0.9];
    const gradFor = (y0: number[][]) => {
      const loss = (p: { k: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (_t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(args.k), y),
          solver: dopri5(),
          t0: 0,
          t1: 1,
          dt0: 0.05,
          y0: tf.tensor2d(y0),
          args: p,
        });
        return tf.sum(sol.ys as tf.Tensor);
      };
      return valueAndGrad(loss)({ k: tf.tensor2d(ks.slice(0, y0.length).map((x) => [x])) }).grads.k.dataSync();
    };
    const both = gradFor([
      [1, 2],
      [3, 4],
    ]);
    const expected = [
      [1, 2],
      [3, 4],
    ].map((row, i) => row.reduce((s, y) => s - y * Math.exp(-(ks[i] as number)), 0));
    expect(Array.from(both)).toBeAllclose(expected, { rtol: 1e-4 });
  });

  it('a tensor captured in a closure gets no gradient under the checkpointed adjoint', () => {
    const captured = tf.scalar(0.5);
    const loss = (p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(tf.mul(args.k, captured)), y),
        solver: dopri5(),
        t0: 0,
        t1: 1,
        dt0: 0.1,
        y0: tf.tensor1d([1]),
        args: p,
      });
      return tf.sum(sol.ys as tf.Tensor);
    };
    const { grads } = valueAndGrad((p: { k: tf.Tensor; c: tf.Tensor }) => loss({ k: p.k }))({
      k: tf.scalar(1),
      c: captured,
    });
    expect(grads.c.dataSync()[0]).toBe(0);
    expect(grads.k.dataSync()[0]).toBeAllclose(-0.5 * Math.exp(-0.5), { rtol: 1e-4 });
  });
});

describe('the W2 hybrid model (workloads.json) at its initial parameters', () => {
  const w = loadWorkloads().W2;
  const gradW2 = (rtol: number, atol: number, adjoint: Adjoint) => {
    const params = lvHybridParams(w.init);
    const y0 = tf.tensor1d(w.y0);
    const data = tf.tensor2d(w.data);
    const loss = (p: LvHybridParams) => {
      const sol = diffeqsolve({
        term: lvHybridField,
        solver: dopri5(),
        t0: 0,
        t1: 10,
        y0,
        args: p,
        saveat: saveAt({ ts: w.ts }),
        stepsizeController: pidController({ rtol, atol }),
        adjoint,
      });
      return tf.mean(tf.square(tf.sub(sol.ys as tf.Tensor, data)));
    };
    const { value, grads } = valueAndGrad(loss)(params);
    const out = { loss: value.dataSync()[0] as number, grad: lvHybridFlat(grads) };
    tf.dispose([value, ...Object.values(grads), ...Object.values(params), y0, data]);
    return out;
  };
  const relL2 = (g: number[], ref: number[]) =>
    Math.sqrt(g.reduce((s, x, i) => s + (x - (ref[i] as number)) ** 2, 0)) /
    Math.sqrt(ref.reduce((s, x) => s + x * x, 0));

  it('rtol 1e-5 / atol 1e-7: relative L2 error of the gradient ≤ 1e-3 against the float64 reference', () => {
    const { loss, grad } = gradW2(1e-5, 1e-7, recursiveCheckpointAdjoint());
    expect(loss).toBeAllclose(w.reference_gradient.loss, { rtol: 1e-4 });
    expect(relL2(grad, w.reference_gradient.grad)).toBeLessThanOrEqual(1e-3);
  });

  it('rtol 1e-3 / atol 1e-6: checkpointed and direct agree to ≤ 1e-4', () => {
    const c = gradW2(1e-3, 1e-6, recursiveCheckpointAdjoint());
    const d = gradW2(1e-3, 1e-6, directAdjoint());
    expect(relL2(c.grad, d.grad)).toBeLessThanOrEqual(1e-4);
    const b = gradW2(1e-3, 1e-6, recursiveCheckpointAdjoint({ batchStages: true }));
    expect(relL2(b.grad, d.grad)).toBeLessThanOrEqual(1e-4);
  });
});

describe('memory of the checkpointed adjoint', () => {
  // a 1000-step Heun solve of a batch state (N = 64 × 2 floats); only y(t1) is saved (Heun
  // keeps the kernel count within what tf.profile can summarise)
  const peakFor = async (checkpoints: number, steps: number) => {
    const y0 = tf.ones([64, 2]);
    const A = tf.tensor2d([
      [-0.1, 1],
      [-1, -0.1],
    ]);
    const loss = (p: { A: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, args: { A: tf.Tensor }) => tf.matMul(y, args.A),
        solver: heun(),
        t0: 0,
        t1: steps * 0.01,
        dt0: 0.01,
        y0,
        args: p,
        adjoint: recursiveCheckpointAdjoint({ checkpoints, batchStages: false }),
        maxSteps: 100_000,
      });
      return tf.sum(sol.ys as tf.Tensor);
    };
    const start = tf.memory().numBytes;
    const prof = await tf.profile(() => {
      const { value, grads } = valueAndGrad(loss)({ A });
      tf.dispose([value, grads.A]);
    });
    tf.dispose([y0, A]);
    return prof.peakBytes - start;
  };
  const stateBytes = 64 * 2 * 4;

  it('peak bytes stay within a small multiple of checkpoints × state and grow with checkpoints, not steps', async () => {
    const p8 = await peakFor(8, 1000);
    const p64 = await peakFor(64, 1000);
    const p8long = await peakFor(8, 2000);
    // each checkpoint holds the state in float64 as two float32 rows
    expect(p8).toBeLessThanOrEqual(4 * 8 * 2 * stateBytes + 64 * stateBytes);
    expect(p64).toBeGreaterThan(p8 + 40 * 2 * stateBytes);
    expect(p8long).toBeLessThanOrEqual(p8 * 1.25);
  });

  it('forward + backward leaks no tensor, for every adjoint', async () => {
    for (const [, make] of adjoints) {
      for (const adaptive of [false, true]) {
        await expectNoLeak(() => {
          gradOf(make(), adaptive);
        });
      }
    }
  });
});

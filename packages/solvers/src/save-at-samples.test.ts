import { valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { kvaerno5 } from './implicit/implicit-solvers.js';
import { dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

// saveAt({ sampleTs }): each batch sample saved at its own times. Checked against the union
// approach (save every sample at the union of the times, then pick each sample's rows), which
// interpolates the same steps: values and gradients must agree.

/** Lotka–Volterra with a per-sample rate, y `[B, 2]`, args { p: [4], k: [B, 1] }. */
const lv = (_t: number, y: tf.Tensor, a: { p: tf.Tensor; k: tf.Tensor }) =>
  tf.tidy(() => {
    const [r, c] = tf.split(y, 2, 1) as [tf.Tensor, tf.Tensor];
    const [al, be, ga, de] = tf.unstack(a.p) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const dr = tf.sub(tf.mul(tf.mul(al, a.k), r), tf.mul(be, tf.mul(r, c)));
    const dc = tf.add(tf.mul(tf.neg(ga), c), tf.mul(de, tf.mul(r, c)));
    return tf.concat([dr, dc], 1);
  });

const B = 5;
// own grids: one sample saved at t0, one never, repeated times in one, shared times across samples
const sampleTs = [[0, 0.3, 1.7, 2.5, 4], [0.8, 1.7, 3.1], [], [0.05, 0.05, 2, 3.99], [1.7]];
const union = [...new Set(sampleTs.flat())].sort((a, b) => a - b);
const points = sampleTs.flatMap((ts, b) => ts.map((t) => union.indexOf(t) * B + b));
const P = points.length;
const y0 = () => tf.tensor2d([1, 1, 1.2, 0.8, 0.9, 1.1, 1.5, 0.5, 0.7, 1.3], [B, 2]);
const args = () => ({ p: tf.tensor1d([1.5, 1, 3, 1]), k: tf.tensor2d([1, 1.1, 0.9, 1.2, 0.8], [B, 1]) });
/** Fixed per-point weights of the test loss, `[P, 2]`. */
const weights = () =>
  tf.tensor2d(
    Array.from({ length: 2 * P }, (_, i) => Math.sin(1 + i)),
    [P, 2],
  );

type Setup = { solver: AbstractSolver; adjoint: Adjoint };
const solve = (s: Setup, y: tf.Tensor, a: { p: tf.Tensor; k: tf.Tensor }, perSample: boolean) => {
  const sol = diffeqsolve({
    term: lv,
    solver: s.solver,
    t0: 0,
    t1: 4,
    y0: y,
    args: a,
    saveat: perSample ? saveAt({ sampleTs }) : saveAt({ ts: union }),
    stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }),
    adjoint: s.adjoint,
  });
  // the union's saves [nU, B, 2] → each sample's rows [P, 2]
  const ys = perSample
    ? (sol.ys as tf.Tensor)
    : tf.gather(tf.reshape(sol.ys as tf.Tensor, [-1, 2]), tf.tensor1d(points, 'int32'));
  return { sol, ys: ys as tf.Tensor2D };
};

const setups: [string, Setup][] = [
  ['checkpointed (batched stages)', { solver: tsit5(), adjoint: recursiveCheckpointAdjoint() }],
  ['checkpointed (per-stage VJPs)', { solver: dopri5(), adjoint: recursiveCheckpointAdjoint({ batchStages: false }) }],
  ['checkpointed, thinned', { solver: tsit5(), adjoint: recursiveCheckpointAdjoint({ checkpoints: 3 }) }],
  ['direct (tensor storage)', { solver: tsit5(), adjoint: directAdjoint() }],
  ['backsolve', { solver: dopri5(), adjoint: backsolveAdjoint() }],
  ['implicit, checkpointed', { solver: kvaerno5(), adjoint: recursiveCheckpointAdjoint() }],
];

describe('saveAt({ sampleTs })', () => {
  it('saves each sample at its own times, sample by sample, equal to the union approach', () => {
    const [y, a] = [y0(), args()];
    const own = solve(setups[0]?.[1] as Setup, y, a, true);
    const all = solve(setups[0]?.[1] as Setup, y, a, false);
    expect(own.ys.shape).toEqual([P, 2]);
    expect(own.sol.ts).toEqual(sampleTs.flat());
    expect(Array.from(own.sol.sampleOffsets ?? [])).toEqual([0, 5, 8, 8, 12, 13]);
    expect(own.sol.stats.numAcceptedSteps).toBe(all.sol.stats.numAcceptedSteps);
    // the same sums of the same steps' dense output: equal to the last bit
    expect(Array.from(own.ys.dataSync())).toEqual(Array.from(all.ys.dataSync()));
    // y(t0) exactly
    expect(Array.from(own.ys.dataSync().slice(0, 2))).toEqual([1, 1]);
    own.sol.dispose();
    all.sol.dispose();
    tf.dispose([y, a.p, a.k, all.ys]);
  });

  it('equals separate solves of each sample (within the tolerance)', () => {
    const [y, a] = [y0(), args()];
    const own = solve(setups[0]?.[1] as Setup, y, a, true);
    const v = own.ys.dataSync();
    sampleTs.forEach((ts, b) => {
      if (ts.length === 0) return;
      const yb = tf.slice(y, [b, 0], [1, 2]);
      const kb = tf.slice(a.k, [b, 0], [1, 1]);
      const sol = diffeqsolve({
        term: lv,
        solver: tsit5(),
        t0: 0,
        t1: 4,
        y0: yb,
        args: { p: a.p, k: kb },
        saveat: saveAt({ ts }),
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
      });
      const ref = (sol.ys as tf.Tensor).dataSync();
      const from = own.sol.sampleOffsets?.[b] as number;
      for (let i = 0; i < ref.length; i++) {
        expect(Math.abs((v[2 * from + i] as number) - (ref[i] as number))).toBeLessThan(1e-3);
      }
      sol.dispose();
      tf.dispose([yb, kb]);
    });
    own.sol.dispose();
    tf.dispose([y, a.p, a.k]);
  });

  for (const [name, setup] of setups) {
    it(`gradients through the saved points equal the union approach's: ${name}`, () => {
      const w = weights();
      const grads = (perSample: boolean) =>
        valueAndGrad((p: { y: tf.Tensor; p: tf.Tensor; k: tf.Tensor }) => {
          const { sol, ys } = solve(setup, p.y, { p: p.p, k: p.k }, perSample);
          const loss = tf.sum(tf.mul(w, tf.square(ys)));
          sol.dispose();
          return loss as tf.Scalar;
        });
      const inputs = { y: y0(), ...args() };
      const own = grads(true)(inputs);
      const all = grads(false)(inputs);
      expect(own.value.dataSync()[0]).toBeCloseTo(all.value.dataSync()[0] as number, 5);
      for (const k of ['y', 'p', 'k'] as const) {
        const g1 = own.grads[k].dataSync();
        const g2 = all.grads[k].dataSync();
        const scale = Math.max(...Array.from(g2, Math.abs));
        expect(scale).toBeGreaterThan(1e-3);
        for (let i = 0; i < g1.length; i++) {
          expect(Math.abs((g1[i] as number) - (g2[i] as number))).toBeLessThan(1e-5 * scale);
        }
      }
      tf.dispose([w, inputs.y, inputs.p, inputs.k, own.value, all.value]);
      tf.dispose([...Object.values(own.grads), ...Object.values(all.grads)]);
    });
  }

  it('keeps pytree states: leaves [P, ...sampleShape]', () => {
    const y = { a: tf.tensor2d([1, 2, 3], [3, 1]), b: tf.tensor3d([1, 2, 3, 4, 5, 6], [3, 1, 2]) };
    const sol = diffeqsolve({
      term: (_t, s: { a: tf.Tensor; b: tf.Tensor }) => ({ a: tf.neg(s.a), b: tf.mul(s.b, 0.5) }),
      solver: tsit5(),
      t0: 0,
      t1: 1,
      y0: y,
      saveat: saveAt({ sampleTs: [[0.5], [], [0, 1]] }),
      stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
    });
    const ys = sol.ys as { a: tf.Tensor; b: tf.Tensor };
    expect(ys.a.shape).toEqual([3, 1]);
    expect(ys.b.shape).toEqual([3, 1, 2]);
    const a = ys.a.dataSync();
    const b = ys.b.dataSync();
    expect(Math.abs((a[0] as number) - Math.exp(-0.5))).toBeLessThan(1e-5);
    expect(a[1]).toBe(3);
    expect(Math.abs((a[2] as number) - 3 * Math.exp(-1))).toBeLessThan(1e-5);
    expect(Math.abs((b[0] as number) - Math.exp(0.25))).toBeLessThan(1e-5);
    expect(Array.from(b.slice(2, 4))).toEqual([5, 6]);
    expect(Math.abs((b[5] as number) - 6 * Math.exp(0.5))).toBeLessThan(1e-4);
    sol.dispose();
    tf.dispose([y.a, y.b]);
  });

  it('reports how far each sample got when the solve stops early', () => {
    const [y, a] = [y0(), args()];
    const sol = diffeqsolve({
      term: lv,
      solver: tsit5(),
      t0: 0,
      t1: 4,
      y0: y,
      args: a,
      saveat: saveAt({ sampleTs }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
      maxSteps: 8,
      throwOnFailure: false,
    });
    expect(sol.result).toBe('max_steps_reached');
    const off = Array.from(sol.sampleOffsets ?? []);
    expect((sol.ys as tf.Tensor).shape[0]).toBe(off[B]);
    expect(off[B]).toBeLessThan(P);
    sampleTs.forEach((ts, b) => {
      const got = sol.ts.slice(off[b], off[b + 1]);
      expect(got).toEqual(ts.slice(0, got.length));
    });
    sol.dispose();
    tf.dispose([y, a.p, a.k]);
  });

  it('rejects bad per-sample times with a message naming them', () => {
    expect(() => saveAt({ sampleTs: [[0, 1]], ts: [1] })).toThrow(/'sampleTs' combines with 'dense' only; drop 'ts'/);
    expect(() => saveAt({ sampleTs: [[1, 0.5, 2]] })).toThrow(/'sampleTs\[0\]' must be monotone/);
    expect(() => saveAt({ sampleTs: [[Number.NaN]] })).toThrow(/'sampleTs\[0\]\[0\]' is NaN/);
    const y = y0();
    const run = (lists: number[][]) =>
      diffeqsolve({
        term: lv,
        solver: tsit5(),
        t0: 0,
        t1: 4,
        dt0: 0.1,
        y0: y,
        args: args(),
        saveat: saveAt({ sampleTs: lists }),
      });
    expect(() => run([[1], [2]])).toThrow(/saveat.sampleTs has 2 lists but y0 has 5 samples/);
    expect(() => run([[1], [2], [5], [], []])).toThrow(/saveat.sampleTs\[2\]\[0\] = 5 is outside \[0, 4\]/);
    y.dispose();
  });

  it('leaks no tensors, forward and backward', async () => {
    const w = weights();
    const inputs = { y: y0(), ...args() };
    for (const [, setup] of [setups[0], setups[3]] as [string, Setup][]) {
      await expectNoLeak(() => {
        const { value, grads } = valueAndGrad((p: { y: tf.Tensor; p: tf.Tensor; k: tf.Tensor }) => {
          const { sol, ys } = solve(setup, p.y, { p: p.p, k: p.k }, true);
          const loss = tf.sum(tf.mul(w, tf.square(ys)));
          sol.dispose();
          return loss as tf.Scalar;
        })(inputs);
        tf.dispose([value, ...Object.values(grads)]);
      });
    }
    tf.dispose([w, inputs.y, inputs.p, inputs.k]);
  });
});

import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adam,
  applyUpdates,
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  huber,
  lbfgs,
  lbfgsAsync,
  mae,
  makeSchedule,
  mse,
  piecewiseConstant,
  prefixLength,
  SCHEDULES,
  warmupCosineDecay,
} from './index.js';

describe('schedules', () => {
  it('hit their values', () => {
    expect(constantSchedule(0.3)(12345)).toBe(0.3);
    const e = exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.1 });
    expect(e(0)).toBe(1);
    expect(e(10)).toBeCloseTo(0.1, 12);
    expect(e(5)).toBeCloseTo(Math.sqrt(0.1), 12);
    const st = exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.1, staircase: true, endValue: 0.05 });
    expect(st(9)).toBe(1);
    expect(st(15)).toBeCloseTo(0.1, 12);
    expect(st(40)).toBe(0.05);
    const begin = exponentialDecay({ initValue: 2, transitionSteps: 1, decayRate: 0.5, transitionBegin: 5 });
    expect(begin(5)).toBe(2);
    expect(begin(7)).toBe(0.5);
    const c = cosineDecay({ initValue: 1, decaySteps: 100, alpha: 0.1 });
    expect(c(0)).toBe(1);
    expect(c(50)).toBeCloseTo(0.55, 12);
    expect(c(100)).toBeCloseTo(0.1, 12);
    expect(c(1000)).toBeCloseTo(0.1, 12);
    const w = warmupCosineDecay({ initValue: 0.1, peakValue: 1, warmupSteps: 10, decaySteps: 30, endValue: 0.2 });
    expect(w(0)).toBe(0.1);
    expect(w(5)).toBeCloseTo(0.55, 12);
    expect(w(10)).toBe(1);
    expect(w(20)).toBeCloseTo(0.6, 12);
    expect(w(30)).toBeCloseTo(0.2, 12);
    const p = piecewiseConstant({ initValue: 1, boundariesAndScales: { 10: 0.5, 20: 0.1 } });
    expect([p(0), p(10), p(19), p(20)]).toEqual([1, 0.5, 0.5, 0.05]);
    expect(makeSchedule({ kind: 'piecewise', initValue: 2, boundariesAndScales: { 1: 0.5 } })(1)).toBe(1);
    expect(Object.isFrozen(SCHEDULES)).toBe(true);
    expect(() => makeSchedule({ kind: 'linear' } as never)).toThrow(
      /'kind' must be one of constant, exponential, cosine/,
    );
    expect(() => warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 5 })).toThrow(
      /must exceed 'warmupSteps'/,
    );
    expect(() => cosineDecay({ initValue: 1, decaySteps: 0 })).toThrow(/'decaySteps' must be an integer >= 1/);
  });
  it('drive an optimiser by step count', () => {
    const opt = adam({ learningRate: (count) => (count === 0 ? 1 : 0) });
    const p = { x: tf.tensor([0]) };
    const g = { x: tf.tensor([1]) };
    const [u1, s1] = opt.update(g, opt.init(p), p);
    const [u2, s2] = opt.update(g, s1, p);
    expect((u1 as typeof p).x.dataSync()[0]).toBeCloseTo(-1, 6);
    expect((u2 as typeof p).x.dataSync()[0]).toBe(-0);
    disposeTree([p, g, u1, s1, u2, s2]);
  });
  it('prefixLength follows Diffrax', () => {
    expect(prefixLength(100, 0.1)).toBe(10);
    expect(prefixLength(100, 0.01)).toBe(2);
    expect(prefixLength(100, 1)).toBe(100);
  });
});

describe('losses over trees', () => {
  it('mse, mae and huber with weights, masks and NaN as missing', () => {
    const pred = { a: tf.tensor([1, 2, 3]), b: tf.tensor([[0, 0]]) };
    const target = { a: tf.tensor([2, Number.NaN, 3]), b: tf.tensor([[1, -3]]) };
    expect(mse(pred, target).dataSync()[0]).toBeCloseTo((1 + 0 + 1 + 9) / 4, 6);
    expect(mae(pred, target).dataSync()[0]).toBeCloseTo((1 + 0 + 1 + 3) / 4, 6);
    expect(huber(pred, target, { delta: 1 }).dataSync()[0]).toBeCloseTo((0.5 + 0 + 0.5 + 2.5) / 4, 6);
    const weighted = mse(pred, target, { weights: { a: 1, b: tf.tensor([2, 0]) } });
    expect(weighted.dataSync()[0]).toBeCloseTo((1 + 0 + 2 * 1) / (2 + 2), 6);
    const maskedLoss = mse(pred, target, { mask: { a: tf.tensor([1, 1, 1]), b: tf.tensor([[0, 1]]) } });
    expect(maskedLoss.dataSync()[0]).toBeCloseTo((1 + 0 + 9) / 3, 6);
    expect(mse(tf.tensor([1, 2]), tf.tensor([1, 4]), { nanAsMissing: false }).dataSync()[0]).toBe(2);
    // gradients do not see the NaN
    const { grads } = valueAndGrad((p: { a: tf.Tensor }) => mse(p.a, target.a))({ a: pred.a });
    expect(Array.from(grads.a.dataSync())).toEqual([-1, 0, 0]);
    expect(() => huber(pred.a, target.a, { delta: 0 })).toThrow(/'delta' must be a positive number/);
    expect(() => mse({ a: pred.a }, { b: pred.a })).toThrow(/tree structure mismatch/);
  });
});

describe('lbfgs', () => {
  it('solves Rosenbrock from (-1.2, 1) in under 100 iterations', () => {
    const rosen = (p: { x: tf.Tensor }) =>
      tf.tidy(() => {
        const a = p.x.slice(0, 1);
        const b = p.x.slice(1, 1);
        return tf.sum(tf.add(tf.square(tf.sub(1, a)), tf.mul(100, tf.square(tf.sub(b, tf.square(a))))));
      }) as tf.Scalar;
    const before = tf.memory().numTensors;
    const x0 = { x: tf.tensor([-1.2, 1]) };
    const res = lbfgs({ params: x0, loss: rosen, gradTolerance: 1e-4, maxIterations: 100 });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeLessThan(100);
    expect(res.params.x).toBeAllclose([1, 1], { atol: 1e-3 });
    expect(Array.from(x0.x.dataSync())).toEqual([-1.2, 1].map(Math.fround));
    disposeTree([x0, res.params]);
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `lbfgs Rosenbrock: ${res.iterations} iterations, ${res.numEvaluations} evaluations, reason ${res.reason}`,
    );
  });
  it('fits the parameters of a small model faster than Adam', () => {
    const t = tf.linspace(0, 2, 30);
    const y = tf.tidy(() => tf.mul(2, tf.exp(tf.mul(-1.5, t))));
    const loss = (p: { a: tf.Tensor; k: tf.Tensor }) =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(tf.mul(p.a, tf.exp(tf.mul(tf.neg(p.k), t))), y)))) as tf.Scalar;
    const p0 = { a: tf.scalar(1), k: tf.scalar(1) };
    const res = lbfgs({ params: p0, loss, gradTolerance: 1e-6 });
    expect(res.params).toBeAllclose({ a: 2, k: 1.5 }, { rtol: 1e-3 });
    expect(res.iterations).toBeLessThan(40);
    expect(() => lbfgs({ params: p0, loss, c1: 0.95 })).toThrow(/need 0 < c1 < c2 < 1/);
    disposeTree([t, y, p0, res.params]);
    void applyUpdates;
  });
  it('never hands a non-finite trial point to a loss that checks its inputs (as a solve checks its initial state)', () => {
    // A NaN gradient beyond x = 2 (a model that breaks there); the loss, like diffeqsolve, throws a
    // plain error on a non-finite input. Whatever the line search makes of the NaN, the result and
    // every point handed to the loss are finite.
    let calls = 0;
    const loss = (p: { x: tf.Tensor }) => {
      calls++;
      if (!Array.from(p.x.dataSync()).every(Number.isFinite))
        throw new Error('loss: the value has NaN; pass finite values.');
      const beyond = (p.x.dataSync()[0] as number) >= 2;
      if (!beyond) return tf.tidy(() => tf.sum(tf.square(tf.sub(p.x, 3)))) as tf.Scalar;
      // beyond the wall the value is still finite, its gradient is not
      const broken = tf.customGrad(((x: tf.Tensor) => ({
        value: tf.sum(tf.square(tf.sub(x, 3))),
        gradFunc: (dy: tf.Tensor) => tf.mul(tf.onesLike(x), tf.mul(dy, Number.NaN)),
      })) as never);
      return broken(p.x) as tf.Scalar;
    };
    const x0 = { x: tf.tensor1d([0]) };
    const res = lbfgs({ params: x0, loss, maxIterations: 20 });
    const x = res.params.x.dataSync()[0] as number;
    expect(Number.isFinite(x)).toBe(true);
    expect(Number.isFinite(res.value) && res.value <= 9).toBe(true);
    expect(calls).toBeGreaterThan(1);
    disposeTree([x0, res.params]);
  });
  it('lbfgsAsync takes the same iterates as lbfgs, awaits onIteration, and stops on abort with the last iterate', async () => {
    const t = tf.linspace(0, 2, 30);
    const y = tf.tidy(() => tf.mul(2, tf.exp(tf.mul(-1.5, t))));
    const loss = (p: { a: tf.Tensor; k: tf.Tensor }) =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(tf.mul(p.a, tf.exp(tf.mul(tf.neg(p.k), t))), y)))) as tf.Scalar;
    const p0 = { a: tf.scalar(1), k: tf.scalar(1) };
    const before = tf.memory().numTensors;
    const syncValues: number[] = [];
    const plain = lbfgs({ params: p0, loss, gradTolerance: 1e-6, onIteration: (i) => void syncValues.push(i.value) });
    const asyncValues: number[] = [];
    let waited = 0;
    const same = await lbfgsAsync({
      params: p0,
      loss,
      gradTolerance: 1e-6,
      onIteration: async (i) => {
        await new Promise((r) => setTimeout(r, 0));
        waited++;
        asyncValues.push(i.value);
      },
    });
    expect(asyncValues).toEqual(syncValues);
    expect(waited).toBe(same.iterations);
    expect(same.reason).toBe(plain.reason);
    expect(Array.from(same.params.a.dataSync())).toEqual(Array.from(plain.params.a.dataSync()));
    // Stop after the third iteration: the third iterate comes back, not the start and not garbage.
    const stop = new AbortController();
    const third: number[] = [];
    const stopped = await lbfgsAsync({
      params: p0,
      loss,
      signal: stop.signal,
      onIteration: ({ iteration, value }) => {
        if (iteration === 3) {
          third.push(value);
          stop.abort();
        }
      },
    });
    expect(stopped.reason).toBe('aborted');
    expect(stopped.iterations).toBe(3);
    expect(stopped.value).toBe(third[0]);
    expect(stopped.value).toBe(syncValues[2]);
    disposeTree([plain.params, same.params, stopped.params]);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree([t, y, p0]);
  });
});

import { disposeTree } from '@odekit/core';
import { fit, lbfgsAsync } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { allOnes, applyScales, leafScales, magnitudeOf, scaleByMagnitude, stageAdam } from './parameter-scales.js';
import { DEFAULT_SETTINGS, resolveSettings } from './settings.js';

const value = (t: tf.Tensor) => t.dataSync()[0] as number;

describe('magnitudeOf', () => {
  it('is 1 from 0.2 to 5 (and for zero or what is not finite), else the nearest power of ten in log scale', () => {
    expect([0.2, -1, 4.9, 5, 0, Number.NaN, Number.POSITIVE_INFINITY].map(magnitudeOf)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect([5.1, -31, 32, 0.19, -0.0317, 0.0315, 0.004].map(magnitudeOf)).toEqual([10, 10, 100, 0.1, 0.1, 0.01, 0.01]);
  });
});

describe('leafScales and applyScales', () => {
  it("scales a scalar by the user's value of its name, else by its own value; other leaves by 1", () => {
    const tree = {
      physics: { beta: tf.scalar(0.9), NN_c0: tf.scalar(0.0243), gamma: tf.scalar(1) },
      initial: { r: tf.zeros([2]) },
    };
    // beta's user value 0.02 wins over its current 0.9; NN_c0 has no user value
    const scales = leafScales(tree, { beta: 0.02, gamma: 0.5 });
    expect(scales).toEqual({ physics: { beta: 0.01, NN_c0: 0.01, gamma: 1 }, initial: { r: 1 } });
    expect(allOnes(scales)).toBe(false);
    expect(allOnes(leafScales(tree, { beta: 1, NN_c0: 1 }))).toBe(true);
    const before = tf.memory().numTensors;
    const u = applyScales(tree, scales, 'div');
    const back = applyScales(u, scales, 'mul');
    expect(value(u.physics.beta)).toBeCloseTo(90, 4);
    expect(value(back.physics.NN_c0)).toBeCloseTo(0.0243, 7);
    disposeTree([u, back]);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree(tree);
  });
});

describe('Adam and L-BFGS in units of each parameter', () => {
  // (a/0.02 - 1)² + (b/50 - 1)²: a wants 0.02, b wants 50, each from 0.8 of it.
  const loss = (p: { a: tf.Scalar; b: tf.Scalar }) =>
    tf.tidy(() => tf.add(tf.square(tf.sub(tf.div(p.a, 0.02), 1)), tf.square(tf.sub(tf.div(p.b, 50), 1))));
  const start = () => ({ a: tf.scalar(0.016), b: tf.scalar(40) });

  it('Adam steps every parameter in units of its magnitude (plain Adam by the same amount for all)', async () => {
    // a linear loss: Adam's steps are lr each, whatever the gradient's size
    const down = (p: { a: tf.Scalar; b: tf.Scalar }) =>
      tf.tidy(() => tf.neg(tf.add(tf.div(p.a, 0.02), tf.div(p.b, 50))));
    const before = tf.memory().numTensors;
    const run = async (scaled: boolean) => {
      const p0 = start();
      const ctx = { settings: { ...DEFAULT_SETTINGS, parameterScales: scaled }, userValues: { a: 0.016, b: 40 } };
      const res = await fit({ params: p0, loss: (p) => down(p), optimizer: stageAdam(ctx, 1e-2), steps: 5 });
      const moved = { a: value(res.params.a) - 0.016, b: value(res.params.b) - 40 };
      disposeTree([p0, res.params]);
      return moved;
    };
    // five steps of 0.01 in units of 0.01 and of 100
    const scaled = await run(true);
    expect(scaled.a).toBeCloseTo(5e-4, 5);
    expect(scaled.b).toBeCloseTo(5, 3);
    // plain Adam: 0.05 for both (three times a's size, an eighth of a percent of b's)
    const plain = await run(false);
    expect(plain.a).toBeCloseTo(0.05, 4);
    expect(plain.b).toBeCloseTo(0.05, 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scaleByMagnitude keeps its scales in its state and frees what it makes', () => {
    const t = scaleByMagnitude({ a: 0.02 });
    const p = start();
    const state = t.init(p);
    expect(state.scales).toEqual({ a: 0.01, b: 100 });
    const g = { a: tf.scalar(1), b: tf.scalar(1) };
    const before = tf.memory().numTensors;
    const [u] = t.update(g, state, p);
    expect(value((u as typeof g).a)).toBeCloseTo(0.01, 8);
    expect(value((u as typeof g).b)).toBe(100);
    disposeTree(u);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree([p, g]);
  });

  it('L-BFGS converges on the badly scaled problem in its units', async () => {
    const p0 = start();
    const scales = leafScales(p0, {});
    const u0 = applyScales(p0, scales, 'div');
    const res = await lbfgsAsync({
      params: u0,
      loss: (q) => loss(applyScales(q, scales, 'mul')),
      maxIterations: 20,
    });
    const p = applyScales(res.params, scales, 'mul');
    expect(value(p.a)).toBeCloseTo(0.02, 5);
    expect(value(p.b)).toBeCloseTo(50, 2);
    disposeTree([p0, u0, res.params, p]);
  });
});

describe('the settings', () => {
  it('names lossScales or parameterScales when they are not true or false, in the model or as an override', () => {
    const spec = { states: ['x'], equations: { x: '-x' }, initial: { x: 'data' } } as never;
    const withSettings = (discovery: object) => ({ ...(spec as object), discovery }) as never;
    expect(() => resolveSettings(withSettings({ lossScales: 'yes' }))).toThrow(
      /model: 'discovery.lossScales' must be true or false, got "yes"/,
    );
    expect(() => resolveSettings(spec, { parameterScales: 1 as never })).toThrow(
      /setting 'parameterScales' must be true or false, got 1/,
    );
    expect(resolveSettings(spec)).toMatchObject({ lossScales: true, parameterScales: true });
  });
});

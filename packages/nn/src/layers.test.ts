import { disposeTree, mulberry32, treeMapWithPath, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, getActivation, linear, mlp, paramCount, uniformFanIn } from './index.js';

describe('activations', () => {
  it('match their definitions', () => {
    const xs = [-2, -0.5, 0, 0.7, 3];
    const x = tf.tensor(xs);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const erf = (v: number) => {
      // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
      const s = Math.sign(v);
      const a = Math.abs(v);
      const t = 1 / (1 + 0.3275911 * a);
      const y =
        1 -
        ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
          t *
          Math.exp(-a * a);
      return s * y;
    };
    const expected: Record<string, (v: number) => number> = {
      identity: (v) => v,
      relu: (v) => Math.max(v, 0),
      tanh: Math.tanh,
      sigmoid: sig,
      softplus: (v) => Math.log1p(Math.exp(v)),
      silu: (v) => v * sig(v),
      gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      elu: (v) => (v > 0 ? v : Math.expm1(v)),
      sin: Math.sin,
      gaussian: (v) => Math.exp(-v * v),
    };
    expect(Object.keys(ACTIVATIONS).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, f] of Object.entries(expected)) {
      const y = getActivation(name as keyof typeof ACTIVATIONS)(x);
      expect(y, name).toBeAllclose(xs.map(f), { rtol: 1e-5, atol: 1e-6 });
      if (y !== x) y.dispose();
    }
    x.dispose();
    expect(Object.isFrozen(ACTIVATIONS)).toBe(true);
    expect(() => getActivation('swish' as 'relu')).toThrow(/'activation' must be one of identity, relu/);
  });
});

describe('linear and mlp', () => {
  it('initialise U(±1/sqrt(fanIn)) from a given source, weight row-major then bias', () => {
    const src = mulberry32(5679);
    const layer = linear({ inSize: 4, outSize: 3, random: mulberry32(5679) });
    const expectW = Array.from({ length: 12 }, () => -0.5 + src());
    const expectB = Array.from({ length: 3 }, () => -0.5 + src());
    expect(layer.params.weight).toBeAllclose([expectW.slice(0, 4), expectW.slice(4, 8), expectW.slice(8, 12)], {
      atol: 1e-7,
    });
    expect(layer.params.bias).toBeAllclose(expectB, { atol: 1e-7 });
    disposeTree(layer.params);
  });
  it('apply works on any leading axes and equals x Wᵀ + b', () => {
    const layer = linear({ inSize: 2, outSize: 3, seed: 4 });
    const x = tf.tensor([
      [1, 2],
      [3, -1],
    ]);
    const y = layer.apply(layer.params, x);
    const w = layer.params.weight.arraySync();
    const b = (layer.params.bias as tf.Tensor).arraySync() as number[];
    const ref = [
      [1, 2],
      [3, -1],
    ].map((row) =>
      w.map(
        (wr, i) => (wr[0] as number) * (row[0] as number) + (wr[1] as number) * (row[1] as number) + (b[i] as number),
      ),
    );
    expect(y).toBeAllclose(ref, { rtol: 1e-6 });
    const y1 = layer.apply(layer.params, tf.tensor([1, 2]));
    expect(y1.shape).toEqual([3]);
    expect(y1).toBeAllclose(ref[0], { rtol: 1e-6 });
    const y3 = layer.apply(layer.params, tf.ones([2, 5, 2]));
    expect(y3.shape).toEqual([2, 5, 3]);
    expect(() => layer.apply(layer.params, tf.ones([3]))).toThrow(/'x' must have last axis 2/);
    disposeTree([layer.params, x, y, y1, y3]);
  });
  it('mlp has depth+1 layers with Equinox paths, counts parameters, and scales its init', () => {
    const net = mlp({ inSize: 2, outSize: 2, widthSize: 64, depth: 2, activation: 'softplus', seed: 1 });
    const paths: string[] = [];
    treeMapWithPath<tf.Tensor, number>((p) => paths.push(p), net.params);
    expect(paths).toEqual([
      'layers.0.bias',
      'layers.0.weight',
      'layers.1.bias',
      'layers.1.weight',
      'layers.2.bias',
      'layers.2.weight',
    ]);
    expect(paramCount(net.params)).toBe(2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(net.apply(net.params, tf.ones([7, 3, 2])).shape).toEqual([7, 3, 2]);
    const small = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1, initScale: 1e-3, activation: 'tanh' });
    const maxAbs = Math.max(...tf.abs(small.params.layers[0]?.weight as tf.Tensor).dataSync());
    expect(maxAbs).toBeLessThanOrEqual(1e-3 / Math.SQRT2);
    const noBias = mlp({ inSize: 1, outSize: 1, widthSize: 3, depth: 1, useBias: false, useFinalBias: false });
    expect(paramCount(noBias.params)).toBe(6);
    expect(() => mlp({ inSize: 0, outSize: 1, widthSize: 1, depth: 0 })).toThrow(/'inSize' must be an integer >= 1/);
    expect(() => mlp({ inSize: 1, outSize: 1, widthSize: 1, depth: 1, activation: 'nope' as 'relu' })).toThrow(
      /'activation' must be one of/,
    );
    disposeTree([net.params, small.params, noBias.params]);
  });
  it('is deterministic per seed and differentiable without leaks', async () => {
    const a = mlp({ inSize: 2, outSize: 1, widthSize: 8, depth: 2, activation: 'gelu', seed: 3 });
    const b = mlp({ inSize: 2, outSize: 1, widthSize: 8, depth: 2, activation: 'gelu', seed: 3 });
    const c = mlp({ inSize: 2, outSize: 1, widthSize: 8, depth: 2, activation: 'gelu', seed: 4 });
    expect(a.params).toBeAllclose(b.params, { rtol: 0, atol: 0 });
    expect(Array.from(a.params.layers[0]?.weight.dataSync() ?? [])).not.toEqual(
      Array.from(c.params.layers[0]?.weight.dataSync() ?? []),
    );
    const x = tf.randomUniform([16, 2]);
    await expectNoLeak(() => {
      const { value, grads } = valueAndGrad((p: typeof a.params) => tf.mean(tf.square(a.apply(p, x))))(a.params);
      // finite-difference check on one weight
      const h = 1e-2;
      const w = a.params.layers[0]?.weight as tf.Tensor;
      const bumped = {
        layers: a.params.layers.map((l, i) =>
          i === 0
            ? { ...l, weight: tf.tidy(() => w.add(tf.oneHot([0], 16).reshape([8, 2]).mul(h))) as tf.Tensor2D }
            : l,
        ),
      };
      const lossAt = (p: typeof a.params) => tf.tidy(() => tf.mean(tf.square(a.apply(p, x))).dataSync()[0] as number);
      const fd = (lossAt(bumped) - (value.dataSync()[0] as number)) / h;
      expect(grads.layers[0]?.weight.dataSync()[0]).toBeCloseTo(fd, 2);
      disposeTree([value, grads, bumped.layers[0]?.weight]);
    });
    expect(() => uniformFanIn([2], 0, Math.random)).toThrow(/'fanIn' must be a positive integer/);
    disposeTree([a.params, b.params, c.params, x]);
  });
});

import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disposeTree, hostImplementationOf, mulberry32, treeFlatten, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ActivationName } from './activations.js';
import { canFuse, FUSED_ACTIVATION_CODES, fusedMlpSupported } from './fused-mlp/index.js';
import { type MlpParams, mlp } from './index.js';

const FUSABLE = Object.keys(FUSED_ACTIVATION_CODES) as ActivationName[];

/** A pair of MLPs with the same parameters, one fused, one on tfjs ops. */
function pair(options: Parameters<typeof mlp>[0]) {
  const fused = mlp({ ...options, fused: true });
  const plain = mlp({ ...options, fused: false });
  disposeTree(plain.params);
  return { fused, plain, params: fused.params };
}

function randomInput(shape: number[], seed: number, scale = 2): tf.Tensor {
  const u = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, () => scale * (2 * u() - 1)),
    shape,
  );
}

/** float64 references of the fused activations. */
const REFERENCE: Record<string, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(x, 0),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

describe('fused MLP kernels', () => {
  it('the committed module is what assembly/fused-mlp.ts compiles to', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    expect(() =>
      execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('load in Node (WebAssembly with SIMD)', () => {
    expect(fusedMlpSupported()).toBe(true);
  });

  it.each(FUSABLE)('compute %s within 4e-7 relative of the float64 reference, NaN giving NaN', (name) => {
    // one 1→1 layer with weight 1 and bias 0: apply is the activation itself
    const net = mlp({ inSize: 1, outSize: 1, widthSize: 1, depth: 0, finalActivation: name });
    disposeTree(net.params);
    const params: MlpParams = { layers: [{ weight: tf.tensor2d([[1]]), bias: tf.tensor1d([0]) }] };
    const xs: number[] = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 0.5, -0.5, 3, -3, 9.5, -9.5, 20, -20, 80, -80];
    for (let i = 0; i < 4000; i++) xs.push(Math.fround(40 * Math.sinh(4 * Math.sin(1.7 * i))) / 10);
    const x = tf.tensor2d(xs, [xs.length, 1]);
    expect(canFuse(params.layers, [FUSED_ACTIVATION_CODES[name] as number], x)).toBe(true);
    const got = net.apply(params, x).dataSync();
    let worst = 0;
    xs.forEach((v, i) => {
      const want = Math.fround((REFERENCE[name] as (x: number) => number)(Math.fround(v)));
      const err = Math.abs((got[i] as number) - want);
      // relative, with an absolute floor far below float32's smallest normal step that matters
      worst = Math.max(worst, err / Math.max(Math.abs(want), 1e-30));
    });
    expect(worst).toBeLessThan(4e-7);
    const nan = net.apply(params, tf.tensor2d([Number.NaN, 1], [2, 1])).dataSync();
    expect(Number.isNaN(nan[0])).toBe(true);
    expect(Number.isFinite(nan[1])).toBe(true);
    tf.dispose([x, params.layers[0]?.weight, params.layers[0]?.bias]);
  });

  const shapes = [
    { inSize: 2, outSize: 2, widthSize: 64, depth: 2, rows: [32] },
    { inSize: 3, outSize: 1, widthSize: 5, depth: 1, rows: [7] },
    { inSize: 1, outSize: 3, widthSize: 13, depth: 3, rows: [1] },
    { inSize: 6, outSize: 4, widthSize: 4, depth: 0, rows: [2, 5] },
    { inSize: 2, outSize: 2, widthSize: 9, depth: 2, rows: [3, 4, 2] },
  ];

  it.each(
    shapes.flatMap((s, i) => [
      { ...s, activation: FUSABLE[i % FUSABLE.length] as ActivationName, useBias: true, useFinalBias: true },
      {
        ...s,
        activation: FUSABLE[(i + 2) % FUSABLE.length] as ActivationName,
        useBias: false,
        useFinalBias: i % 2 === 0,
      },
    ]),
  )(
    'agree with tfjs ops in value and gradient: $inSize→$widthSize×$depth→$outSize, $activation, rows $rows, bias $useBias/$useFinalBias',
    (s) => {
      const finalActivation = s.activation === 'relu' ? 'tanh' : 'identity';
      const { fused, plain, params } = pair({ ...s, finalActivation, seed: 3 });
      const x = randomInput([...s.rows, s.inSize], 11);
      const w = randomInput([...s.rows, s.outSize], 12, 1);
      const loss = (net: typeof fused) => (p: { params: MlpParams; x: tf.Tensor }) =>
        tf.sum(tf.mul(net.apply(p.params, p.x), w));
      const a = valueAndGrad(loss(fused))({ params, x });
      const b = valueAndGrad(loss(plain))({ params, x });
      expect(fused.apply(params, x).shape).toEqual([...s.rows, s.outSize]);
      expect(tf.tidy(() => fused.apply(params, x).arraySync())).toBeAllclose(
        tf.tidy(() => plain.apply(params, x).arraySync()),
        { rtol: 1e-5, atol: 1e-6 },
      );
      expect(a.value.arraySync()).toBeAllclose(b.value.arraySync(), { rtol: 1e-5, atol: 1e-5 });
      expect(a.grads).toBeAllclose(b.grads, { rtol: 1e-4, atol: 1e-5 });
      disposeTree([a, b, params, x, w] as never);
    },
  );

  it('pick up new parameter values (no stale weights) and any row count after a large call', () => {
    const { fused, plain, params } = pair({
      inSize: 2,
      outSize: 2,
      widthSize: 16,
      depth: 2,
      activation: 'softplus',
      seed: 1,
    });
    const other = mlp({ inSize: 2, outSize: 2, widthSize: 16, depth: 2, activation: 'softplus', seed: 2 }).params;
    for (const [p, rows] of [
      [params, 4],
      [other, 4],
      [params, 20000],
      [other, 3],
    ] as const) {
      const x = randomInput([rows, 2], rows);
      const got = tf.tidy(() => fused.apply(p, x).arraySync());
      const want = tf.tidy(() => plain.apply(p, x).arraySync());
      expect(got).toBeAllclose(want, { rtol: 1e-5, atol: 1e-6 });
      x.dispose();
    }
    disposeTree([params, other]);
  });

  it('give second derivatives through tfjs ops (a gradient of the gradient), matching central differences', () => {
    const { fused, params } = pair({ inSize: 1, outSize: 1, widthSize: 8, depth: 1, activation: 'tanh', seed: 5 });
    const xs = [0.3, -0.7, 1.1];
    const dfdx = tf.grad((z: tf.Tensor) => tf.sum(fused.apply(params, z)));
    const first = (v: number[]) => tf.tidy(() => Array.from(dfdx(tf.tensor2d(v, [v.length, 1])).dataSync()));
    const got = tf.tidy(() =>
      Array.from(
        tf
          .grad((z: tf.Tensor) => tf.sum(dfdx(z)))(tf.tensor2d(xs, [3, 1]))
          .dataSync(),
      ),
    );
    const h = 1e-2;
    const up = first(xs.map((v) => v + h));
    const down = first(xs.map((v) => v - h));
    const want = xs.map((_, i) => ((up[i] as number) - (down[i] as number)) / (2 * h));
    expect(got).toBeAllclose(want, { rtol: 2e-3, atol: 1e-4 });
    expect(Math.max(...got.map(Math.abs))).toBeGreaterThan(1e-2);
    disposeTree(params);
  });

  it('fall back to tfjs ops for other activations, fused: false, int32 input and wrong shapes', () => {
    const gelu = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1, activation: 'gelu', seed: 0 });
    expect(canFuse(gelu.params.layers, [0, 0], tf.zeros([3, 2]))).toBe(true); // shapes alone would fuse
    const y = gelu.apply(gelu.params, tf.ones([3, 2]));
    expect(y.shape).toEqual([3, 1]);
    const net = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1, activation: 'tanh', seed: 0 });
    expect(canFuse(net.params.layers, [2, 0], tf.zeros([3, 2], 'int32'))).toBe(false);
    expect(canFuse(net.params.layers, [2, 0], tf.zeros([3, 5]))).toBe(false);
    expect(() => net.apply(net.params, tf.zeros([3, 5]))).toThrow(/last axis 2/);
    disposeTree([gelu.params, net.params, y]);
  });

  it('leak no tensors through apply and its gradient, with and without a tape', () => {
    const { fused, params } = pair({ inSize: 2, outSize: 2, widthSize: 8, depth: 2, activation: 'softplus', seed: 4 });
    const x = randomInput([5, 2], 7);
    const before = tf.memory().numTensors;
    fused.apply(params, x).dispose();
    tf.tidy(() => {
      fused.apply(params, x);
    });
    const g = valueAndGrad((p: MlpParams) => tf.sum(fused.apply(p, x)))(params);
    disposeTree(g as never);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree([params, x]);
  });
});

describe("an MLP's vector field on host arrays (its host implementation)", () => {
  const open = (net: ReturnType<typeof mlp>, params: MlpParams, rows: number) => {
    const kernels = hostImplementationOf(net.vectorField);
    if (kernels === undefined) throw new Error('no host implementation');
    const session = kernels.open(params, [rows, 2], treeFlatten<tf.Tensor>(params).leaves);
    if (session === undefined) throw new Error('open declined');
    return session;
  };
  // references by tfjs ops (fused: false), independent of the module's state
  const reference = (fusedNet: ReturnType<typeof mlp>, params: MlpParams, y: number[], ct: number[]) => {
    const net = mlp({
      inSize: fusedNet.inSize,
      outSize: fusedNet.outSize,
      widthSize: 12,
      depth: 2,
      activation: 'softplus',
      fused: false,
    });
    disposeTree(net.params);
    const x = tf.tensor2d(y, [y.length / 2, 2]);
    const { value, grads } = valueAndGrad((p: { params: MlpParams; x: tf.Tensor }) =>
      tf.sum(tf.mul(net.apply(p.params, p.x), tf.tensor2d(ct, [ct.length / 2, 2]))),
    )({ params, x });
    const f = Array.from(net.apply(params, x).dataSync());
    const out = {
      f,
      dx: Array.from(grads.x.dataSync()),
      dp: treeFlatten<tf.Tensor>(grads.params).leaves.map((g) => Array.from(g.dataSync())),
    };
    disposeTree([x, value, grads] as never);
    return out;
  };
  const y = Array.from({ length: 10 }, (_, i) => Math.sin(1.3 * i));
  const ct = Array.from({ length: 10 }, (_, i) => Math.cos(0.7 * i));

  it('evaluate and vjp equal the tensor op, for each set of weights, whatever ran in between', () => {
    const net = mlp({ inSize: 2, outSize: 2, widthSize: 12, depth: 2, activation: 'softplus', seed: 1 });
    const other = mlp({ inSize: 2, outSize: 2, widthSize: 12, depth: 2, activation: 'softplus', seed: 2 });
    const check = (params: MlpParams, between: () => void) => {
      const want = reference(net, params, y, ct);
      const session = open(net, params, 5);
      expect(Array.from(session.evaluate(0, y))).toBeAllclose(want.f, { rtol: 1e-5, atol: 1e-6 });
      between();
      const leaves = treeFlatten<tf.Tensor>(params).leaves;
      const argGrads = leaves.map((t) => new Float64Array(t.size));
      let value: number[] = [];
      const dx = session.vjp(0, y, ct, argGrads, (f) => {
        value = Array.from(f);
      });
      expect(value).toBeAllclose(want.f, { rtol: 1e-5, atol: 1e-6 });
      expect(Array.from(dx)).toBeAllclose(want.dx, { rtol: 1e-4, atol: 1e-6 });
      expect(argGrads.map((g) => Array.from(g))).toBeAllclose(want.dp, { rtol: 1e-4, atol: 1e-6 });
    };
    check(net.params, () => {});
    // another set of weights evaluated at the same point in between
    check(net.params, () => {
      const between = Array.from(open(net, other.params, 5).evaluate(0, y));
      expect(between).toBeAllclose(reference(net, other.params, y, ct).f, { rtol: 1e-5, atol: 1e-6 });
    });
    check(other.params, () => {});
    // equal weights as other tensors (what the wasm backend's clones are) in between
    const copies = {
      layers: net.params.layers.map((l) => ({
        weight: tf.tensor(l.weight.dataSync(), l.weight.shape) as tf.Tensor2D,
        bias: tf.tensor(l.bias?.dataSync() ?? [], l.bias?.shape) as tf.Tensor1D,
      })),
    };
    check(net.params, () =>
      open(net, copies, 5).evaluate(
        0,
        y.map((v) => v + 1),
      ),
    );
    check(copies, () => open(net, net.params, 5).evaluate(0, y));
    disposeTree(copies);
    // the tensor op (same memory) in between, at another point
    check(net.params, () =>
      tf.dispose(net.apply(net.params, tf.tensor2d([0.3, -0.2, 1, 2, 3, 4, 5, 6, 7, 8], [5, 2]))),
    );
    disposeTree([net.params, other.params]);
  });

  it('vjpDeferred keeps the args sums until flushArgGrads, through a cache dropped in between', () => {
    const net = mlp({ inSize: 2, outSize: 2, widthSize: 12, depth: 2, activation: 'softplus', seed: 3 });
    const leaves = treeFlatten<tf.Tensor>(net.params).leaves;
    const y2 = y.map((v) => 0.5 * v + 0.1);
    const want = leaves.map((t) => new Float64Array(t.size));
    const eager = open(net, net.params, 5);
    const dx1 = Array.from(eager.vjp(0, y, ct, want));
    eager.vjp(0, y2, ct, want);
    const session = open(net, net.params, 5);
    const got = leaves.map((t) => new Float64Array(t.size));
    expect(Array.from(session.vjpDeferred?.(0, y, ct) ?? [])).toBeAllclose(dx1, { rtol: 1e-6 });
    expect(got.every((g) => g.every((v) => v === 0))).toBe(true); // nothing added yet
    // the tensor op reuses the memory: the kept sums must survive
    tf.dispose(net.apply(net.params, tf.ones([7, 2])));
    session.vjpDeferred?.(0, y2, ct);
    session.flushArgGrads?.(got);
    expect(got.map((g) => Array.from(g))).toBeAllclose(
      want.map((g) => Array.from(g)),
      { rtol: 1e-6, atol: 1e-9 },
    );
    // a second flush adds nothing
    session.flushArgGrads?.(got);
    expect(got.map((g) => Array.from(g))).toBeAllclose(
      want.map((g) => Array.from(g)),
      { rtol: 1e-6, atol: 1e-9 },
    );
    disposeTree(net.params);
  });

  it('decline what the kernels cannot take: outSize ≠ state width, a wrong tree, the tensor field stays usable', () => {
    const wide = mlp({ inSize: 2, outSize: 3, widthSize: 4, depth: 1, activation: 'tanh', seed: 0 });
    const kernels = hostImplementationOf(wide.vectorField);
    expect(kernels?.open(wide.params, [4, 2], [])).toBeUndefined();
    expect(kernels?.open({ notLayers: [] }, [4, 2], [])).toBeUndefined();
    expect(kernels?.open(wide.params, [4, 5], [])).toBeUndefined();
    disposeTree(wide.params);
  });
});

describe('fused MLP where synchronous compiles are refused (a browser main thread)', () => {
  it('compiles asynchronously; until then tfjs ops serve, after it the kernels', async () => {
    const original = WebAssembly.Module;
    vi.resetModules();
    (WebAssembly as { Module: unknown }).Module = function refuse() {
      throw new RangeError('WebAssembly.Module(): buffer over 4 KB on the main thread; use WebAssembly.compile');
    };
    try {
      const fresh = await import('./fused-mlp/index.js');
      const freshMlp = await import('./mlp.js');
      expect(fresh.fusedMlpSupported()).toBe(false);
      const net = freshMlp.mlp({ inSize: 2, outSize: 2, widthSize: 8, depth: 1, activation: 'softplus', seed: 1 });
      const x = tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]);
      const before = net.apply(net.params, x);
      expect(await fresh.fusedMlpReady()).toBe(true);
      expect(fresh.fusedMlpSupported()).toBe(true);
      expect(fresh.canFuse(net.params.layers, [4, 0], x)).toBe(true);
      const after = net.apply(net.params, x);
      expect(after.arraySync()).toBeAllclose(before.arraySync(), { rtol: 1e-5, atol: 1e-6 });
      disposeTree([net.params, x, before, after]);
    } finally {
      (WebAssembly as { Module: unknown }).Module = original;
      vi.resetModules();
    }
  });
});

describe('fused MLP on the wasm backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  it('agrees with tfjs ops in value and gradient', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const { fused, plain, params } = pair({
      inSize: 2,
      outSize: 2,
      widthSize: 64,
      depth: 2,
      activation: 'softplus',
      seed: 9,
    });
    const x = randomInput([32, 2], 3);
    expect(canFuse(params.layers, [4, 4, 0], x)).toBe(true);
    const loss = (net: typeof fused) => (p: MlpParams) => tf.sum(tf.square(net.apply(p, x)));
    const a = valueAndGrad(loss(fused))(params);
    const b = valueAndGrad(loss(plain))(params);
    expect(a.value.arraySync()).toBeAllclose(b.value.arraySync(), { rtol: 1e-5 });
    expect(a.grads).toBeAllclose(b.grads, { rtol: 1e-4, atol: 1e-6 });
    disposeTree([a, b, params, x] as never);
  });
});

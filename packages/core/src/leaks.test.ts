import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';

const {
  cloneTree,
  createRng,
  customGrad,
  engineGradients,
  disposeTree,
  grad,
  tidyTree,
  treeAdd,
  treeAxpy,
  treeCast,
  treeDot,
  treeNorm,
  treeScale,
  treeSub,
  treeZerosLike,
  valueAndGrad,
  vjp,
  withSavedTape,
} = core;

type Case = () => unknown;

/** One leak check per exported function that makes tensors: run it, dispose what it returns. */
const MAKES_TENSORS: Record<string, (x: { a: tf.Tensor; b: tf.Tensor }) => Case> = {
  treeAdd: (x) => () => treeAdd(x, x),
  treeSub: (x) => () => treeSub(x, x),
  treeScale: (x) => () => treeScale(x, 2),
  treeAxpy: (x) => () => treeAxpy(0.5, x, x),
  treeDot: (x) => () => treeDot(x, x),
  treeNorm: (x) => () => treeNorm(x),
  treeZerosLike: (x) => () => treeZerosLike(x),
  treeCast: (x) => () => treeCast(x, 'int32'),
  valueAndGrad: (x) => () => valueAndGrad((p: typeof x) => tf.sum(tf.mul(tf.tanh(p.a), p.b)))(x),
  grad: (x) => () => grad((p: typeof x) => tf.sum(tf.mul(tf.exp(p.a), p.b)))(x),
  vjp: (x) => () => {
    const { out, vjp: back } = vjp((p: typeof x) => ({ y: tf.sin(tf.mul(p.a, p.b)) }), x);
    const ct = { y: tf.onesLike(out.y) };
    const g = back(ct);
    return [out, ct, g];
  },
  customGrad: (x) => () => {
    const f = customGrad((p: typeof x) => ({
      value: [tf.mul(p.a, p.b), tf.sum(p.a)],
      gradFunc: (dy: tf.Tensor[]) => ({
        a: tf.add(tf.mul(dy[0] as tf.Tensor, p.b), dy[1] as tf.Tensor),
        b: tf.mul(dy[0] as tf.Tensor, p.a),
      }),
    }));
    const direct = f(x);
    const vg = valueAndGrad((p: typeof x) => {
      const [u, v] = f(p) as tf.Tensor[];
      return tf.add(tf.sum(tf.square(u as tf.Tensor)), v as tf.Tensor);
    })(x);
    return [direct, vg];
  },
  engineGradients: (x) => () => {
    const dy = tf.onesLike(x.a);
    const { value, grads } = engineGradients(() => tf.mul(tf.tanh(x.a), x.b), [x.a, x.b], dy);
    return [dy, value, grads];
  },
  withSavedTape: (x) => () => withSavedTape(() => tf.grad((t: tf.Tensor) => tf.sum(tf.square(t)))(x.a)),
  tidyTree: (x) => () => tidyTree(() => ({ s: tf.add(tf.mul(x.a, 2), 1), list: [tf.neg(x.b)] })),
  cloneTree: (x) => () => cloneTree(x),
  paramsFromJSON: (x) => () => core.paramsFromJSON(core.paramsToJSON(x), x),
  paramsFromBinary: (x) => () => core.paramsFromBinary(core.paramsToBinary(x), x),
  createRng: () => () => {
    const r = createRng(0);
    const [child] = r.split(1);
    return [r.uniform([3, 2]), r.normal([4], 1, 2), child?.uniform([2])];
  },
};

/** Exports that make no tensors (types are erased and not listed). */
const MAKES_NO_TENSORS = [
  'assertFinite',
  'disposeTree',
  'keepTree',
  'isPlainObject',
  'mulberry32',
  'silenceTfjs',
  'useBackend',
  'installFastCpuKernels',
  'uninstallFastCpuKernels',
  'fastCpuKernelsInstalled',
  'HOST_IMPLEMENTATION',
  'hostImplementationOf',
  'withHostImplementation',
  // compileField returns a function; its sessions' tracing is leak-tested in compile-field.test.ts
  'compileField',
  'isTracingField',
  'setHostWasmEnabled',
  'TreeDef',
  'treeFlatten',
  'treeUnflatten',
  'treeLeaves',
  'treeMap',
  'treeMapWithPath',
  'treeStructureEquals',
  // serialisation to plain data (the tensors they read are the caller's)
  'paramsToJSON',
  'paramsToBinary',
  'PARAMS_FORMAT',
  // numbers to numbers
  'portablePow',
  'portableTanh',
];

describe('leak tests for every exported core function that makes tensors', () => {
  it('classifies every export (a new export must be added to one of the lists)', () => {
    expect(Object.keys(core).sort()).toEqual([...Object.keys(MAKES_TENSORS), ...MAKES_NO_TENSORS].sort());
  });

  it.each(Object.keys(MAKES_TENSORS))('%s leaks nothing', async (name) => {
    const x = {
      a: tf.tensor2d([
        [0.1, -0.2],
        [0.3, 0.4],
      ]),
      b: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    };
    const run = (MAKES_TENSORS[name] as (x: { a: tf.Tensor; b: tf.Tensor }) => Case)(x);
    await expectNoLeak(() => {
      const out = run();
      expect(core.treeLeaves<unknown>(out as never).some((l) => l instanceof tf.Tensor)).toBe(true);
      disposeTree(out as never);
    }, name);
    // a second run too (first calls may cache kernels or constants)
    await expectNoLeak(() => disposeTree(run() as never), name);
    expect(x.a.isDisposed || x.b.isDisposed).toBe(false);
    disposeTree(x);
  });

  it('memory helpers and tree utilities over tensors make nothing extra', async () => {
    const x = { a: tf.ones([2]) };
    await expectNoLeak(() => {
      core.assertFinite(x, 'x');
      core.keepTree(x);
      core.treeMap((t: tf.Tensor) => t, x);
      core.treeFlatten(x);
    });
    disposeTree(x);
  });
});

import '@tensorflow/tfjs-backend-wasm';
import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { KERNEL_ATTRIBUTES } from '../compile-field/index.js';
import {
  backendReadSync,
  cpuFloat32Result,
  cpuFloat32Values,
  cpuInt32Values,
  dataIdentity,
  gradientIsRecording,
  isolatedGradients,
  type KernelParams,
  madeAfter,
  tapeGradients,
  tapeIsRecording,
  tensorId,
  withKernelHooks,
  withSavedTape,
} from './index.js';

// Every assumption `tfjs-internals.ts` (and the compileField lowering) makes about tfjs's private
// state, pinned against the installed tfjs. When one fails after a tfjs upgrade, fix the internal
// module (and README.md next to it) before widening the peer range.

const state = () => (tf.engine() as unknown as { state: Record<string, unknown> }).state;

/** The kernels (and custom ops) `f` runs, with what runKernelFunc was given. */
function recordKernels(f: () => unknown): { calls: KernelParams[]; reads: string[] } {
  const calls: KernelParams[] = [];
  const reads: string[] = [];
  tf.tidy(() => {
    withKernelHooks(
      {
        kernel(params, run) {
          calls.push({ ...params, inputs: { ...params.inputs }, attrs: { ...(params.attrs ?? {}) } });
          return run(params);
        },
        read(kind) {
          reads.push(kind);
        },
      },
      () => {
        f();
      },
    );
  });
  return { calls, reads };
}

describe('the tfjs version odekit is tested with', () => {
  it('is 4.22.x, and every package asks for ~4.22.0', () => {
    expect(tf.version_core).toMatch(/^4\.22\./);
    const root = new URL('../../../', import.meta.url);
    for (const dir of readdirSync(root)) {
      const pkg = JSON.parse(readFileSync(new URL(`${dir}/package.json`, root), 'utf8'));
      const range = pkg.peerDependencies?.['@tensorflow/tfjs-core'];
      if (range !== undefined) expect([dir, range]).toEqual([dir, '~4.22.0']);
    }
  });
});

describe("the engine's tape state", () => {
  it('has gradientDepth, kernelDepth and activeTape, which say when ops are recorded', () => {
    expect(state().gradientDepth).toBe(0);
    expect(state().kernelDepth).toBe(0);
    expect(Array.isArray(state().activeTape)).toBe(false);
    expect(tapeIsRecording()).toBe(false);
    expect(gradientIsRecording()).toBe(false);
    const seen: boolean[][] = [];
    const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      // a customGrad forward runs inside a kernel: tfjs records nothing there itself
      seen.push([tapeIsRecording(), gradientIsRecording()]);
      save([x]);
      return { value: x.mul(2), gradFunc: (dy: tf.Tensor) => dy.mul(2) };
    }) as never) as (x: tf.Tensor) => tf.Tensor;
    tf.tidy(() =>
      tf.grad((x: tf.Tensor) => {
        seen.push([tapeIsRecording(), gradientIsRecording(), Array.isArray(state().activeTape)]);
        return op(x as tf.Tensor).sum();
      })(tf.ones([2])),
    );
    expect(seen).toEqual([
      [true, true, true],
      [false, true],
    ]);
  });

  it('is nulled by gradients taken inside a gradient function, unless withSavedTape keeps it', () => {
    const run = (keep: boolean) => {
      const inner = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
        save([x]);
        return {
          value: x.square(),
          gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => {
            const g = () => tf.grad((z: tf.Tensor) => z.square().sum())(xs as tf.Tensor);
            return dy.mul(keep ? withSavedTape(g) : g());
          },
        };
      }) as never) as (x: tf.Tensor) => tf.Tensor;
      return tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => (inner(x as tf.Tensor) as tf.Tensor).mul(x).sum())(tf.ones([2]))
          .arraySync(),
      );
    };
    expect(() => run(false)).toThrow(/null/);
    state().activeTape = null; // what the failed pass left behind
    state().gradientDepth = 0;
    expect(run(true)).toEqual([3, 3]);
  });

  it('tapeGradients frees the tape of a function that throws; isolatedGradients leaves an outer tape alone', () => {
    const x = tf.tensor1d([1, 2]);
    const before = tf.memory().numTensors;
    expect(() =>
      tapeGradients(() => {
        x.square().exp();
        throw new Error('boom');
      }, [x]),
    ).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    const g = tf.tidy(() =>
      tf
        .grad((z: tf.Tensor) => {
          const { value, grads } = isolatedGradients(() => z.square().sum(), [z as tf.Tensor]);
          expect(tapeIsRecording()).toBe(true);
          tf.dispose([value, ...grads.filter((v) => v !== undefined)]);
          return z.mul(3).sum();
        })(x)
        .arraySync(),
    );
    expect(g).toEqual([3, 3]);
    // inside a customGrad forward (kernelDepth > 0) the engine records nothing by itself
    const inKernel: number[][] = [];
    const op = tf.customGrad(((z: tf.Tensor) => {
      const { value, grads } = isolatedGradients(() => z.square().sum(), [z]);
      inKernel.push(Array.from(grads[0]?.dataSync() ?? []));
      tf.dispose([value, ...grads.filter((v) => v !== undefined)]);
      return { value: z.neg(), gradFunc: (dy: tf.Tensor) => dy.neg() };
    }) as never) as (z: tf.Tensor) => tf.Tensor;
    tf.tidy(() => tf.grad((z: tf.Tensor) => op(z).sum())(x));
    expect(inKernel).toEqual([[2, 4]]);
    x.dispose();
  });
});

describe('kernel interception', () => {
  it('sees every kernel with its registry name, named inputs and attrs, and every value read', () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const { calls, reads } = recordKernels(() => {
      const s = tf.add(a, tf.scalar(1));
      s.dataSync();
      void s.data();
      return tf.transpose(s, [1, 0]);
    });
    expect(calls.map((c) => c.kernelName)).toEqual(['Add', 'Transpose']);
    expect(Object.keys(calls[0]?.inputs ?? {})).toEqual(['a', 'b']);
    expect(calls[0]?.inputs.a).toBe(a);
    expect(calls[1]?.attrs).toEqual({ perm: [1, 0] });
    expect(reads).toEqual(['readSync', 'read']);
    a.dispose();
  });

  it('puts the engine back: no own hooks, the same gradientDepth, even when the function throws', () => {
    const eng = tf.engine() as unknown as Record<string, unknown>;
    const methods = ['runKernelFunc', 'readSync', 'read'];
    expect(methods.filter((m) => Object.hasOwn(eng, m))).toEqual([]);
    tf.tidy(() =>
      tf.grad((x: tf.Tensor) => {
        expect(() =>
          withKernelHooks({ kernel: (p, run) => run(p), read: () => {} }, () => {
            expect(state().gradientDepth).toBe(0); // a trace records no tape
            throw new Error('inside');
          }),
        ).toThrow('inside');
        expect(state().gradientDepth).toBe(1);
        return x.sum();
      })(tf.ones([1])),
    );
    expect(methods.filter((m) => Object.hasOwn(eng, m))).toEqual([]);
  });

  it('shows a customGrad op as a call with no kernel name, and tf.fused.matMul as one around _FusedMatMul', () => {
    const op = tf.customGrad(((x: tf.Tensor) => ({
      value: x.neg(),
      gradFunc: (dy: tf.Tensor) => dy.neg(),
    })) as never) as (x: tf.Tensor) => tf.Tensor;
    const custom = recordKernels(() => op(tf.ones([2])));
    expect(custom.calls.map((c) => c.kernelName)).toEqual([undefined, 'Neg']);
    const fused = recordKernels(() =>
      tf.fused.matMul({ a: tf.ones([2, 3]), b: tf.ones([3, 4]), bias: tf.ones([4]), activation: 'relu' }),
    );
    const names = fused.calls.map((c) => c.kernelName).filter((n) => n !== 'Reshape');
    expect(names).toEqual([undefined, '_FusedMatMul']);
  });

  it('names the attributes and inputs the compileField lowering reads as its table says', () => {
    const m = () => tf.tensor2d([1, -2, 3, -4, 5, -6], [2, 3]);
    const examples: Record<string, () => unknown> = {
      Add: () => tf.add(m(), m()),
      Sub: () => tf.sub(m(), m()),
      Multiply: () => tf.mul(m(), m()),
      RealDiv: () => tf.div(m(), m()),
      Maximum: () => tf.maximum(m(), m()),
      Minimum: () => tf.minimum(m(), m()),
      SquaredDifference: () => tf.squaredDifference(m(), m()),
      Pow: () => tf.pow(m(), m()),
      LeakyRelu: () => tf.leakyRelu(m(), 0.1),
      ClipByValue: () => tf.clipByValue(m(), -1, 1),
      Concat: () => tf.concat([m(), m()], 1),
      Pack: () => tf.stack([m(), m()], 1),
      Unpack: () => tf.unstack(m(), 1),
      SplitV: () => tf.split(m(), [1, 2], 1),
      Slice: () => tf.slice(m(), [0, 1], [2, 2]),
      Transpose: () => tf.transpose(m(), [1, 0]),
      Tile: () => tf.tile(m(), [2, 1]),
      GatherV2: () => tf.gather(m(), tf.tensor1d([2, 0], 'int32'), 1),
      Sum: () => tf.sum(m(), 1),
      Mean: () => tf.mean(m(), 1),
      Prod: () => tf.prod(m(), 1),
      Min: () => tf.min(m(), 1),
      Max: () => tf.max(m(), 1),
      BatchMatMul: () => tf.matMul(m(), m(), false, true),
      _FusedMatMul: () =>
        tf.fused.matMul({ a: m(), b: m(), transposeB: true, bias: tf.ones([2]), activation: 'leakyrelu' }),
    };
    expect(Object.keys(KERNEL_ATTRIBUTES).filter((k) => examples[k] === undefined)).toEqual([]);
    for (const [kernel, { attrs, inputs }] of Object.entries(KERNEL_ATTRIBUTES)) {
      const { calls } = recordKernels(examples[kernel] as () => unknown);
      const call = calls.find((c) => c.kernelName === kernel);
      expect([kernel, call === undefined]).toEqual([kernel, false]);
      const has = [
        ...attrs.map((a) => a in (call?.attrs ?? {})),
        ...(inputs ?? []).map((i) => i in (call?.inputs ?? {})),
      ];
      expect([kernel, has]).toEqual([kernel, has.map(() => true)]);
    }
  });
});

describe('backend data and identity', () => {
  it("reads the cpu backend's own arrays (not copies) and makes tensors from arrays", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const i = tf.tensor1d([4, 5], 'int32');
    const backend = tf.backend();
    const values = cpuFloat32Values(backend, x) as Float32Array;
    expect(Array.from(values)).toEqual([1, 2, 3]);
    values[0] = 7;
    expect(Array.from(x.dataSync())).toEqual([7, 2, 3]);
    expect(Array.from(cpuInt32Values(backend, i) ?? [])).toEqual([4, 5]);
    expect(cpuFloat32Values(backend, i)).toBeUndefined();
    expect(Array.from(backendReadSync(x))).toEqual([7, 2, 3]);
    const info = cpuFloat32Result(backend, [2], new Float32Array([8, 9]));
    const made = tf.engine().makeTensorFromTensorInfo(info);
    expect(Array.from(made.dataSync())).toEqual([8, 9]);
    tf.dispose([x, i, made]);
  });

  it('shares data identity between reshapes and cpu clones, not wasm clones; ids grow', async () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const r = x.reshape([2, 2]);
    const c = tf.clone(x);
    expect(dataIdentity(r)).toBe(dataIdentity(x));
    expect(dataIdentity(c)).toBe(dataIdentity(x));
    expect(madeAfter(c, x)).toBe(true);
    expect(madeAfter(x, c)).toBe(false);
    expect(tensorId(c)).not.toBe(tensorId(x));
    tf.dispose([x, r, c]);
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const w = tf.tensor1d([1, 2]);
      const wc = tf.clone(w);
      expect(dataIdentity(wc)).not.toBe(dataIdentity(w));
      tf.dispose([w, wc]);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

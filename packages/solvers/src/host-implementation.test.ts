import { type HostFieldSession, valueAndGrad, withHostImplementation } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backsolveAdjoint, diffeqsolve, pidController, recursiveCheckpointAdjoint, saveAt, tsit5 } from './index.js';

// y' = k ⊙ (M y) per sample (rows of y [B, 2]), with args { k: [2], M: [2, 2] }.
type Args = { k: tf.Tensor1D; M: tf.Tensor2D };
const tensorField = (_t: number, y: tf.Tensor, p: Args) => tf.mul(tf.matMul(y as tf.Tensor2D, p.M, false, true), p.k);

/** The same field with a host implementation that counts its calls; `decline` makes `open` refuse. */
function hostField(decline = false) {
  const calls = { open: 0, evaluate: 0, vjp: 0 };
  const f = withHostImplementation((t: number, y: tf.Tensor, p: Args) => tensorField(t, y, p), {
    open(args, yShape, argTensors): HostFieldSession | undefined {
      calls.open++;
      if (decline) return undefined;
      const { k, M } = args as Args;
      const kv = k.dataSync();
      const m = M.dataSync();
      const rows = yShape.length === 2 ? (yShape[0] as number) : 1;
      const ik = argTensors.indexOf(k);
      const im = argTensors.indexOf(M);
      const f1 = (y: ArrayLike<number>) => {
        const out = new Float32Array(rows * 2);
        for (let r = 0; r < rows; r++) {
          const y0 = y[2 * r] as number;
          const y1 = y[2 * r + 1] as number;
          out[2 * r] = (kv[0] as number) * ((m[0] as number) * y0 + (m[1] as number) * y1);
          out[2 * r + 1] = (kv[1] as number) * ((m[2] as number) * y0 + (m[3] as number) * y1);
        }
        return out;
      };
      return {
        evaluate: (_t, y) => {
          calls.evaluate++;
          return f1(y);
        },
        vjp: (_t, y, ct, argGrads, onValue) => {
          calls.vjp++;
          if (onValue) onValue(f1(y));
          const gy = new Float32Array(rows * 2);
          for (let r = 0; r < rows; r++) {
            const y0 = y[2 * r] as number;
            const y1 = y[2 * r + 1] as number;
            const c0 = (ct[2 * r] as number) * (kv[0] as number);
            const c1 = (ct[2 * r + 1] as number) * (kv[1] as number);
            gy[2 * r] = c0 * (m[0] as number) + c1 * (m[2] as number);
            gy[2 * r + 1] = c0 * (m[1] as number) + c1 * (m[3] as number);
            const gk = argGrads[ik];
            if (gk) {
              gk[0] = (gk[0] as number) + (ct[2 * r] as number) * ((m[0] as number) * y0 + (m[1] as number) * y1);
              gk[1] = (gk[1] as number) + (ct[2 * r + 1] as number) * ((m[2] as number) * y0 + (m[3] as number) * y1);
            }
            const gm = argGrads[im];
            if (gm) {
              gm[0] = (gm[0] as number) + c0 * y0;
              gm[1] = (gm[1] as number) + c0 * y1;
              gm[2] = (gm[2] as number) + c1 * y0;
              gm[3] = (gm[3] as number) + c1 * y1;
            }
          }
          return gy;
        },
      };
    },
  });
  return { f, calls };
}

const ts = [0, 0.5, 1, 1.5, 2];
function lossWith(field: (t: number, y: tf.Tensor, p: Args) => tf.Tensor, adjoint = recursiveCheckpointAdjoint()) {
  return (p: Args) => {
    const sol = diffeqsolve({
      term: field,
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor2d([
        [1, 0.5],
        [-0.3, 0.8],
        [0.2, -1],
      ]),
      args: p,
      saveat: saveAt({ ts }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
      adjoint,
    });
    return tf.sum(tf.square(sol.ys as tf.Tensor));
  };
}

describe('vector fields with a host implementation', () => {
  const makeArgs = (): Args => ({ k: tf.tensor1d([0.9, -1.2]), M: tf.tensor2d([0.1, 1, -1, -0.2], [2, 2]) });

  it.each([
    ['recursiveCheckpointAdjoint', recursiveCheckpointAdjoint()],
    ['backsolveAdjoint', backsolveAdjoint({ stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }) })],
  ] as const)('give the tensor field’s solution and gradients through %s, by host calls only', (_name, adjoint) => {
    const args = makeArgs();
    const { f, calls } = hostField();
    const host = valueAndGrad(lossWith(f, adjoint))(args);
    const ref = valueAndGrad(lossWith(tensorField, adjoint))(args);
    expect(host.value.arraySync()).toBeAllclose(ref.value.arraySync(), { rtol: 1e-5 });
    expect(host.grads).toBeAllclose(ref.grads, { rtol: 1e-4, atol: 1e-6 });
    expect(calls.open).toBeGreaterThan(0);
    expect(calls.evaluate).toBeGreaterThan(10);
    expect(calls.vjp).toBeGreaterThan(10);
    tf.dispose([host.value, ref.value, host.grads.k, host.grads.M, ref.grads.k, ref.grads.M, args.k, args.M]);
  });

  it('fall back to the tensor field when open declines', () => {
    const args = makeArgs();
    const { f, calls } = hostField(true);
    const host = valueAndGrad(lossWith(f))(args);
    const ref = valueAndGrad(lossWith(tensorField))(args);
    expect(host.grads).toBeAllclose(ref.grads, { rtol: 1e-6 });
    expect(calls.open).toBeGreaterThan(0);
    expect(calls.evaluate + calls.vjp).toBe(0);
    tf.dispose([host.value, ref.value, host.grads.k, host.grads.M, ref.grads.k, ref.grads.M, args.k, args.M]);
  });

  it('leak no tensors', async () => {
    const args = makeArgs();
    const { f } = hostField();
    await expectNoLeak(() => {
      const r = valueAndGrad(lossWith(f))(args);
      tf.dispose([r.value, r.grads.k, r.grads.M]);
    });
    tf.dispose([args.k, args.M]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  loadWorkloads,
  lvHybridArgs,
  lvHybridField,
  lvHybridFieldFused,
  lvHybridFlat,
  lvHybridParams,
} from './index.js';

describe('the W2 workload model', () => {
  it('loads W1–W5 with the W2 data and reference gradient', () => {
    const w = loadWorkloads();
    expect(w.W2.ts.length).toBe(100);
    expect(w.W2.data.length).toBe(100);
    expect(w.W2.reference_gradient.grad.length).toBe(21);
    expect(w.W4.y0_rows.length).toBe(4096);
  });

  it('evaluates dr = α r − β r c, dc = −γ c + δ r (c + NN) by hand', () => {
    const p = lvHybridParams();
    const init = loadWorkloads().W2.init;
    const [r, c] = [2, 1];
    const h = init.W1.map((row, i) =>
      Math.tanh((row[0] as number) * r + (row[1] as number) * c + (init.b1[i] as number)),
    );
    const nn = h.reduce((s, v, i) => s + v * ((init.W2[0] as number[])[i] as number), 0) + (init.b2[0] as number);
    const [al, be, ga, de] = init.mech as [number, number, number, number];
    const want = [al * r - be * r * c, -ga * c + de * r * (c + nn)];
    expect(lvHybridField(0, tf.tensor1d([r, c]), p)).toBeAllclose(want, { rtol: 1e-5 });
    expect(lvHybridFieldFused(0, tf.tensor1d([r, c]), lvHybridArgs(p))).toBeAllclose(want, { rtol: 1e-5 });
  });

  it('the fused field equals the plain one on batches, and gradients flow through lvHybridArgs', () => {
    const p = lvHybridParams();
    const y = tf.tensor2d([
      [2, 1],
      [1.5, 0.7],
      [3, 2],
    ]);
    expect(lvHybridFieldFused(0, y, lvHybridArgs(p))).toBeAllclose(lvHybridField(0, y, p), { rtol: 1e-6 });
    const leaves = [p.mech, p.W1, p.b1, p.W2, p.b2];
    const plain = tf.grads((...xs: tf.Tensor[]) => {
      const q = { mech: xs[0], W1: xs[1], b1: xs[2], W2: xs[3], b2: xs[4] } as typeof p;
      return tf.sum(tf.square(lvHybridField(0, y, q)));
    })(leaves);
    const fused = tf.grads((...xs: tf.Tensor[]) => {
      const q = { mech: xs[0], W1: xs[1], b1: xs[2], W2: xs[3], b2: xs[4] } as typeof p;
      return tf.sum(tf.square(lvHybridFieldFused(0, y, lvHybridArgs(q))));
    })(leaves);
    const flat = (g: tf.Tensor[]) => lvHybridFlat({ mech: g[0], W1: g[1], b1: g[2], W2: g[3], b2: g[4] } as typeof p);
    expect(flat(fused)).toBeAllclose(flat(plain), { rtol: 1e-5, atol: 1e-7 });
  });
});

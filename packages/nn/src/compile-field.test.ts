import { compileField, type HostFieldSession, hostImplementationOf, treeFlatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlp } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('an MLP inside a compiled field', () => {
  it('is traced as plain ops (not the fused custom op) and gives the same values and VJP', () => {
    const net = mlp({ inSize: 2, outSize: 2, widthSize: 8, depth: 2, activation: 'tanh', seed: 3 });
    // physics plus a network, as in a hybrid model
    const field = (_t: number, y: tf.Tensor, p: typeof net.params) => tf.add(tf.neg(y), net.apply(p, y));
    const compiled = compileField(field, { strict: true });
    const argTensors = treeFlatten<tf.Tensor>(net.params).leaves;
    const session = hostImplementationOf(compiled)?.open(net.params, [5, 2], argTensors) as HostFieldSession;
    expect(session).toBeDefined();
    const y = tf.tensor2d([0.1, -0.4, 0.7, 0.2, -1.1, 0.5, 0.3, 0.9, -0.2, -0.6], [5, 2]);
    const want = tf.tidy(() => field(0, y, net.params).dataSync());
    expect(Array.from(session.evaluate(0, Float64Array.from(y.dataSync())))).toBeAllclose(Array.from(want), {
      rtol: 1e-5,
      atol: 1e-6,
    });
    const ct = tf.onesLike(y);
    const gy = tf.tidy(() =>
      tf
        .grad((yy: tf.Tensor) => field(0, yy, net.params))(y, ct)
        .dataSync(),
    );
    const argGrads = argTensors.map((a) => new Float64Array(a.size));
    const got = session.vjp(0, Float64Array.from(y.dataSync()), ct.dataSync(), argGrads);
    expect(Array.from(got)).toBeAllclose(Array.from(gy), { rtol: 1e-4, atol: 1e-6 });
    expect(argGrads.some((g) => g.some((v) => v !== 0))).toBe(true);
    tf.dispose([y, ct]);
  });
});

import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { EquationsSpec } from './equations-spec.js';
import { ObservablesError } from './errors.js';
import { modelFromEquations } from './model-from-equations.js';

const LV: EquationsSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c + NN(r, c)' },
  networks: { NN: { width: 4, depth: 1, activation: 'tanh' } },
};

describe('EquationsModel.rates', () => {
  it('evaluates the right-hand side at each row of states, networks included', async () => {
    await expectNoLeak(() => {
      const m = modelFromEquations(LV);
      const p = m.initParams();
      const y = tf.tensor2d([
        [1, 2],
        [3, 0.5],
      ]);
      const dy = m.rates(p, y);
      expect(dy.shape).toEqual([2, 2]);
      const nn = m.networks.NN?.layer.apply(p.networks.NN as never, y) as tf.Tensor;
      const nnv = nn.dataSync();
      const v = dy.arraySync();
      // r' = 1.5 r - r c; c' = -3 c + r c + NN(r, c)
      expect(v[0]?.[0]).toBeCloseTo(1.5 * 1 - 1 * 2, 5);
      expect(v[1]?.[0]).toBeCloseTo(1.5 * 3 - 3 * 0.5, 5);
      expect(v[0]?.[1]).toBeCloseTo(-3 * 2 + 1 * 2 + (nnv[0] as number), 5);
      expect(v[1]?.[1]).toBeCloseTo(-3 * 0.5 + 3 * 0.5 + (nnv[1] as number), 5);
      tf.dispose([y, dy, nn]);
      disposeTree(p);
    });
  });

  it('is differentiable in the parameters (gradient of a matching loss against the closed form)', async () => {
    await expectNoLeak(() => {
      const m = modelFromEquations({
        ...LV,
        equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c' },
        networks: {},
      });
      const p = m.initParams();
      const y = tf.tensor2d([
        [1, 2],
        [3, 0.5],
      ]);
      const { value, grads } = valueAndGrad((q: typeof p) => tf.sum(m.rates(q, y)) as tf.Scalar)(p);
      // d/dalpha of sum(r') = sum(r) = 4; d/dgamma of sum(c') = -sum(c) = -2.5
      expect(grads.physics.alpha?.dataSync()[0]).toBeCloseTo(4, 5);
      expect(grads.physics.gamma?.dataSync()[0]).toBeCloseTo(-2.5, 5);
      expect(grads.physics.beta?.dataSync()[0]).toBeCloseTo(-(2 + 1.5), 5);
      disposeTree([value, grads, p]);
      y.dispose();
    });
  });

  it('refuses a y of the wrong shape, and asks for t or conditions when the equations need them', () => {
    const m = modelFromEquations(LV);
    const p = m.initParams();
    const bad = tf.tensor2d([[1, 2, 3]]);
    expect(() => m.rates(p, bad)).toThrow(ObservablesError);
    expect(() => m.rates(p, bad)).toThrow(/\[n, 2\] tensor of states \(r, c\), got shape \[1, 3\]/);
    const timed = modelFromEquations({ states: ['x'], parameters: { k: 2 }, equations: { x: '-k*x*t' } });
    const q = timed.initParams();
    const y = tf.tensor2d([[1], [2]]);
    expect(() => timed.rates(q, y)).toThrow(/the equations use t; pass \{ t \}/);
    const dy = timed.rates(q, y, { t: 3 });
    expect(Array.from(dy.dataSync())).toEqual([-6, -12]);
    const cond = modelFromEquations({
      states: ['x'],
      parameters: { k: 2 },
      conditions: ['L'],
      equations: { x: '-k*L*x' },
    } as EquationsSpec);
    const cq = cond.initParams();
    expect(() => cond.rates(cq, y)).toThrow(/reads the conditions L; pass \{ conditions \}/);
    const c = tf.tensor2d([[1], [0.5]]);
    const dc = cond.rates(cq, y, { conditions: c });
    expect(Array.from(dc.dataSync())).toEqual([-2, -2]);
    tf.dispose([bad, y, dy, c, dc]);
    disposeTree([p, q, cq]);
  });
});

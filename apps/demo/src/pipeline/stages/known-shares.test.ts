import type { EquationsParams } from '@odekit/observables';
import { parseExpression } from '@odekit/symbolic';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { withKnownShares } from './refit.js';
import type { NetworkDiscovery } from './symbolic.js';

describe('withKnownShares', () => {
  it("adds the share of a known term a candidate leaves to the physics to that term's parameter", async () => {
    // dc/dt = -gamma*c + NN(r, c): the network learned 0.5*r*c and also 0.3*(-c) (gamma was 0.3 low).
    const r = Float64Array.from({ length: 50 }, (_, i) => 0.5 + i / 20);
    const c = Float64Array.from({ length: 50 }, (_, i) => 1.5 + Math.sin(i));
    const y = r.map((ri, i) => 0.5 * ri * (c[i] as number) - 0.3 * (c[i] as number));
    const d = {
      X: { r, c },
      y,
      knownValues: [c.map((ci) => -ci)],
      knownParameters: [{ name: 'gamma', sign: 1 }],
    } as unknown as NetworkDiscovery;
    await expectNoLeak(() => {
      const params: EquationsParams = {
        physics: { gamma: tf.scalar(1), beta: tf.scalar(2) },
        networks: {},
        initial: {},
      };
      const out = withKnownShares(params, d, parseExpression('0.5*r*c'));
      expect(out.physics.gamma?.dataSync()[0]).toBeCloseTo(1.3, 5);
      expect(out.physics.beta).toBe(params.physics.beta);
      expect(params.physics.gamma?.isDisposed).toBe(true);
      // a candidate that already holds the term leaves nothing to the physics
      const same = withKnownShares(out, d, parseExpression('0.5*r*c - 0.3*c'));
      expect(same.physics.gamma?.dataSync()[0]).toBeCloseTo(1.3, 5);
      // a term subtracted in its equation (`- kappa*c`, known term `c`) takes the share with its sign
      const minus = withKnownShares(
        same,
        { ...d, knownValues: [c], knownParameters: [{ name: 'gamma', sign: -1 }] },
        parseExpression('0.5*r*c'),
      );
      expect(minus.physics.gamma?.dataSync()[0]).toBeCloseTo(1.6, 5);
      // no parameter to take the share: unchanged
      const none = withKnownShares(minus, { ...d, knownParameters: [undefined] }, parseExpression('0.5*r*c'));
      expect(none).toBe(minus);
      tf.dispose([...Object.values(none.physics)]);
    });
  });
});

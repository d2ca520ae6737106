import { disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { EquationsSpec } from './equations-spec.js';
import { modelFromEquations } from './model-from-equations.js';

// A network's fixed input and output scales: NN(r, c) is 5 * layer(r / 10, c / 2).
const SCALED: EquationsSpec = {
  states: ['r', 'c'],
  parameters: { gamma: 3, delta: 1 },
  equations: { r: 'r', c: '-gamma*c + delta*r*c + NN(r, c)' },
  networks: { NN: { width: 4, depth: 1, activation: 'tanh', initScale: 1, inputScale: [10, 2], outputScale: 5 } },
};

describe('network inputScale and outputScale', () => {
  it('divide the inputs and multiply the output around the layer, in the compiled field too', async () => {
    await expectNoLeak(() => {
      for (const compile of [false, { strict: true }] as const) {
        const m = modelFromEquations(SCALED, { compile });
        const net = m.networks.NN;
        expect(net?.inputScale).toEqual([10, 2]);
        expect(net?.outputScale).toBe(5);
        const p = m.initParams();
        const y = tf.tensor2d([
          [12, 3],
          [30, 0.5],
        ]);
        const xs = tf.tensor2d([
          [1.2, 1.5],
          [3, 0.25],
        ]);
        const raw = net?.layer.apply(p.networks.NN as never, xs) as tf.Tensor;
        const nn = Array.from(raw.dataSync(), (v) => 5 * v);
        const applied = net?.apply(p.networks.NN as never, y) as tf.Tensor;
        expect(applied.shape).toEqual([2, 1]);
        const rates = m.rates(p, y);
        const dy = rates.arraySync();
        for (const [i, v] of Array.from(applied.dataSync()).entries()) expect(v).toBeCloseTo(nn[i] as number, 5);
        expect(dy[0]?.[1]).toBeCloseTo(-3 * 3 + 12 * 3 + (nn[0] as number), 4);
        expect(dy[1]?.[1]).toBeCloseTo(-3 * 0.5 + 30 * 0.5 + (nn[1] as number), 4);
        // unscaled, the same weights give another output
        const plain = net?.layer.apply(p.networks.NN as never, y) as tf.Tensor;
        expect(Math.abs((plain.dataSync()[0] as number) * 5 - (nn[0] as number))).toBeGreaterThan(1e-3);
        tf.dispose([y, xs, raw, applied, plain, rates]);
        disposeTree(p);
      }
    });
  });

  it('one number scales every input; the default is 1 and 1', () => {
    const one = modelFromEquations({ ...SCALED, networks: { NN: { inputScale: 4 } } });
    expect(one.networks.NN?.inputScale).toEqual([4, 4]);
    expect(one.networks.NN?.outputScale).toBe(1);
    const none = modelFromEquations({ ...SCALED, networks: { NN: {} } });
    expect(none.networks.NN?.inputScale).toEqual([1, 1]);
  });

  it('bad scales are named with their path and the fix', () => {
    const bad = (nn: Record<string, unknown>) => () =>
      modelFromEquations({ ...SCALED, networks: { NN: nn } } as unknown as EquationsSpec);
    expect(bad({ inputScale: [1, 2, 3] })).toThrow(
      /networks\.NN\.inputScale: the network 'NN' takes 2 input\(s\), so give one scale or 2, got 3/,
    );
    expect(bad({ inputScale: [1, 0] })).toThrow(/networks\.NN\.inputScale\[1\]: must be a number > 0, got 0/);
    expect(bad({ inputScale: 'big' })).toThrow(/networks\.NN\.inputScale: must be a number > 0, got "big"/);
    expect(bad({ outputScale: -1 })).toThrow(/networks\.NN\.outputScale: must be a number > 0, got -1/);
  });
});

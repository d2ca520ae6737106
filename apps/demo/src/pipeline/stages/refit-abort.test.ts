import { readFileSync } from 'node:fs';
import { disposeTree, type TensorTree, treeLeaves } from '@odekit/core';
import type { EquationsParams } from '@odekit/observables';
import { parseExpression } from '@odekit/symbolic';
import { type LbfgsOptions, lbfgsAsync } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildModel, readData } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { checkAborted, type StageContext } from './context.js';
import { refitStage } from './refit.js';
import type { NetworkDiscovery } from './symbolic.js';

// The CI scenario's data (apps/demo/test/fixtures/logistic: dx/dt = 1.2 x − 0.8 x²), modelled with
// two networks so that a stop can come while the first network's expression is already owned.
const csv = readFileSync(new URL('../../../test/fixtures/logistic/data.csv', import.meta.url), 'utf8');
const data = readData(csv, 't', 'trajectory');
const settings = { ...DEFAULT_SETTINGS, refitIterations: 8 };
const model = buildModel(
  {
    states: ['x'],
    parameters: {},
    equations: { x: 'NN(x) + M(x)' },
    initial: { x: 'data' },
    networks: { NN: { width: 4, depth: 1, activation: 'tanh' }, M: { width: 4, depth: 1, activation: 'tanh' } },
  } as unknown as Parameters<typeof buildModel>[0],
  settings,
  0,
);
// What refitStage reads of a discovery: the call and the candidates (the search's output is not needed).
const discovery = (name: string, candidates: string[]) =>
  ({
    call: { name, args: ['x'], variables: ['x'] },
    expr: parseExpression(candidates[0] as string),
    alternatives: candidates.map((c) => parseExpression(c)),
  }) as unknown as NetworkDiscovery;
// NN's small terms are dropped one by one (a stop can come after a drop was kept), its second
// candidate's solve fails; M's first candidate wins (its second misses the data), and its two terms
// are both needed, so their drops are tried in the stage and again after the joint fit.
const found = [
  discovery('NN', ['0.001*x^3 + 0.001*x^4 + 0.0001', '0.1*x^3']),
  discovery('M', ['-0.8*x^2 + 1.2*x', '1.1*x']),
];

/** A stage context like runPipeline's: the gate counts L-BFGS iterations and aborts at `stopAt`. */
function context(stopAt: number, starts: number[]): { ctx: StageContext; gates: () => number } {
  const stop = new AbortController();
  let gates = 0;
  const gate = async () => {
    if (++gates === stopAt) stop.abort();
  };
  const ctx: StageContext = {
    data,
    settings,
    seed: 0,
    signal: stop.signal,
    emit: async () => {},
    emitNow: () => {},
    predictions: async () => {},
    gate,
    lbfgs: <P extends TensorTree>(o: LbfgsOptions<P>) => {
      starts.push(gates + 1);
      return lbfgsAsync({
        ...o,
        onIteration: async (info) => {
          o.onIteration?.(info);
          await gate();
          checkAborted(stop.signal);
        },
      });
    },
  };
  return { ctx, gates: () => gates };
}

describe('refitStage stopped', () => {
  it('frees every candidate, dropped variant and owned expression when the run stops anywhere in it', async () => {
    const params: EquationsParams = model.initParams();
    const before = tf.memory().numTensors;
    // A whole refit first: it returns owned parameters and nothing else stays alive.
    const starts: number[] = [];
    const whole = context(Number.POSITIVE_INFINITY, starts);
    const out = await refitStage(model, params, found, whole.ctx);
    disposeTree(out.params);
    expect(tf.memory().numTensors).toBe(before);
    // candidates of NN (3), its drops, candidates of M (2), its drops, the joint fit (2), the last drops
    expect(starts.length).toBeGreaterThanOrEqual(8);
    // Then stopped at the first iteration of each L-BFGS run in turn, and in the middle of the first
    // candidates': every stop frees all the stage took, and leaves the borrowed params alive.
    const stops = [...new Set([2, ...starts.slice(1)])];
    for (const stopAt of stops) {
      const c = context(stopAt, []);
      const err = await refitStage(model, params, found, c.ctx).catch((e: Error) => e);
      expect((err as Error).name, `stop at iteration ${stopAt}`).toBe('AbortError');
      expect(c.gates()).toBe(stopAt);
      expect(tf.memory().numTensors, `tensors after a stop at iteration ${stopAt}`).toBe(before);
    }
    // the borrowed parameters are still alive
    expect(treeLeaves(params as unknown as TensorTree).every((t) => !(t as tf.Tensor).isDisposed)).toBe(true);
    disposeTree(params);
  }, 120_000);
});

// Test data shared by the stage tests (not a test file itself): Lotka–Volterra with two networks
// for the interaction terms, and a stage context without a page.
import { createRng, type TensorTree } from '@odekit/core';
import { createDataset, type Dataset } from '@odekit/observables';
import { type LbfgsOptions, lbfgsAsync } from '@odekit/train';
import { DEFAULT_SETTINGS } from '../settings.js';
import type { ModelSpec, StageSettings } from '../types.js';
import type { StageContext } from './context.js';

// Lotka–Volterra, alpha = 1.3, beta = 0.9, gamma = 0.8, delta = 0.7, two trajectories of 50
// points on [0, 12] (two cycles), RK4 with 100 substeps per interval, 1 % noise.
export const P = { alpha: 1.3, beta: 0.9, gamma: 0.8, delta: 0.7 };
export const field = ([r, c]: number[]): number[] => [
  P.alpha * (r as number) - P.beta * (r as number) * (c as number),
  -P.gamma * (c as number) + P.delta * (r as number) * (c as number),
];
/** `steps` classical Runge–Kutta steps of size `h` of dy/dt = `f(y)` from `y` (test data in float64). */
export function rk4(f: (y: number[]) => number[], y0: readonly number[], h: number, steps: number): number[] {
  let y = [...y0];
  for (let s = 0; s < steps; s++) {
    const k1 = f(y);
    const k2 = f(y.map((v, j) => v + (h / 2) * (k1[j] as number)));
    const k3 = f(y.map((v, j) => v + (h / 2) * (k2[j] as number)));
    const k4 = f(y.map((v, j) => v + h * (k3[j] as number)));
    y = y.map(
      (v, j) => v + (h / 6) * ((k1[j] as number) + 2 * (k2[j] as number) + 2 * (k3[j] as number) + (k4[j] as number)),
    );
  }
  return y;
}

export function lvData(noise: number): Dataset {
  const rng = createRng(11);
  const trajectories = [
    [1.2, 0.9],
    [0.7, 1.6],
  ].map((y0, k) => {
    const times = Float64Array.from({ length: 50 }, (_, i) => (12 * i) / 49);
    const r: number[] = [];
    const c: number[] = [];
    let y = [...y0];
    times.forEach((_, i) => {
      if (i > 0) {
        y = rk4(field, y, (times[1] as number) / 100, 100);
      }
      const first = i === 0;
      r.push((y[0] as number) * (first ? 1 : 1 + noise * rng.nextNormal()));
      c.push((y[1] as number) * (first ? 1 : 1 + noise * rng.nextNormal()));
    });
    return { id: String(k), times, values: { r, c } };
  });
  return createDataset({ channels: ['r', 'c'], trajectories });
}

export const SPEC: ModelSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.3, gamma: 0.8 },
  equations: { r: 'alpha*r + NN1(r, c)', c: '-gamma*c + NN2(r, c)' },
  initial: { r: 'data', c: 'data' },
  networks: { NN1: { width: 8, depth: 1, activation: 'tanh' }, NN2: { width: 8, depth: 1, activation: 'tanh' } },
} as ModelSpec;

export function context(data: Dataset, settings: StageSettings = DEFAULT_SETTINGS): StageContext {
  return {
    data,
    settings,
    seed: 0,
    signal: undefined,
    emit: async () => {},
    emitNow: () => {},
    predictions: async () => {},
    gate: async () => {},
    lbfgs: <Q extends TensorTree>(o: LbfgsOptions<Q>) => lbfgsAsync(o),
  };
}

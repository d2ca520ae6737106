import { disposeTree, mulberry32 } from '@odekit/core';
import {
  type Dataset,
  type EquationsModel,
  type EquationsParams,
  type EquationsSpec,
  modelFromEquations,
  selectTrajectories,
} from '@odekit/observables';
import * as tf from '@tensorflow/tfjs-core';
import type { StageSettings } from '../types.js';

/** Standard normal draws from a seeded stream (Box–Muller). */
export function normals(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** `n` evenly spaced times from `t0` to `t1`. */
export function linspace(t0: number, t1: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => t0 + ((t1 - t0) * i) / (n - 1));
}

/** The data's time span [first time, last time] over all trajectories. */
export function timeSpan(data: Dataset): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const tr of data.trajectories) {
    lo = Math.min(lo, tr.times[0] as number);
    hi = Math.max(hi, tr.times[tr.times.length - 1] as number);
  }
  return [lo, hi];
}

/**
 * The trained model's typical states, for symbolic regression of its networks (the talk's advice:
 * not one orbit, whose states are nearly collinear): every data trajectory on a fine grid, plus
 * `sampleTrajectories` runs from initial states near the data's (each state scaled by
 * exp(spread · z)); then `samples` states drawn from all of them, each jittered by a relative
 * `jitter`. Runs that fail to solve are skipped. Returns columns per state.
 */
export function sampleStates(
  model: EquationsModel,
  params: EquationsParams,
  data: Dataset,
  settings: StageSettings,
  seed: number,
): Record<string, Float64Array> {
  const [t0, t1] = timeSpan(data);
  const times = linspace(t0, t1, 200);
  const states = model.states;
  const pool: number[][] = [];
  let visited: readonly {
    readonly times: ArrayLike<number>;
    readonly states: Readonly<Record<string, ArrayLike<number>>>;
  }[];
  try {
    visited = model.predictValues(params, data, { times });
  } catch (e) {
    if (!(e instanceof Error && e.name === 'SolveError')) throw e;
    // The trained model does not solve over the data's span: its states are unknown there, so
    // the observed states stand in (every state must be a channel of the data).
    visited = observedStates(data, states, e);
  }
  for (const tr of visited) {
    for (let i = 0; i < tr.times.length; i++) pool.push(states.map((s) => tr.states[s]?.[i] as number));
  }
  const z = normals(seed + 101);
  if (settings.sampleTrajectories > 0) {
    // One model whose initial state is a trainable scalar per state: set it to each new start.
    const spec = model.toSpec(params) as EquationsSpec & { initial?: Record<string, unknown> };
    const initial = Object.fromEntries(states.map((s) => [s, 'fit']));
    const sampler = modelFromEquations({ ...spec, initial } as EquationsSpec);
    const base = sampler.initParams();
    const one = selectTrajectories(data, [data.trajectories[0]?.id as string]);
    try {
      for (let k = 0; k < settings.sampleTrajectories; k++) {
        const from = visited[k % visited.length];
        const y0 = states.map((s) => (from?.states[s]?.[0] as number) * Math.exp(settings.sampleSpread * z()));
        const p: EquationsParams = {
          physics: base.physics,
          networks: params.networks,
          initial: Object.fromEntries(states.map((s, j) => [s, tf.scalar(y0[j] as number)])),
        };
        try {
          const [tr] = sampler.predictValues(p, one, { times });
          if (tr !== undefined) {
            for (let i = 0; i < times.length; i++) {
              const row = states.map((s) => tr.states[s]?.[i] as number);
              if (row.every(Number.isFinite)) pool.push(row);
            }
          }
        } catch (e) {
          if (!(e instanceof Error && e.name === 'SolveError')) throw e;
        } finally {
          disposeTree(p.initial);
        }
      }
    } finally {
      disposeTree(base);
    }
  }
  const pick = mulberry32(seed + 202);
  const out: Record<string, Float64Array> = Object.fromEntries(
    states.map((s) => [s, new Float64Array(settings.samples)]),
  );
  const finite = pool.filter((r) => r.every(Number.isFinite));
  for (let i = 0; i < settings.samples; i++) {
    const row = finite[Math.floor(pick() * finite.length)] as number[];
    states.forEach((s, j) => {
      (out[s] as Float64Array)[i] = (row[j] as number) * (1 + settings.jitter * z());
    });
  }
  return out;
}

/** The data's own rows as visited states (rows with a missing state skipped); rethrows `cause` when a state is not observed. */
function observedStates(
  data: Dataset,
  states: readonly string[],
  cause: Error,
): { times: Float64Array; states: Record<string, Float64Array> }[] {
  if (!states.every((s) => data.channels.includes(s))) throw cause;
  return data.trajectories.map((tr) => {
    const rows = Array.from(tr.times.keys()).filter((i) => states.every((s) => Number.isFinite(tr.values[s]?.[i])));
    return {
      times: Float64Array.from(rows, (i) => tr.times[i] as number),
      states: Object.fromEntries(states.map((s) => [s, Float64Array.from(rows, (i) => tr.values[s]?.[i] as number)])),
    };
  });
}

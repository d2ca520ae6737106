import { disposeTree } from '@odekit/core';
import {
  createDataset,
  type Dataset,
  type EquationsModel,
  type EquationsParams,
  modelFromEquations,
  sumInFloat64,
  type TrajectoryInput,
} from '@odekit/observables';
import { pidController } from '@odekit/solvers';
import * as tf from '@tensorflow/tfjs-core';
import { checkAborted, type StageContext, stepReporter } from './context.js';
import { seriesLoss, zeroNetworks } from './mechanistic.js';
import { smoothRates } from './smooth-rates.js';

/** Estimated states and their rates at the data's times, as matrices `[rows, states]`. */
export interface RateTable {
  readonly y: Float32Array;
  readonly rates: Float32Array;
  readonly conditions: Float32Array;
  readonly rows: number;
}

/** The channel that observes each state directly (its observation is the state itself), or undefined when one has none. */
export function directChannels(model: EquationsModel): string[] | undefined {
  if (model.hidden.length > 0) return undefined;
  const obs = model.spec.observations;
  const out: string[] = [];
  for (const st of model.states) {
    if (obs === undefined) out.push(st);
    else {
      const ch = Object.entries(obs).find(([, src]) => src.trim() === st)?.[0];
      if (ch === undefined) return undefined;
      out.push(ch);
    }
  }
  return out;
}

/**
 * The smoothed states and rates of every trajectory at its interior times (the first and last
 * time of a trajectory are left out: one-sided local fits estimate rates worst there), rows where
 * every state has an estimate. Undefined when a state is not observed directly or fewer than 10
 * rows remain.
 */
export function rateTable(model: EquationsModel, data: StageContext['data']): RateTable | undefined {
  const channels = directChannels(model);
  if (channels === undefined || channels.some((c) => !data.channels.includes(c))) return undefined;
  const S = channels.length;
  const y: number[] = [];
  const r: number[] = [];
  const c: number[] = [];
  for (const tr of data.trajectories) {
    const sm = channels.map((ch) => smoothRates(tr.times, tr.values[ch] as Float64Array));
    for (let i = 1; i < tr.times.length - 1; i++) {
      const vs = sm.map((s) => s.value[i] as number);
      const rs = sm.map((s) => s.rate[i] as number);
      if (!vs.every(Number.isFinite) || !rs.every(Number.isFinite)) continue;
      y.push(...vs);
      r.push(...rs);
      c.push(...model.conditions.map((k) => tr.conditions[k] as number));
    }
  }
  const rows = y.length / S;
  if (rows < 10) return undefined;
  return { y: Float32Array.from(y), rates: Float32Array.from(r), conditions: Float32Array.from(c), rows };
}

/**
 * The mismatch of the model's rates against a {@link RateTable} (each state's squared error over
 * its rates' mean square, averaged), and the networks' share of the rates on the same scale times
 * `SHARE_WEIGHT`: the rates with the networks as they are against the rates with the networks
 * switched off. Trained together, a known term's parameter and the same term inside a network are
 * interchangeable (`alpha*r` against a network that adds `0.4*r`); the small share term resolves
 * that in favour of the physics, so the networks keep only what the physics cannot explain (a
 * relative bias of about `SHARE_WEIGHT` on the networks' outputs).
 */
export function rateMatcher(model: EquationsModel, table: RateTable) {
  const S = model.states.length;
  const Y = tf.tensor2d(table.y, [table.rows, S]);
  const D = tf.tensor2d(table.rates, [table.rows, S]);
  const C = tf.tensor2d(table.conditions, [table.rows, model.conditions.length]);
  const scale = new Float32Array(S);
  for (let s = 0; s < S; s++) {
    let ms = 0;
    for (let i = 0; i < table.rows; i++) ms += (table.rates[i * S + s] as number) ** 2;
    ms /= table.rows;
    scale[s] = ms > 0 ? 1 / (ms * S) : 0;
  }
  const W = tf.tensor1d(scale);
  const cond = model.conditions.length > 0 ? { conditions: C } : {};
  // zero weights of the networks' shapes (the networks switched off), made here, outside any tidy
  const init = model.initParams();
  const off = zeroNetworks(init);
  disposeTree(init);
  // summed in float64 on the host (sumInFloat64): the same number on every backend
  const weighted = (x: tf.Tensor): tf.Scalar =>
    tf.mul(sumInFloat64(tf.mul(tf.square(x), W)), 1 / table.rows) as tf.Scalar;
  return {
    matchLoss: (p: EquationsParams): tf.Scalar => tf.tidy(() => weighted(tf.sub(model.rates(p, Y, cond), D))),
    networkShare: (p: EquationsParams): tf.Scalar => {
      return tf.tidy(() => {
        const withNets = model.rates(p, Y, cond);
        const without = model.rates({ ...p, networks: off }, Y, cond);
        return tf.mul(SHARE_WEIGHT, weighted(tf.sub(withNets, without))) as tf.Scalar;
      });
    },
    dispose(): void {
      tf.dispose([Y, D, C, W]);
      disposeTree(off);
    },
  };
}

/** Weight of the networks' share in {@link rateMatcher}. */
export const SHARE_WEIGHT = 1e-3;

/**
 * Gradient matching (collocation): the networks, then the networks and the physics together,
 * fitted by L-BFGS so that the model's right-hand side at the smoothed states matches the
 * smoothed rates (each state's squared error over its rates' mean square). No ODE is solved, so
 * long series of several cycles cost what short ones do, and the result starts the hybrid stage
 * near a vector field that follows the whole series. Returns the new parameters (owned) only when
 * they fit better than `start` does by `judge` (default: the model's own loss on the series,
 * solved); else undefined, with a note saying why.
 */
export async function gradientMatching(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
  iterations: number,
  judge?: { readonly name: string; readonly loss: (p: EquationsParams) => number },
): Promise<{ params: EquationsParams | undefined; note: string; curve: number[] }> {
  const curve: number[] = [];
  // the step numbers of the progress events: one count over both phases
  let done = 0;
  if (iterations <= 0) return { params: undefined, note: 'gradient matching off', curve };
  const table = rateTable(model, ctx.data);
  if (table === undefined) {
    return {
      params: undefined,
      note: 'no gradient matching (a state is not observed directly, or too few points)',
      curve,
    };
  }
  const matcher = rateMatcher(model, table);
  const { matchLoss } = matcher;
  const withShare = (p: EquationsParams): tf.Scalar =>
    tf.tidy(() => tf.add(matchLoss(p), matcher.networkShare(p)) as tf.Scalar);
  const odeLoss = judge?.loss ?? ((p: EquationsParams): number => seriesLoss(model, p, ctx.data));
  try {
    // the equations may use t, which a table of states from several times cannot give
    try {
      matchLoss(start).dispose();
    } catch (e) {
      if (e instanceof Error && e.name === 'ObservablesError') {
        return { params: undefined, note: `no gradient matching (${e.message})`, curve };
      }
      throw e;
    }
    const lbfgs = async <P extends Parameters<typeof ctx.lbfgs>[0]['params']>(
      params: P,
      loss: (q: P) => tf.Scalar,
      phase: string,
    ) =>
      ctx.lbfgs({
        params,
        loss,
        maxIterations: iterations,
        gradTolerance: 1e-9,
        valueTolerance: 1e-12,
        onIteration: stepReporter(ctx, curve, 'hybrid', phase, (i) => ({ step: done + i, fraction: 0 })),
      });
    checkAborted(ctx.signal);
    const frozen = { physics: start.physics, initial: start.initial };
    const nets = await lbfgs(
      start.networks,
      (n) => matchLoss({ ...frozen, networks: n }),
      'networks by gradient matching, L-BFGS',
    );
    done += nets.iterations + 1;
    const both = await lbfgs(
      { physics: start.physics, networks: nets.params },
      (q) => withShare({ ...q, initial: start.initial }),
      'everything by gradient matching, L-BFGS',
    );
    disposeTree(nets.params);
    const candidate: EquationsParams = {
      physics: both.params.physics,
      networks: both.params.networks,
      initial: Object.fromEntries(Object.entries(start.initial).map(([k, v]) => [k, tf.clone(v)])),
    };
    const before = odeLoss(start);
    const after = odeLoss(candidate);
    const note = `gradient matching on ${table.rows} smoothed points: networks ${nets.reason} after ${nets.iterations} iterations (mismatch ${nets.value.toPrecision(3)}), everything ${both.reason} after ${both.iterations} (mismatch ${both.value.toPrecision(3)}); loss on ${judge?.name ?? 'the series'} ${after.toPrecision(4)} against ${before.toPrecision(4)} without it`;
    if (!(after < before)) {
      disposeTree(candidate);
      return { params: undefined, note: `${note}, so not used`, curve };
    }
    return { params: candidate, note, curve };
  } finally {
    matcher.dispose();
  }
}

/**
 * The data cut into short overlapping segments of `points` rows (the last row of one is the first
 * of the next), each a trajectory of its own whose first row holds the smoothed states there (its
 * start): multiple shooting with the starts taken from the smoother instead of fitted. A model
 * solved on them cannot drift out of phase over several cycles, so its loss has none of the local
 * minima that single shooting on a long oscillating series has. Undefined when a state is not
 * observed directly or not started from the data. Solve it with parameters whose `initial` is
 * empty: the trajectories' first-row corrections (`fitStarts`) are for the data's trajectories.
 */
export function segmentDataset(model: EquationsModel, data: StageContext['data'], points: number): Dataset | undefined {
  const channels = directChannels(model);
  if (channels === undefined || channels.some((c) => !data.channels.includes(c))) return undefined;
  const init = model.spec.initial ?? {};
  if (model.states.some((st) => (init as Record<string, unknown>)[st] !== 'data')) return undefined;
  const trajectories: TrajectoryInput[] = [];
  for (const tr of data.trajectories) {
    const sm = channels.map((ch) => smoothRates(tr.times, tr.values[ch] as Float64Array));
    const n = tr.times.length;
    for (let i0 = 0; i0 < n - 2; i0 += points - 1) {
      const i1 = Math.min(n, i0 + points);
      if (i1 - i0 < 3) break;
      const values: Record<string, number[]> = {};
      for (const ch of data.channels) values[ch] = Array.from((tr.values[ch] as Float64Array).subarray(i0, i1));
      let ok = true;
      channels.forEach((ch, j) => {
        const v = (sm[j] as ReturnType<typeof smoothRates>).value[i0] as number;
        if (Number.isFinite(v)) (values[ch] as number[])[0] = v;
        else ok = false;
      });
      if (!ok) continue;
      trajectories.push({
        id: `${tr.id}:${i0}`,
        times: tr.times.subarray(i0, i1),
        values,
        conditions: tr.conditions,
      });
    }
  }
  if (trajectories.length < 2) return undefined;
  return createDataset({ channels: data.channels, conditions: data.conditions, trajectories });
}

/** The model solved with every trajectory starting at its own first row (for {@link segmentDataset}); undefined when the equations use t. */
export function ownStartsModel(
  model: EquationsModel,
  settings: StageContext['settings'],
  lossScales?: Readonly<Record<string, number>>,
): EquationsModel | undefined {
  const { t0: _t0, ...spec } = model.spec as EquationsModel['spec'] & { t0?: number };
  try {
    return modelFromEquations(spec, {
      starts: 'own',
      stepsizeController: pidController({ rtol: settings.rtol, atol: settings.atol }),
      ...(lossScales === undefined ? {} : { loss: { normalize: lossScales } }),
    });
  } catch (e) {
    if (e instanceof Error && e.name === 'ObservablesError') return undefined;
    throw e;
  }
}

import { cloneTree, disposeTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import type { LbfgsResult } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { checkAborted, type StageContext, type StageOutcome, stepReporter } from './context.js';

/** The networks' parameters with every leaf zero: the networks switched off (output 0). */
export function zeroNetworks(params: EquationsParams): EquationsParams['networks'] {
  const out: Record<string, EquationsParams['networks'][string]> = {};
  for (const [name, net] of Object.entries(params.networks)) {
    out[name] = {
      layers: net.layers.map((l) => ({
        weight: tf.zerosLike(l.weight),
        ...(l.bias ? { bias: tf.zerosLike(l.bias) } : {}),
      })),
    };
  }
  return out;
}

/**
 * Stage 1, the mechanistic fit: networks switched off (zero), the physical parameters (and fitted
 * initial values) from their starting values by L-BFGS on growing prefixes of every series
 * (continuum learning: the early points are where the known physics holds). The losses are
 * smooth because the solves use tight tolerances, so the line searches work; each prefix reports
 * why L-BFGS stopped.
 */
export async function mechanisticStage(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
): Promise<StageOutcome> {
  const { settings, data } = ctx;
  const off = zeroNetworks(start);
  // With networks in the model, the trajectories' first-row corrections (fitStarts) wait for them:
  // with the missing term switched off, a free start is one more way to bend the wrong physics to
  // the data (on a held-out variant the predator's start went from 1.29 to 2.61).
  const fromData = model.spec.initial ?? {};
  const waits = (k: string) => Object.keys(model.networks).length > 0 && fromData[k] === 'data';
  const held = Object.fromEntries(Object.entries(start.initial).filter(([k]) => waits(k)));
  const withHeld = (p: Pick<EquationsParams, 'physics' | 'initial'>): EquationsParams => ({
    physics: p.physics,
    initial: { ...p.initial, ...held },
    networks: off,
  });
  let current = {
    physics: start.physics,
    initial: Object.fromEntries(Object.entries(start.initial).filter(([k]) => !waits(k))),
  };
  const nTrain = Object.keys(current.physics).length + Object.keys(current.initial).length;
  const curve: number[] = [];
  const reasons: string[] = [];
  let owned = false;
  let steps = 0;
  let lastReason = 'completed';
  let firstLoss: number | undefined;
  const total = settings.mechanisticLengths.length * settings.mechanisticIterations;
  if (nTrain === 0) {
    disposeTree(off);
    return {
      params: cloneTree(start),
      curve,
      steps: 0,
      stopReason: 'nothing_to_fit',
      message: 'the model has no parameters to fit.',
    };
  }
  try {
    for (const [k, length] of settings.mechanisticLengths.entries()) {
      checkAborted(ctx.signal);
      let res: LbfgsResult<typeof current>;
      try {
        res = await ctx.lbfgs({
          params: current,
          loss: (p) => model.loss(withHeld(p), data, { length }),
          maxIterations: settings.mechanisticIterations,
          gradTolerance: 1e-7,
          valueTolerance: 1e-12,
          onIteration: stepReporter(
            ctx,
            curve,
            'mechanistic',
            `first ${Math.round(length * 100)} % of the series`,
            (i) => ({
              step: steps + i,
              fraction: Math.min(1, (k * settings.mechanisticIterations + i) / total),
            }),
          ),
        });
      } catch (e) {
        if (!(e instanceof Error && e.name === 'SolveError')) throw e;
        // The solve fails at the starting values on this prefix: keep what the last prefix gave.
        lastReason = 'solve_failed';
        reasons.push(
          `${Math.round(length * 100)} %: the solve failed at the starting values (${e.message.split('\n')[0]}); kept the values before`,
        );
        break;
      }
      steps += res.iterations;
      // The early points are where the known physics holds: when a longer prefix fits clearly worse
      // than the first (its mean squared error over 3x), the physics stops explaining the data there,
      // and the values of the shorter prefix are kept (the network is for the rest).
      firstLoss ??= res.value;
      if (k > 0 && res.value > 3 * firstLoss) {
        disposeTree(res.params);
        lastReason = 'physics_stops_fitting';
        reasons.push(
          `${Math.round(length * 100)} %: loss ${res.value.toPrecision(4)}, over 3x the first prefix's ${firstLoss.toPrecision(4)}: the known physics does not explain the data beyond ${Math.round((settings.mechanisticLengths[k - 1] as number) * 100)} %, so its values are kept`,
        );
        break;
      }
      // Values that fit a prefix but make the solve fail on the whole series (a rate pushed to
      // where the state blows up just after the prefix) would break every later stage: keep the
      // values before.
      if (length < 1 && !solvesWhole(model, withHeld(res.params), data)) {
        disposeTree(res.params);
        lastReason = 'unstable_beyond_prefix';
        reasons.push(
          `${Math.round(length * 100)} %: loss ${res.value.toPrecision(4)}, but with these values the solve fails on the whole series, so the values before are kept`,
        );
        break;
      }
      if (owned) disposeTree(current);
      current = res.params;
      owned = true;
      lastReason = res.reason;
      reasons.push(
        `${Math.round(length * 100)} %: ${res.reason} after ${res.iterations} iterations (loss ${res.value.toPrecision(4)})`,
      );
      await ctx.predictions('mechanistic', model, withHeld(current));
    }
  } finally {
    disposeTree(off);
  }
  // Nothing kept from a fit (the first prefix failed): the starting values, as a copy (the caller
  // frees `start`).
  if (!owned) current = cloneTree(current);
  const params: EquationsParams = {
    physics: current.physics,
    initial: { ...current.initial, ...cloneTree(held) },
    networks: cloneTree(start.networks),
  };
  return { params, curve, steps, stopReason: lastReason, message: `L-BFGS per prefix — ${reasons.join('; ')}.` };
}

/** The model's loss on the whole data with `params`, as a number: +Infinity for a failed solve or a non-finite loss. */
export function seriesLoss(model: EquationsModel, params: EquationsParams, data: StageContext['data']): number {
  try {
    const l = model.loss(params, data);
    const v = l.dataSync()[0] as number;
    l.dispose();
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  } catch (e) {
    if (e instanceof Error && e.name === 'SolveError') return Number.POSITIVE_INFINITY;
    throw e;
  }
}

/** Whether the model solves on the whole data with `params` (a finite loss, no failed solve). */
export function solvesWhole(model: EquationsModel, params: EquationsParams, data: StageContext['data']): boolean {
  return Number.isFinite(seriesLoss(model, params, data));
}

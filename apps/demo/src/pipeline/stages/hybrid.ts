import { cloneTree, disposeTree, type TensorTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { fit } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { tidyNumbers } from '../numbers.js';
import { stageAdam } from '../parameter-scales.js';
import {
  directChannels,
  gradientMatching,
  ownStartsModel,
  rateMatcher,
  rateTable,
  segmentDataset,
} from './collocation.js';
import { checkAborted, type StageContext, type StageOutcome, stepReporter } from './context.js';
import { seriesLoss } from './mechanistic.js';
import { smoothRates } from './smooth-rates.js';

/** Segment lengths (points) of the multiple-shooting phases, shortest first. */
const SEGMENT_POINTS = [6, 12, 24, 48] as const;

/**
 * Stage 2, the hybrid model. First the talk's curriculum: physics frozen, networks (started near
 * zero) by Adam on growing prefixes, L-BFGS on the networks, then everything together (Adam,
 * ending at its best iterate, then L-BFGS); when that misses the data and the mechanistic fit
 * moved the physics far from `guesses` (the user's starting values), once more from those, keeping
 * the better (see {@link fromGuessesToo}). When every state is observed directly and that model
 * misses the data by more than twice the noise floor estimated from them (long series of several
 * cycles, where it falls behind prefix after prefix), the stage starts again from gradient
 * matching against the data's smoothed rates (no solve), multiple shooting on short segments (6
 * to 48 points, starts from the smoother), L-BFGS on growing prefixes and on the whole series,
 * everything trained, each phase after the segments kept only when the whole series fits no
 * worse; the better of the two models (loss on the series) is kept. `fit`'s NaN guard stops a run
 * that blows up with the last good parameters; the stage then goes on with those.
 */
export async function hybridStage(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
  guesses?: Pick<EquationsParams, 'physics' | 'initial'>,
): Promise<StageOutcome> {
  const floor = noiseFloor(model, ctx.data, ctx.lossScales);
  const first = await fromGuessesToo(model, start, ctx, floor, guesses);
  const plain = first.outcome;
  const plainLoss = seriesLoss(model, plain.params, ctx.data);
  if (floor === undefined || ctx.settings.collocationIterations === 0) return plain;
  const ratio = `${(plainLoss / floor).toPrecision(3)}x the noise floor estimated from the data`;
  if (plainLoss <= FIT_FACTOR * floor) {
    return { ...plain, message: tidyNumbers(`${plain.message.replace(/\.$/, '')}; fits to ${ratio}.`) };
  }
  checkAborted(ctx.signal);
  const other = await matchedHybrid(model, first.start, ctx, plain.steps);
  if (other === undefined) {
    return {
      ...plain,
      message: tidyNumbers(`${plain.message.replace(/\.$/, '')}; ${ratio}, and gradient matching did not help.`),
    };
  }
  const otherLoss = seriesLoss(model, other.params, ctx.data);
  const both = {
    curve: [...plain.curve, ...other.curve],
    steps: other.steps,
  };
  if (otherLoss < plainLoss) {
    disposeTree(plain.params);
    return {
      ...other,
      ...both,
      message: tidyNumbers(
        `From near-zero networks: ${plain.message.replace(/\.$/, '')}; ${ratio}, so again from gradient matching — ${other.message.replace(/\.$/, '')}; kept this (loss ${otherLoss.toPrecision(4)} against ${plainLoss.toPrecision(4)}).`,
      ),
    };
  }
  disposeTree(other.params);
  return {
    ...plain,
    ...both,
    message: tidyNumbers(
      `${plain.message.replace(/\.$/, '')}; ${ratio}; from gradient matching the loss was ${otherLoss.toPrecision(4)}, so this is kept.`,
    ),
  };
}

/** How far above the noise floor the hybrid's loss may be and still count as fitting the data. */
const FIT_FACTOR = 2;

/** How far (relative) a physical parameter must have moved in the mechanistic fit to count as moved. */
const MOVED = 0.2;

/**
 * The curriculum from the mechanistic fit's values and, when that misses the data (over
 * {@link FIT_FACTOR} times the noise floor, or any failed solve) or its joint phases stopped on a
 * failed solve (the physics never trained with the networks), and the mechanistic fit moved a
 * parameter by over {@link MOVED} of its starting value, once more from the starting values: the
 * physics fitted with the networks off can absorb the missing term into the known rates along a
 * short prefix (a prey's growth rate 30x too high and a crowding term for a predation term), and
 * frozen there it leaves the networks a large physics error to learn. The start whose model fits
 * the series better is kept, with the values it started from (for the second start).
 */
async function fromGuessesToo(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
  floor: number | undefined,
  guesses: Pick<EquationsParams, 'physics' | 'initial'> | undefined,
): Promise<{ outcome: StageOutcome; start: EquationsParams }> {
  const plain = await plainHybrid(model, start, ctx);
  const moved = guesses === undefined ? [] : movedParameters(start.physics, guesses.physics);
  if (guesses === undefined || moved.length === 0) return { outcome: plain, start };
  const loss = seriesLoss(model, plain.params, ctx.data);
  // Fitting within the floor is not enough when the joint phases could not run (a solve failed in
  // them): the physics then stayed where the mechanistic fit left it.
  if (floor !== undefined && loss <= FIT_FACTOR * floor && plain.stopReason !== 'nonfinite') {
    return { outcome: plain, start };
  }
  checkAborted(ctx.signal);
  const from: EquationsParams = { physics: guesses.physics, initial: guesses.initial, networks: start.networks };
  const other = await plainHybrid(model, from, ctx);
  const otherLoss = seriesLoss(model, other.params, ctx.data);
  const what = `the mechanistic fit moved ${moved.join(', ')}`;
  const took = otherLoss < loss;
  disposeTree(took ? plain.params : other.params);
  const kept = took ? other : plain;
  return {
    outcome: {
      ...kept,
      curve: [...plain.curve, ...other.curve],
      steps: plain.steps + other.steps,
      message: tidyNumbers(
        took
          ? `From the mechanistic fit's values: ${plain.message.replace(/\.$/, '')} (loss ${loss.toPrecision(4)}); ${what}, so again from the starting values: ${other.message.replace(/\.$/, '')}; kept this (loss ${otherLoss.toPrecision(4)}).`
          : `${plain.message.replace(/\.$/, '')}; ${what}, and from the starting values the loss was ${otherLoss.toPrecision(4)} against ${loss.toPrecision(4)}, so this is kept.`,
      ),
    },
    start: took ? from : start,
  };
}

/** The physical parameters whose values moved by over {@link MOVED} of their starting values ("alpha 0.815 → 25.6"). */
function movedParameters(fitted: EquationsParams['physics'], guesses: EquationsParams['physics']): string[] {
  const out: string[] = [];
  for (const [name, g] of Object.entries(guesses)) {
    const f = fitted[name];
    if (f === undefined) continue;
    const a = g.dataSync();
    const b = f.dataSync();
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number;
      const y = b[i] as number;
      if (Math.abs(y - x) > MOVED * Math.max(Math.abs(x), 1e-3)) {
        out.push(`${name} ${Number(x.toPrecision(3))} → ${Number(y.toPrecision(3))}`);
        break;
      }
    }
  }
  return out;
}

/**
 * The loss a model that follows the data to their noise would have (the model's loss is the mean
 * squared residual over the observed values): the mean of each directly observed channel's
 * leave-one-out residual of the local smoother, squared, weighted by its values. Undefined when a
 * state is not observed directly (as for gradient matching).
 */
export function noiseFloor(
  model: EquationsModel,
  data: StageContext['data'],
  scales: Readonly<Record<string, number>> = {},
): number | undefined {
  const channels = directChannels(model);
  if (channels === undefined || channels.some((c) => !data.channels.includes(c))) return undefined;
  let sum = 0;
  let n = 0;
  for (const tr of data.trajectories) {
    for (const ch of data.channels) {
      const col = tr.values[ch] as Float64Array;
      const count = col.filter(Number.isFinite).length;
      const s = smoothRates(tr.times, col);
      if (!Number.isFinite(s.looRms)) continue;
      const r = s.looRms / (scales[ch] ?? 1);
      sum += r * r * count;
      n += count;
    }
  }
  return n > 0 && sum > 0 ? sum / n : undefined;
}

/** The talk's curriculum from near-zero networks (the stage before gradient matching). */
async function plainHybrid(model: EquationsModel, start: EquationsParams, ctx: StageContext): Promise<StageOutcome> {
  const { settings, data } = ctx;
  const adamStages = settings.hybridLengths.map((length) => ({
    name: `networks on ${Math.round(length * 100)} %`,
    train: 'networks',
    length,
    steps: settings.hybridSteps,
  }));
  const total =
    adamStages.reduce((n, s) => n + s.steps, 0) +
    settings.networkIterations +
    settings.jointSteps +
    settings.jointIterations;
  const res = await fit({
    params: start,
    loss: (p, _b, c) => model.loss(p, data, { length: c.length }),
    optimizer: stageAdam(ctx, settings.learningRate),
    stages: adamStages,
    seed: ctx.seed,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    onStep: async (info) => {
      await ctx.emit({
        type: 'step',
        stage: 'hybrid',
        step: info.step,
        loss: info.loss,
        fraction: (info.step + 1) / total,
        phase: info.stageName,
      });
      if ((info.step + 1) % 50 === 0) await ctx.predictions('hybrid', model, info.params);
    },
  });
  if (res.stopReason === 'aborted') {
    disposeTree(res.params);
    const e = new Error('the run was stopped');
    e.name = 'AbortError';
    throw e;
  }
  let params = res.params;
  const curve = [...res.history];
  let steps = res.steps;
  const notes = [
    `Adam — ${res.stages.map((s) => `${s.name}: ${s.steps} steps, loss ${s.finalLoss.toPrecision(4)}`).join('; ')} (${res.stopReason})`,
  ];
  let stopReason: string = res.stopReason;
  // L-BFGS, networks only, physics still frozen: a few dozen iterations take the small network to
  // the minimum where Adam would need thousands of steps (the loss is smooth at these tolerances).
  if (settings.networkIterations > 0 && res.stopReason !== 'nonfinite') {
    checkAborted(ctx.signal);
    const frozen = { physics: params.physics, initial: params.initial };
    try {
      const lb = await ctx.lbfgs({
        params: params.networks,
        loss: (n) => model.loss({ ...frozen, networks: n }, data),
        maxIterations: settings.networkIterations,
        gradTolerance: 1e-8,
        valueTolerance: 1e-12,
        onIteration: stepReporter(ctx, curve, 'hybrid', 'networks, L-BFGS', (i) => ({
          step: steps + i,
          fraction: Math.min(1, (steps + i) / total),
        })),
      });
      disposeTree(params.networks);
      params = { ...frozen, networks: lb.params };
      steps += lb.iterations;
      stopReason = lb.reason;
      notes.push(
        `L-BFGS on the networks: ${lb.reason} after ${lb.iterations} iterations (loss ${lb.value.toPrecision(4)})`,
      );
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      notes.push(`L-BFGS on the networks could not start (${e.message.split('\n')[0]})`);
    }
  }
  // Then everything together, briefly (Adam at a third of the rate; NaN guard), ending at the best
  // iterate, not the last: the phase's last steps may oscillate.
  if (settings.jointSteps > 0) {
    const joint = await jointAdam(model, params, ctx, curve, steps, total);
    params = joint.params;
    steps = joint.steps;
    stopReason = joint.stopReason;
    notes.push(joint.note);
  }
  // And L-BFGS on everything: the joint minimum, which Adam approaches slowly. Directions the data
  // cannot tell apart (a known term's parameter against the same term inside a network) are
  // sorted out later: the search judges expressions with the known terms free.
  if (settings.jointIterations > 0 && stopReason !== 'nonfinite') {
    checkAborted(ctx.signal);
    try {
      const lb = await ctx.lbfgs({
        params,
        loss: (q) => model.loss(q, data),
        maxIterations: settings.jointIterations,
        gradTolerance: 1e-8,
        valueTolerance: 1e-12,
        onIteration: stepReporter(ctx, curve, 'hybrid', 'everything, L-BFGS', (i) => ({
          step: steps + i,
          fraction: Math.min(1, (steps + i) / total),
        })),
      });
      disposeTree(params);
      params = lb.params;
      steps += lb.iterations;
      stopReason = lb.reason;
      notes.push(
        `L-BFGS on everything: ${lb.reason} after ${lb.iterations} iterations (loss ${lb.value.toPrecision(4)})`,
      );
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      notes.push(`L-BFGS on everything could not start (${e.message.split('\n')[0]})`);
    }
  }
  return { params, curve, steps, stopReason, message: tidyNumbers(`${notes.join('; ')}.`) };
}

/** The stage from gradient matching (undefined when gradient matching is not used). */
async function matchedHybrid(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
  firstStep: number,
): Promise<StageOutcome | undefined> {
  const { settings, data } = ctx;
  const total =
    settings.hybridLengths.length * (settings.hybridSteps + settings.networkIterations) +
    settings.jointSteps +
    settings.jointIterations;
  const curve: number[] = [];
  let steps = firstStep;
  const notes: string[] = [];
  let stopReason = 'completed';
  // First, without solving: the networks (then everything) by gradient matching against the data's
  // smoothed rates, so that the solves below start near a field that follows the whole series.
  // Judged on the shortest segments where the data can be cut (a field that follows the data
  // locally can still drift out of phase, or blow up, over a long series: the segments below are
  // for that), else on the whole series.
  const segModel = ownStartsModel(model, settings, ctx.lossScales);
  const firstSegments = segModel !== undefined ? segmentDataset(model, data, SEGMENT_POINTS[0]) : undefined;
  const matched = await gradientMatching(
    model,
    start,
    ctx,
    settings.collocationIterations,
    segModel !== undefined && firstSegments !== undefined
      ? {
          name: `segments of ${SEGMENT_POINTS[0]} points`,
          // segments start at the smoothed states, not at the trajectories' corrected first rows
          loss: (p) => seriesLoss(segModel, { ...p, initial: {} }, firstSegments),
        }
      : undefined,
  );
  curve.push(...matched.curve);
  steps += matched.curve.length;
  notes.push(matched.note);
  if (matched.params === undefined) return undefined;
  let params = matched.params;
  const fullLoss = (p: EquationsParams): number => seriesLoss(model, p, data);
  let bestFull = matched.params !== undefined ? fullLoss(params) : undefined;
  /** L-BFGS on `which` with `loss`; keeps the result, or notes why it could not start. */
  const lbfgsPhase = async (
    which: 'networks' | 'everything',
    loss: (p: EquationsParams) => tf.Scalar,
    phase: string,
    maxIterations: number,
    guard = true,
  ): Promise<string> => {
    checkAborted(ctx.signal);
    const frozen = { physics: params.physics, initial: params.initial };
    try {
      const onIteration = stepReporter(ctx, curve, 'hybrid', phase, (i) => ({
        step: steps + i,
        fraction: Math.min(1, (steps + i) / total),
      }));
      const opts = { maxIterations, gradTolerance: 1e-8, valueTolerance: 1e-12, onIteration };
      let reason: string;
      let iterations: number;
      let value: number;
      let next: EquationsParams;
      if (which === 'networks') {
        const lb = await ctx.lbfgs({
          ...opts,
          params: params.networks,
          loss: (n) => loss({ ...frozen, networks: n }),
        });
        next = { ...frozen, networks: lb.params };
        ({ reason, iterations, value } = lb);
      } else {
        const lb = await ctx.lbfgs({ ...opts, params, loss });
        next = lb.params;
        ({ reason, iterations, value } = lb);
      }
      steps += iterations;
      const done = `L-BFGS ${reason} after ${iterations} iterations (loss ${value.toPrecision(4)})`;
      // From a gradient-matching start, a phase is kept only when the whole series fits at least
      // as well after it: a phase on part of the data (a prefix, segments) may fit that part by
      // a field that fails beyond it.
      if (bestFull !== undefined && guard) {
        const after = fullLoss(next);
        if (!(after <= bestFull)) {
          if (which === 'networks') disposeTree(next.networks);
          else disposeTree(next);
          return `${done}, not kept (loss on the series ${after.toPrecision(4)} against ${bestFull.toPrecision(4)} before)`;
        }
        bestFull = after;
      }
      if (which === 'networks') disposeTree(params.networks);
      else disposeTree(params);
      params = next;
      stopReason = reason;
      return done;
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      return `L-BFGS could not start (${e.message.split('\n')[0]})`;
    }
  };
  // Then multiple shooting on short segments (starts from the smoother), everything trained: a
  // solve over a few points cannot drift out of phase, so this finds the field where single
  // shooting on a long series of several cycles stalls in a local minimum.
  const table = matched.params !== undefined ? rateTable(model, data) : undefined;
  const matcher = table !== undefined ? rateMatcher(model, table) : undefined;
  /** `loss` plus the networks' small share of the rates when the start came from gradient matching. */
  const shared =
    (loss: (p: EquationsParams) => tf.Scalar) =>
    (p: EquationsParams): tf.Scalar =>
      matcher === undefined ? loss(p) : tf.tidy(() => tf.add(loss(p), matcher.networkShare(p)) as tf.Scalar);
  try {
    if (
      segModel !== undefined &&
      matcher !== undefined &&
      matched.params !== undefined &&
      settings.networkIterations > 0
    ) {
      for (const points of SEGMENT_POINTS) {
        const seg = segmentDataset(model, data, points);
        if (seg === undefined) break;
        const msg = await lbfgsPhase(
          'everything',
          shared((p) => segModel.loss({ ...p, initial: {} }, seg)),
          `everything on segments of ${points} points, L-BFGS`,
          settings.networkIterations,
          false,
        );
        notes.push(`segments of ${points} points (${seg.trajectories.length}): ${msg}`);
      }
      // the reference for the phases on the whole series or its prefixes below
      bestFull = fullLoss(params);
    }
    // Per prefix (continuum learning), everything by L-BFGS, each prefix kept only when the whole
    // series fits no worse after it.
    for (const length of settings.hybridLengths) {
      const pct = `${Math.round(length * 100)} %`;
      let note = `${pct}:`;
      if (settings.networkIterations > 0) {
        note += ` ${await lbfgsPhase(
          'everything',
          shared((p) => model.loss(p, data, { length })),
          `everything on ${pct}, L-BFGS`,
          settings.networkIterations,
        )}`;
      }
      notes.push(note);
      await ctx.predictions('hybrid', model, params);
    }
  } finally {
    matcher?.dispose();
  }
  // Then everything together, briefly (Adam at a third of the rate; NaN guard), ending at the best
  // iterate, not the last: the phase's last steps may oscillate.
  if (settings.jointSteps > 0) {
    const joint = await jointAdam(model, params, ctx, curve, steps, total);
    params = joint.params;
    steps = joint.steps;
    stopReason = joint.stopReason;
    if (bestFull !== undefined) bestFull = Math.min(bestFull, joint.loss);
    notes.push(joint.note);
  }
  // And L-BFGS on everything: the joint minimum, which Adam approaches slowly. Directions the data
  // cannot tell apart (a known term's parameter against the same term inside a network) are
  // sorted out later: the search judges expressions with the known terms free.
  if (settings.jointIterations > 0 && stopReason !== 'nonfinite') {
    const msg = await lbfgsPhase(
      'everything',
      (q) => model.loss(q, data),
      'everything, L-BFGS',
      settings.jointIterations,
    );
    notes.push(`L-BFGS on everything: ${msg.replace(/^L-BFGS /, '')}`);
  }
  return { params, curve, steps, stopReason, message: tidyNumbers(`${notes.join('; ')}.`) };
}

/**
 * The joint phase: everything by Adam at a third of the learning rate for `jointSteps` steps from
 * `params` (owned; freed), ending at the best iterate by the loss on the whole series. Pushes the
 * loss curve onto `curve` and emits progress from step `first`; throws an `AbortError` when the
 * run is stopped.
 */
async function jointAdam(
  model: EquationsModel,
  params: EquationsParams,
  ctx: StageContext,
  curve: number[],
  first: number,
  total: number,
): Promise<{ params: EquationsParams; loss: number; steps: number; stopReason: string; note: string }> {
  const { settings, data } = ctx;
  const best = keepBest(params);
  const joint = await fit({
    params,
    loss: (p) => model.loss(p, data),
    optimizer: stageAdam(ctx, settings.learningRate / 3),
    steps: settings.jointSteps,
    seed: ctx.seed,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    onStep: async (info) => {
      best.step(info.loss, info.params);
      await ctx.emit({
        type: 'step',
        stage: 'hybrid',
        step: first + info.step,
        loss: info.loss,
        fraction: Math.min(1, (first + info.step + 1) / total),
        phase: 'everything',
      });
    },
  });
  disposeTree(params);
  curve.push(...joint.history);
  if (joint.stopReason === 'aborted') {
    best.dispose();
    disposeTree(joint.params);
    const e = new Error('the run was stopped');
    e.name = 'AbortError';
    throw e;
  }
  const kept = best.finish(joint.params, (p) => seriesLoss(model, p, data));
  return {
    params: kept.params,
    loss: kept.loss,
    steps: first + joint.steps,
    stopReason: joint.stopReason,
    note: `everything, Adam: ${joint.message.replace(/\.$/, '')}; kept ${kept.last ? 'the last iterate' : `the best iterate (loss ${kept.loss.toPrecision(4)})`}`,
  };
}

/**
 * Tracks the best iterate of a `fit` run from its `onStep` calls: `fit` reports each step's loss
 * with the parameters after that step's update, so the loss belongs to the parameters of the call
 * before (or the start). `finish` takes the run's final parameters (owned) and returns the better of
 * them and the best iterate, by `lossOf` for the final ones; it frees the other.
 */
export function keepBest<P extends TensorTree>(start: P) {
  let before: P = cloneTree(start);
  let best: { loss: number; params: P } | undefined;
  return {
    step(loss: number, after: P): void {
      if (Number.isFinite(loss) && (best === undefined || loss < best.loss)) {
        if (best !== undefined) disposeTree(best.params);
        best = { loss, params: before };
      } else disposeTree(before);
      before = cloneTree(after);
    },
    finish(last: P, lossOf: (p: P) => number): { params: P; loss: number; last: boolean } {
      disposeTree(before);
      const lastLoss = lossOf(last);
      if (best === undefined || lastLoss <= best.loss) {
        if (best !== undefined) disposeTree(best.params);
        return { params: last, loss: lastLoss, last: true };
      }
      disposeTree(last);
      return { params: best.params, loss: best.loss, last: false };
    },
    dispose(): void {
      disposeTree(before);
      if (best !== undefined) disposeTree(best.params);
    },
  };
}

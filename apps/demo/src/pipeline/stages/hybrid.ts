import { cloneTree, disposeTree, type TensorTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { adam, fit } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { tidyNumbers } from '../numbers.js';
import { gradientMatching, ownStartsModel, rateMatcher, rateTable, segmentDataset } from './collocation.js';
import { checkAborted, type StageContext, type StageOutcome } from './context.js';
import { seriesLoss } from './mechanistic.js';

/** Segment lengths (points) of the multiple-shooting phases, shortest first. */
const SEGMENT_POINTS = [6, 12, 24, 48] as const;

/**
 * Stage 2, the hybrid model. When every state is observed directly: gradient matching against the
 * data's smoothed rates (no solve), multiple shooting on short segments (6 to 48 points, starts
 * from the smoother), L-BFGS on growing prefixes and on the whole series, everything trained, each
 * phase after the segments kept only when the whole series fits no worse. Otherwise the talk's
 * curriculum: physics frozen, networks (started near zero) by Adam and L-BFGS on growing
 * prefixes. Both end with everything together (Adam, ending at its best iterate, then L-BFGS).
 * `fit`'s NaN guard stops a run that blows up with the last good parameters; the stage then goes
 * on with those.
 */
export async function hybridStage(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
): Promise<StageOutcome> {
  const { settings, data } = ctx;
  const total =
    settings.hybridLengths.length * (settings.hybridSteps + settings.networkIterations) +
    settings.jointSteps +
    settings.jointIterations;
  const curve: number[] = [];
  let steps = 0;
  const notes: string[] = [];
  let stopReason = 'completed';
  // First, without solving: the networks (then everything) by gradient matching against the data's
  // smoothed rates, so that the solves below start near a field that follows the whole series.
  // Judged on the shortest segments where the data can be cut (a field that follows the data
  // locally can still drift out of phase, or blow up, over a long series: the segments below are
  // for that), else on the whole series.
  const segModel = ownStartsModel(model, settings);
  const firstSegments = segModel !== undefined ? segmentDataset(model, data, SEGMENT_POINTS[0]) : undefined;
  const matched = await gradientMatching(
    model,
    start,
    ctx,
    settings.collocationIterations,
    segModel !== undefined && firstSegments !== undefined
      ? {
          name: `segments of ${SEGMENT_POINTS[0]} points`,
          loss: (p) => seriesLoss(segModel, p, firstSegments),
        }
      : undefined,
  );
  curve.push(...matched.curve);
  steps += matched.curve.length;
  notes.push(matched.note);
  let params = matched.params ?? cloneTree(start);
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
      const onIteration = ({ iteration, value }: { iteration: number; value: number }) => {
        curve.push(value);
        ctx.emitNow({
          type: 'step',
          stage: 'hybrid',
          step: steps + iteration,
          loss: value,
          fraction: Math.min(1, (steps + iteration) / total),
          phase,
        });
      };
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
          shared((p) => segModel.loss(p, seg)),
          `everything on segments of ${points} points, L-BFGS`,
          settings.networkIterations,
          false,
        );
        notes.push(`segments of ${points} points (${seg.trajectories.length}): ${msg}`);
      }
      // the reference for the phases on the whole series or its prefixes below
      bestFull = fullLoss(params);
    }
    // Per prefix (continuum learning): without a start from the smoothed data, Adam from where the
    // last prefix ended; then L-BFGS on the networks, physics frozen. L-BFGS takes the small
    // networks to the prefix's minimum where Adam alone would need thousands of steps (the loss is
    // smooth at these tolerances), so each longer prefix starts from a model that follows the shorter
    // one; Adam alone fell behind on long series of several cycles, and the networks learned a wrong
    // term there.
    const adamSteps = matched.params === undefined ? settings.hybridSteps : 0;
    for (const length of settings.hybridLengths) {
      const pct = `${Math.round(length * 100)} %`;
      const name = `networks on ${pct}`;
      let note = `${pct}:`;
      if (adamSteps > 0) {
        const res = await fit({
          params,
          loss: (p, _b, c) => model.loss(p, data, { length: c.length }),
          optimizer: adam({ learningRate: settings.learningRate }),
          stages: [{ name, train: 'networks', length, steps: adamSteps }],
          seed: ctx.seed,
          ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
          onStep: async (info) => {
            await ctx.emit({
              type: 'step',
              stage: 'hybrid',
              step: steps + info.step,
              loss: info.loss,
              fraction: Math.min(1, (steps + info.step + 1) / total),
              phase: name,
            });
            if ((info.step + 1) % 50 === 0) await ctx.predictions('hybrid', model, info.params);
          },
        });
        disposeTree(params);
        if (res.stopReason === 'aborted') {
          disposeTree(res.params);
          const e = new Error('the run was stopped');
          e.name = 'AbortError';
          throw e;
        }
        params = res.params;
        curve.push(...res.history);
        steps += res.steps;
        stopReason = res.stopReason;
        note += ` Adam ${res.steps} steps, loss ${(res.stages[0]?.finalLoss ?? Number.NaN).toPrecision(4)} (${res.stopReason}),`;
      }
      if (settings.networkIterations > 0) {
        note += ` ${await lbfgsPhase(
          matcher === undefined ? 'networks' : 'everything',
          shared((p) => model.loss(p, data, { length })),
          `${matcher === undefined ? name : `everything on ${pct}`}, L-BFGS`,
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
    const best = keepBest(params);
    const joint = await fit({
      params,
      loss: (p) => model.loss(p, data),
      optimizer: adam({ learningRate: settings.learningRate / 3 }),
      steps: settings.jointSteps,
      seed: ctx.seed,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onStep: async (info) => {
        best.step(info.loss, info.params);
        await ctx.emit({
          type: 'step',
          stage: 'hybrid',
          step: steps + info.step,
          loss: info.loss,
          fraction: Math.min(1, (steps + info.step + 1) / total),
          phase: 'everything',
        });
      },
    });
    disposeTree(params);
    curve.push(...joint.history);
    steps += joint.steps;
    stopReason = joint.stopReason;
    if (joint.stopReason === 'aborted') {
      best.dispose();
      disposeTree(joint.params);
      const e = new Error('the run was stopped');
      e.name = 'AbortError';
      throw e;
    }
    const kept = best.finish(joint.params, fullLoss);
    params = kept.params;
    if (bestFull !== undefined) bestFull = Math.min(bestFull, kept.loss);
    notes.push(
      `everything, Adam: ${joint.message.replace(/\.$/, '')}; kept ${kept.last ? 'the last iterate' : `the best iterate (loss ${kept.loss.toPrecision(4)})`}`,
    );
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

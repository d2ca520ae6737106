import { cloneTree, disposeTree, type TensorTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { adam, fit } from '@odekit/train';
import { tidyNumbers } from '../numbers.js';
import { checkAborted, type StageContext, type StageOutcome } from './context.js';

/**
 * Stage 2, the hybrid model: the physics frozen and the networks (started near zero) trained by
 * Adam on growing prefixes of the series (continuum learning), then everything together briefly
 * at a lower learning rate. `fit`'s NaN guard stops a run that blows up with the last good
 * parameters; the stage then goes on with those.
 */
export async function hybridStage(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
): Promise<StageOutcome> {
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
    optimizer: adam({ learningRate: settings.learningRate }),
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
        onIteration: ({ iteration, value }) => {
          curve.push(value);
          ctx.emitNow({
            type: 'step',
            stage: 'hybrid',
            step: steps + iteration,
            loss: value,
            fraction: Math.min(1, (steps + iteration) / total),
            phase: 'networks, L-BFGS',
          });
        },
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
    const kept = best.finish(joint.params, (p) => {
      try {
        const l = model.loss(p, data);
        const v = l.dataSync()[0] as number;
        l.dispose();
        return v;
      } catch (e) {
        if (!(e instanceof Error && e.name === 'SolveError')) throw e;
        return Number.POSITIVE_INFINITY;
      }
    });
    params = kept.params;
    notes.push(
      `everything, Adam: ${joint.message.replace(/\.$/, '')}; kept ${kept.last ? 'the last iterate' : `the best iterate (loss ${kept.loss.toPrecision(4)})`}`,
    );
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
        onIteration: ({ iteration, value }) => {
          curve.push(value);
          ctx.emitNow({
            type: 'step',
            stage: 'hybrid',
            step: steps + iteration,
            loss: value,
            fraction: Math.min(1, (steps + iteration) / total),
            phase: 'everything, L-BFGS',
          });
        },
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

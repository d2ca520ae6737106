import { disposeTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { adam, fit } from '@odekit/train';
import type { StageContext, StageOutcome } from './context.js';

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
  const stages = [
    ...settings.hybridLengths.map((length) => ({
      name: `networks on ${Math.round(length * 100)} %`,
      train: 'networks',
      length,
      steps: settings.hybridSteps,
    })),
    {
      name: 'everything',
      train: 'all',
      length: 1,
      steps: settings.jointSteps,
      optimizer: adam({ learningRate: settings.learningRate / 3 }),
    },
  ];
  const total = stages.reduce((n, s) => n + s.steps, 0);
  const every = 10;
  const res = await fit({
    params: start,
    loss: (p, _b, c) => model.loss(p, data, { length: c.length }),
    optimizer: adam({ learningRate: settings.learningRate }),
    stages,
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
      if ((info.step + 1) % (every * 5) === 0) await ctx.predictions('hybrid', model, info.params);
    },
  });
  if (res.stopReason === 'aborted') {
    const e = new Error('the run was stopped');
    e.name = 'AbortError';
    disposeTree(res.params);
    throw e;
  }
  const per = res.stages.map((s) => `${s.name}: ${s.steps} steps, loss ${s.finalLoss.toPrecision(4)}`).join('; ');
  return {
    params: res.params,
    curve: res.history,
    steps: res.steps,
    stopReason: res.stopReason,
    message: `Adam — ${per}. ${res.message}`,
  };
}

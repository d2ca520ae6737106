import { cloneTree, disposeTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { adam, fit, lbfgs } from '@odekit/train';
import { checkAborted, type StageContext, type StageOutcome } from './context.js';
import type { NetworkDiscovery } from './symbolic.js';

const isSolveError = (e: unknown): e is Error => e instanceof Error && e.name === 'SolveError';

/**
 * Stage 4, the refit: every network call replaced by its found expression, whose constants become
 * trainable parameters; then all parameters and constants refit differentiably by L-BFGS on growing
 * prefixes (half the series, then all of it). It survives failed solves: a trial point whose solve
 * fails counts as an infinite loss (the line search steps back); a start where the solve fails
 * falls back to Adam with `fit`'s NaN guard (which keeps the last good values); and if even that
 * cannot take a step, the found constants are kept as they are. It never throws for a failed solve.
 */
export async function refitStage(
  model: EquationsModel,
  params: EquationsParams,
  found: readonly NetworkDiscovery[],
  ctx: StageContext,
): Promise<StageOutcome & { model: EquationsModel }> {
  let m = model;
  let p = params;
  let owned = false;
  for (const d of found) {
    const next = m.substitute(d.call.name, d.expr, { params: p, variables: d.call.variables });
    if (owned) disposeTree(p);
    m = next.model;
    p = next.params;
    owned = true;
  }
  const { data, settings } = ctx;
  const curve: number[] = [];
  const notes: string[] = [];
  let steps = 0;
  let stopReason = 'completed';
  const lengths = [0.5, 1];
  const iters = Math.max(1, Math.round(settings.refitIterations / lengths.length));
  let failedAtStart = false;
  for (const [k, length] of lengths.entries()) {
    checkAborted(ctx.signal);
    try {
      const res = lbfgs({
        params: p,
        loss: (q) => m.loss(q, data, { length }),
        maxIterations: iters,
        gradTolerance: 1e-8,
        valueTolerance: 1e-12,
        onIteration: ({ iteration, value }) => {
          curve.push(value);
          ctx.emitNow({
            type: 'step',
            stage: 'refit',
            step: steps + iteration,
            loss: value,
            fraction: Math.min(1, (k * iters + iteration) / (lengths.length * iters)),
            phase: `L-BFGS on ${Math.round(length * 100)} %`,
          });
        },
      });
      if (owned) disposeTree(p);
      p = res.params;
      owned = true;
      steps += res.iterations;
      stopReason = res.reason;
      notes.push(
        `${Math.round(length * 100)} %: ${res.reason} after ${res.iterations} iterations (loss ${res.value.toPrecision(4)})`,
      );
    } catch (e) {
      if (!isSolveError(e)) throw e;
      failedAtStart = true;
      notes.push(`${Math.round(length * 100)} %: the solve failed at the start (${e.message.split('\n')[0]})`);
      break;
    }
  }
  if (failedAtStart) {
    // Step back: small Adam steps with the NaN guard, which stops at the last good values.
    const res = await fit({
      params: p,
      loss: (q) => m.loss(q, data),
      optimizer: adam({ learningRate: settings.learningRate / 10 }),
      steps: 200,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    if (owned) disposeTree(p);
    p = res.params;
    owned = true;
    curve.push(...res.history);
    steps += res.steps;
    stopReason = res.stopReason === 'completed' ? 'fallback_adam' : `fallback_adam_${res.stopReason}`;
    notes.push(`fell back to Adam: ${res.message}`);
  }
  if (!owned) p = cloneTree(p);
  await ctx.predictions('refit', m, p);
  return { model: m, params: p, curve, steps, stopReason, message: `L-BFGS — ${notes.join('; ')}.` };
}

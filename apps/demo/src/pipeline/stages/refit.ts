import { cloneTree, disposeTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import { Expression, simplify } from '@odekit/symbolic';
import { adam, fit } from '@odekit/train';
import { additiveTerms, sumOf } from '../discover.js';
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
): Promise<StageOutcome & { model: EquationsModel; chosen: Map<string, Expression> }> {
  const chosenExpr = new Map<string, Expression>();
  let m = model;
  let p = params;
  let owned = false;
  const choices: string[] = [];
  for (const d of found) {
    // Each candidate in place of this network (the others still networks), refit briefly on the
    // whole data: the simplest whose loss is within 5 % of the best wins. The data, not the
    // network's imperfect copy of it, has the last word.
    const tried: { expr: typeof d.expr; model: EquationsModel; params: EquationsParams; loss: number }[] = [];
    for (const alt of d.alternatives.length > 0 ? d.alternatives : [d.expr]) {
      checkAborted(ctx.signal);
      const next = m.substitute(d.call.name, alt, { params: p, variables: d.call.variables });
      let loss = Number.POSITIVE_INFINITY;
      let fitted = next.params;
      try {
        const res = await ctx.lbfgs({
          params: next.params,
          loss: (q) => next.model.loss(q, ctx.data),
          maxIterations: 30,
          gradTolerance: 1e-8,
        });
        fitted = res.params;
        disposeTree(next.params);
        loss = res.value;
      } catch (e) {
        if (!isSolveError(e)) throw e;
      }
      tried.push({ expr: alt, model: next.model, params: fitted, loss });
    }
    const best = Math.min(...tried.map((t) => t.loss));
    const pick = tried.find((t) => t.loss <= 1.05 * best) ?? (tried[0] as (typeof tried)[number]);
    for (const t of tried) if (t !== pick) disposeTree(t.params);
    const baseModel = m;
    const baseParams = p;
    if (tried.length > 1) {
      choices.push(
        `${d.call.name}: ${tried.map((t) => `${t.expr.toString()} (loss ${t.loss.toPrecision(3)})`).join(', ')} → ${pick.expr.toString()}`,
      );
    }
    m = pick.model;
    p = pick.params;
    // Then, on the data too, drop additive terms the data does not need (loss within 2 %).
    let current = pick;
    for (let round = 0; round < (d.chosen ? 0 : 4); round++) {
      const terms = additiveTerms(current.expr.root);
      if (terms.length < 2) break;
      let better: typeof current | undefined;
      for (let i = 0; i < terms.length && better === undefined; i++) {
        const rest = simplify(new Expression(sumOf(terms.filter((_, j) => j !== i))));
        const next = baseModel.substitute(d.call.name, rest, { params: baseParams, variables: d.call.variables });
        // carry over the refit values of the other parameters
        try {
          const start = { ...next.params, physics: { ...next.params.physics } };
          for (const [k, v] of Object.entries(p.physics)) {
            if (k in start.physics && !k.startsWith(`${d.call.name}_c`)) {
              start.physics[k]?.dispose();
              start.physics[k] = v.clone();
            }
          }
          const res = await ctx.lbfgs({
            params: start,
            loss: (q) => next.model.loss(q, ctx.data),
            maxIterations: 30,
            gradTolerance: 1e-8,
          });
          disposeTree(start);
          if (res.value <= 1.02 * current.loss)
            better = { expr: rest, model: next.model, params: res.params, loss: res.value };
          else disposeTree(res.params);
        } catch (e) {
          disposeTree(next.params);
          if (!isSolveError(e)) throw e;
        }
      }
      if (better === undefined) break;
      choices.push(
        `${d.call.name}: dropped a term the data does not need → ${better.expr.toString()} (loss ${better.loss.toPrecision(3)})`,
      );
      disposeTree(p);
      m = better.model;
      p = better.params;
      current = better;
    }
    if (owned) disposeTree(baseParams);
    owned = true;
    chosenExpr.set(d.call.name, current.expr);
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
      const res = await ctx.lbfgs({
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
      onStep: () => ctx.gate(),
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
  const picked = choices.length ? ` Candidates judged on the data: ${choices.join('; ')}.` : '';
  return {
    model: m,
    params: p,
    curve,
    steps,
    stopReason,
    message: `L-BFGS — ${notes.join('; ')}.${picked}`,
    chosen: chosenExpr,
  };
}

import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import { crossoverTrees, mutateTree } from './mutations.js';
import type { ExprNode } from './node.js';
import { type Member, makeMember, type SearchContext } from './search-context.js';
import { chooseMutation, freqOf, tournament } from './selection.js';
import { simplify } from './simplify.js';
import { satisfiesRules } from './tree-rules.js';

/** One mutation with acceptance (SymbolicRegression.jl's `next_generation`); undefined when rejected. */
export function nextGeneration(
  parent: Member,
  context: SearchContext,
  temperature: number,
  curMaxSize: number,
  rng: Rng,
) {
  const kind = chooseMutation(parent.tree, context, parent.complexity, curMaxSize, rng);
  const { objective, rules, batched } = context;
  if (kind === 'doNothing') return makeMember(context, parent.tree, parent.loss);
  if (kind === 'simplify') {
    const t = simplify(parent.tree, { operators: context.operators });
    return makeMember(context, t, objective.loss(t, batched));
  }
  if (kind === 'optimize') {
    const r = optimizeConstants(parent.tree, objective.view(batched), objective, rng, context.optimizer);
    return makeMember(context, r.tree, r.loss);
  }
  let tree: ExprNode | undefined;
  for (let attempt = 0; attempt < 10 && tree === undefined; attempt++) {
    const t = mutateTree(parent.tree, kind, rules, rng, {
      temperature,
      perturbationFactor: context.perturbationFactor,
      probabilityNegateConstant: context.probabilityNegateConstant,
      curMaxSize,
    });
    if (t !== undefined && satisfiesRules(t, rules, curMaxSize)) tree = t;
  }
  if (tree === undefined) return undefined;
  const child = makeMember(context, tree, objective.loss(tree, batched));
  if (!Number.isFinite(child.cost)) return undefined;
  let probChange = 1;
  if (context.annealing) {
    const delta = child.cost - parent.cost;
    probChange *= temperature > 0 ? Math.exp(-delta / (temperature * context.alpha)) : delta <= 0 ? 1 : 0;
  }
  if (context.useFrequency) probChange *= freqOf(context, parent.complexity) / freqOf(context, child.complexity);
  return probChange < rng.nextFloat() ? undefined : child;
}

function replaceOldest(pop: Member[], m: Member): void {
  let oldest = 0;
  for (let i = 1; i < pop.length; i++) if ((pop[i] as Member).birth < (pop[oldest] as Member).birth) oldest = i;
  pop[oldest] = m;
}

/**
 * `ncycles` rounds of age-regularised evolution on one population (Real et al. 2019,
 * arXiv:1802.01548; SymbolicRegression.jl's `reg_evol_cycle`): tournament, mutate or cross over,
 * the child replaces the oldest member. Returns false when stopped early.
 */
export function evolvePopulation(
  pop: Member[],
  context: SearchContext,
  ncycles: number,
  curMaxSize: number,
  rng: Rng,
): boolean {
  const rounds = Math.max(1, Math.ceil(pop.length / context.tournamentN));
  for (let c = 0; c < ncycles; c++) {
    if (c % 16 === 0 && context.shouldStop()) return false;
    const temperature = context.annealing ? (ncycles > 1 ? 1 - c / (ncycles - 1) : 1) : 1;
    // a new mini-batch every 32 rounds (SymbolicRegression.jl draws one per evaluation; drawing
    // fewer keeps the cost of batching low and makes parent and child losses comparable)
    if (context.batched && c % 32 === 0) context.objective.resample(rng);
    for (let r = 0; r < rounds; r++) {
      if (rng.nextFloat() > context.crossoverProbability) {
        const child = nextGeneration(tournament(pop, context, rng), context, temperature, curMaxSize, rng);
        if (child) replaceOldest(pop, child);
      } else {
        const a = tournament(pop, context, rng);
        const b = tournament(pop, context, rng);
        for (let attempt = 0; attempt < 10; attempt++) {
          const [ta, tb] = crossoverTrees(a.tree, b.tree, rng);
          if (satisfiesRules(ta, context.rules, curMaxSize) && satisfiesRules(tb, context.rules, curMaxSize)) {
            const { objective, batched } = context;
            replaceOldest(pop, makeMember(context, ta, objective.loss(ta, batched)));
            replaceOldest(pop, makeMember(context, tb, objective.loss(tb, batched)));
            break;
          }
        }
      }
    }
  }
  return true;
}

/** Simplifies every member and optimises the constants of some, then scores all on the full data (the screening rows when batching). */
export function optimizeAndSimplify(pop: Member[], context: SearchContext, curMaxSize: number, rng: Rng): void {
  const { objective } = context;
  if (context.batched) objective.resample(rng);
  for (let i = 0; i < pop.length; i++) {
    const m = pop[i] as Member;
    let tree = m.tree;
    if (context.shouldSimplify) {
      const s = simplify(tree, { operators: context.operators });
      if (satisfiesRules(s, context.rules, curMaxSize)) tree = s;
    }
    let loss: number | undefined;
    if (context.shouldOptimizeConstants && rng.nextFloat() < context.optimizeProbability) {
      const r = optimizeConstants(tree, objective.view(context.batched), objective, rng, context.optimizer);
      tree = r.tree;
      if (!context.batched) loss = r.loss;
    }
    // batching: members carry losses on the screening rows (1,000 spread over the data), the hall
    // of fame full-data losses (see offerToHallOfFame); without: full-data losses throughout
    if (loss === undefined) {
      if (context.batched) loss = objective.screenLoss(tree);
      else loss = tree === m.tree ? m.loss : objective.loss(tree, false);
    }
    pop[i] = makeMember(context, tree, loss, m.birth);
  }
}

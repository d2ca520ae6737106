import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import { type Engine, type Member, makeMember } from './engine.js';
import { crossoverTrees, mutateTree } from './mutations.js';
import type { ExprNode } from './node.js';
import { chooseMutation, freqOf, tournament } from './selection.js';
import { simplify } from './simplify.js';
import { satisfiesRules } from './tree-rules.js';

/** One mutation with acceptance (SymbolicRegression.jl's `next_generation`); undefined when rejected. */
export function nextGeneration(parent: Member, engine: Engine, temperature: number, curMaxSize: number, rng: Rng) {
  const kind = chooseMutation(parent.tree, engine, parent.complexity, curMaxSize, rng);
  const { objective, rules, batched } = engine;
  if (kind === 'doNothing') return makeMember(engine, parent.tree, parent.loss);
  if (kind === 'simplify') {
    const t = simplify(parent.tree, { operators: engine.operators });
    return makeMember(engine, t, objective.loss(t, batched));
  }
  if (kind === 'optimize') {
    const r = optimizeConstants(parent.tree, objective.view(batched), objective, rng, engine.optimizer);
    return makeMember(engine, r.tree, r.loss);
  }
  let tree: ExprNode | undefined;
  for (let attempt = 0; attempt < 10 && tree === undefined; attempt++) {
    const t = mutateTree(parent.tree, kind, rules, rng, {
      temperature,
      perturbationFactor: engine.perturbationFactor,
      probabilityNegateConstant: engine.probabilityNegateConstant,
      curMaxSize,
    });
    if (t !== undefined && satisfiesRules(t, rules, curMaxSize)) tree = t;
  }
  if (tree === undefined) return undefined;
  const child = makeMember(engine, tree, objective.loss(tree, batched));
  if (!Number.isFinite(child.cost)) return undefined;
  let probChange = 1;
  if (engine.annealing) {
    const delta = child.cost - parent.cost;
    probChange *= temperature > 0 ? Math.exp(-delta / (temperature * engine.alpha)) : delta <= 0 ? 1 : 0;
  }
  if (engine.useFrequency) probChange *= freqOf(engine, parent.complexity) / freqOf(engine, child.complexity);
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
  engine: Engine,
  ncycles: number,
  curMaxSize: number,
  rng: Rng,
): boolean {
  const rounds = Math.max(1, Math.ceil(pop.length / engine.tournamentN));
  for (let c = 0; c < ncycles; c++) {
    if (c % 16 === 0 && engine.shouldStop()) return false;
    const temperature = engine.annealing ? (ncycles > 1 ? 1 - c / (ncycles - 1) : 1) : 1;
    // a new mini-batch every 32 rounds (SymbolicRegression.jl draws one per evaluation; drawing
    // fewer keeps the cost of batching low and makes parent and child losses comparable)
    if (engine.batched && c % 32 === 0) engine.objective.resample(rng);
    for (let r = 0; r < rounds; r++) {
      if (rng.nextFloat() > engine.crossoverProbability) {
        const child = nextGeneration(tournament(pop, engine, rng), engine, temperature, curMaxSize, rng);
        if (child) replaceOldest(pop, child);
      } else {
        const a = tournament(pop, engine, rng);
        const b = tournament(pop, engine, rng);
        for (let attempt = 0; attempt < 10; attempt++) {
          const [ta, tb] = crossoverTrees(a.tree, b.tree, rng);
          if (satisfiesRules(ta, engine.rules, curMaxSize) && satisfiesRules(tb, engine.rules, curMaxSize)) {
            const { objective, batched } = engine;
            replaceOldest(pop, makeMember(engine, ta, objective.loss(ta, batched)));
            replaceOldest(pop, makeMember(engine, tb, objective.loss(tb, batched)));
            break;
          }
        }
      }
    }
  }
  return true;
}

/** Simplifies every member and optimises the constants of some, then scores all on the full data (the screening rows when batching). */
export function optimizeAndSimplify(pop: Member[], engine: Engine, curMaxSize: number, rng: Rng): void {
  const { objective } = engine;
  if (engine.batched) objective.resample(rng);
  for (let i = 0; i < pop.length; i++) {
    const m = pop[i] as Member;
    let tree = m.tree;
    if (engine.shouldSimplify) {
      const s = simplify(tree, { operators: engine.operators });
      if (satisfiesRules(s, engine.rules, curMaxSize)) tree = s;
    }
    let loss: number | undefined;
    if (engine.shouldOptimizeConstants && rng.nextFloat() < engine.optimizeProbability) {
      const r = optimizeConstants(tree, objective.view(engine.batched), objective, rng, engine.optimizer);
      tree = r.tree;
      if (!engine.batched) loss = r.loss;
    }
    // batching: members carry losses on the screening rows (1,000 spread over the data), the hall
    // of fame full-data losses (see offerToHallOfFame); without: full-data losses throughout
    if (loss === undefined) {
      if (engine.batched) loss = objective.screenLoss(tree);
      else loss = tree === m.tree ? m.loss : objective.loss(tree, false);
    }
    pop[i] = makeMember(engine, tree, loss, m.birth);
  }
}

import type { Rng } from '@odekit/core';
import { nodeComplexity } from './complexity.js';
import { optimizeConstants } from './constant-optimizer.js';
import { crossoverTrees, type MutationName, mutateTree } from './mutations.js';
import type { ExprNode } from './node.js';
import type { Objective } from './objective.js';
import type { OpName } from './operators.js';
import type { MutationWeights } from './search-options.js';
import { simplify } from './simplify.js';
import { preorder } from './tree-edit.js';
import { satisfiesRules, type TreeRules } from './tree-rules.js';

/** A population member. `birth` orders members by age (regularised evolution replaces the oldest). */
export interface Member {
  readonly tree: ExprNode;
  readonly loss: number;
  readonly cost: number;
  readonly complexity: number;
  readonly birth: number;
}

/** Settings and shared state of one search (one per `symbolicRegression` call). */
export interface Engine {
  readonly rules: TreeRules;
  readonly objective: Objective;
  readonly operators: ReadonlySet<OpName>;
  /** Reusable index buffer for tournaments. */
  readonly scratch: number[];
  readonly weights: MutationWeights;
  readonly tournamentN: number;
  readonly tournamentP: number;
  readonly tournamentCdf: Float64Array;
  readonly crossoverProbability: number;
  readonly perturbationFactor: number;
  readonly probabilityNegateConstant: number;
  readonly annealing: boolean;
  readonly alpha: number;
  readonly parsimony: number;
  readonly useFrequency: boolean;
  readonly useFrequencyInTournament: boolean;
  readonly adaptiveParsimonyScaling: number;
  readonly optimizer: { algorithm: 'LM' | 'BFGS'; iterations: number; restarts: number };
  readonly optimizeProbability: number;
  readonly shouldOptimizeConstants: boolean;
  readonly shouldSimplify: boolean;
  readonly batched: boolean;
  /** Normalised frequency of each complexity among recent members (adaptive parsimony). */
  readonly frequency: Float64Array;
  birth: number;
  /** Returns true when the search must stop now (time, evaluations, abort). */
  readonly shouldStop: () => boolean;
}

/** Builds a member, computing complexity and cost (normalised loss + parsimony·complexity). */
export function makeMember(engine: Engine, tree: ExprNode, loss: number, birth?: number): Member {
  const complexity = nodeComplexity(tree, engine.rules.complexity);
  const base = engine.objective.baseline > 0 ? engine.objective.baseline : 1;
  const cost = loss / base + engine.parsimony * complexity;
  return { tree, loss, cost, complexity, birth: birth ?? engine.birth++ };
}

const freqOf = (engine: Engine, c: number): number => engine.frequency[c] ?? 1e-6;

/** Tournament selection (SymbolicRegression.jl's `best_of_sample`) with adaptive parsimony. */
export function tournament(pop: readonly Member[], engine: Engine, rng: Rng): Member {
  const n = Math.min(engine.tournamentN, pop.length);
  const idx = engine.scratch.length === pop.length ? engine.scratch : pop.map((_, i) => i);
  if (idx !== engine.scratch) engine.scratch.splice(0, engine.scratch.length, ...idx);
  const sample: { m: Member; adj: number }[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + (rng.nextUint32() % (idx.length - i));
    const pick = idx[j] as number;
    idx[j] = idx[i] as number;
    idx[i] = pick;
    const m = pop[pick] as Member;
    const adj = engine.useFrequencyInTournament
      ? m.cost * Math.exp(engine.adaptiveParsimonyScaling * freqOf(engine, m.complexity))
      : m.cost;
    sample.push({ m, adj });
  }
  sample.sort((a, b) => a.adj - b.adj);
  const cdf = engine.tournamentCdf;
  const u = rng.nextFloat() * (cdf[n - 1] as number);
  for (let k = 0; k < n; k++) if (u < (cdf[k] as number)) return (sample[k] as { m: Member }).m;
  return (sample[n - 1] as { m: Member }).m;
}

/** Cumulative tournament weights p(1−p)^k, k = 0..n−1 (PySR's tournament_selection_p); p = 1 picks the best. */
export function tournamentCdf(n: number, p: number): Float64Array {
  const out = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += p >= 1 ? (k === 0 ? 1 : 0) : p * (1 - p) ** k;
    out[k] = acc;
  }
  return out;
}

const MUTATIONS: readonly MutationName[] = Object.freeze([
  'mutateConstant',
  'mutateOperator',
  'swapOperands',
  'rotateTree',
  'addNode',
  'insertNode',
  'deleteNode',
  'simplify',
  'randomize',
  'doNothing',
  'optimize',
]);

function chooseMutation(
  tree: ExprNode,
  engine: Engine,
  complexity: number,
  curMaxSize: number,
  rng: Rng,
): MutationName {
  const w = engine.weights;
  let hasConst = false;
  let hasBinary = false;
  let canRotate = false;
  const nodes = preorder(tree);
  for (const n of nodes) {
    if (n.kind === 'const') hasConst = true;
    else if (n.kind === 'binary') {
      hasBinary = true;
      if (n.left.kind === 'binary' || n.right.kind === 'binary') canRotate = true;
    }
  }
  const leaf = nodes.length === 1;
  const full = complexity >= curMaxSize;
  const weightOf = (name: MutationName): number => {
    switch (name) {
      case 'mutateOperator':
      case 'deleteNode':
      case 'simplify':
        return leaf ? 0 : w[name];
      case 'swapOperands':
        return hasBinary ? w[name] : 0;
      case 'rotateTree':
        return canRotate ? w[name] : 0;
      case 'mutateConstant':
      case 'optimize':
        return hasConst ? w[name] : 0;
      case 'addNode':
      case 'insertNode':
        return full ? 0 : w[name];
      default:
        return w[name];
    }
  };
  let total = 0;
  for (const name of MUTATIONS) total += weightOf(name);
  let u = rng.nextFloat() * total;
  for (const name of MUTATIONS) {
    const v = weightOf(name);
    u -= v;
    if (u <= 0 && v > 0) return name;
  }
  return 'doNothing';
}

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

/** Simplifies every member and optimises the constants of some, then scores all on the full data. */
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
    if (loss === undefined) loss = tree === m.tree && !engine.batched ? m.loss : objective.loss(tree, false);
    pop[i] = makeMember(engine, tree, loss, m.birth);
  }
}

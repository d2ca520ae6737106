import { nodeComplexity } from './complexity.js';
import type { ExprNode } from './node.js';
import type { Objective } from './objective.js';
import type { OpName } from './operators.js';
import type { MutationWeights } from './search-options.js';
import type { TreeRules } from './tree-rules.js';

/** A population member. `birth` orders members by age (regularised evolution replaces the oldest). */
export interface Member {
  readonly tree: ExprNode;
  readonly loss: number;
  readonly cost: number;
  readonly complexity: number;
  readonly birth: number;
}

/** Settings and shared state of one search (one per `symbolicRegression` call). */
export interface SearchContext {
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
export function makeMember(context: SearchContext, tree: ExprNode, loss: number, birth?: number): Member {
  const complexity = nodeComplexity(tree, context.rules.complexity);
  const base = context.objective.baseline > 0 ? context.objective.baseline : 1;
  const cost = loss / base + context.parsimony * complexity;
  return { tree, loss, cost, complexity, birth: birth ?? context.birth++ };
}

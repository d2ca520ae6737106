import { portablePow, type Rng } from '@odekit/core';
import type { MutationName } from './mutations.js';
import type { ExprNode } from './node.js';
import type { Member, SearchContext } from './search-context.js';
import { preorder } from './tree-edit.js';

/** Normalised frequency of a complexity (a tiny floor for unseen ones). */
export const freqOf = (context: SearchContext, c: number): number => context.frequency[c] ?? 1e-6;

/** Tournament selection (SymbolicRegression.jl's `best_of_sample`) with adaptive parsimony. */
export function tournament(pop: readonly Member[], context: SearchContext, rng: Rng): Member {
  const n = Math.min(context.tournamentN, pop.length);
  const idx = context.scratch.length === pop.length ? context.scratch : pop.map((_, i) => i);
  if (idx !== context.scratch) context.scratch.splice(0, context.scratch.length, ...idx);
  const sample: { m: Member; adj: number }[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + (rng.nextUint32() % (idx.length - i));
    const pick = idx[j] as number;
    idx[j] = idx[i] as number;
    idx[i] = pick;
    const m = pop[pick] as Member;
    const adj = context.useFrequencyInTournament
      ? m.cost * Math.exp(context.adaptiveParsimonyScaling * freqOf(context, m.complexity))
      : m.cost;
    sample.push({ m, adj });
  }
  sample.sort((a, b) => a.adj - b.adj);
  const cdf = context.tournamentCdf;
  const u = rng.nextFloat() * (cdf[n - 1] as number);
  for (let k = 0; k < n; k++) if (u < (cdf[k] as number)) return (sample[k] as { m: Member }).m;
  return (sample[n - 1] as { m: Member }).m;
}

/** Cumulative tournament weights p(1−p)^k, k = 0..n−1 (PySR's tournament_selection_p); p = 1 picks the best. */
export function tournamentCdf(n: number, p: number): Float64Array {
  const out = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += p >= 1 ? (k === 0 ? 1 : 0) : p * portablePow(1 - p, k);
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

/** Draws a mutation by weight, zeroing those that cannot apply (SymbolicRegression.jl's `condition_mutation_weights!`). */
export function chooseMutation(
  tree: ExprNode,
  context: SearchContext,
  complexity: number,
  curMaxSize: number,
  rng: Rng,
): MutationName {
  const w = context.weights;
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

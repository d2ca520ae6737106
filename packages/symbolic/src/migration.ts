import type { Rng } from '@odekit/core';
import { type Member, makeMember, type SearchContext } from './search-context.js';

/** Replaces each member with probability `fraction` by a copy of a random member of `pool`. */
export function migrate(
  pop: Member[],
  pool: readonly Member[],
  fraction: number,
  context: SearchContext,
  rng: Rng,
): void {
  if (pool.length === 0 || fraction <= 0) return;
  for (let i = 0; i < pop.length; i++) {
    if (rng.nextFloat() < fraction) {
      const m = pool[Math.floor(rng.nextFloat() * pool.length)] as Member;
      pop[i] = makeMember(context, m.tree, m.loss);
    }
  }
}

/**
 * Adds the members' complexities to the running counts (a sliding window of about 100,000, as
 * SymbolicRegression.jl's `RunningSearchStatistics`) and writes the normalised frequencies that
 * adaptive parsimony uses.
 */
export function recordComplexities(
  pop: readonly Member[],
  counts: Float64Array,
  frequency: Float64Array,
  maxSize: number,
) {
  for (const m of pop) if (m.complexity <= maxSize) counts[m.complexity] = (counts[m.complexity] as number) + 1;
  let total = counts.reduce((a, b) => a + b, 0);
  if (total > 100000) {
    counts.forEach((c, i) => {
      counts[i] = (c * 100000) / total;
    });
    total = 100000;
  }
  counts.forEach((c, i) => {
    frequency[i] = c / total;
  });
}

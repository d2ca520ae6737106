import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import type { HallOfFame } from './hall-of-fame.js';
import type { ExprNode } from './node.js';
import type { SearchContext } from './search-context.js';

/** Rows the refit runs on (spread over the data); the kept loss is always the full data's. */
const POLISH_ROWS = 1000;

/**
 * Refits the constants of the hall-of-fame front entries not refit before on the full data (at most
 * 1,000 rows of it, spread evenly), by Levenberg–Marquardt from their current constants (no
 * restarts, no randomness), keeping a refit that lowers the full-data loss. The search optimises constants on mini-batches; without this a front entry
 * of the right form can keep slightly-off constants (and a loss far above round-off) while a much
 * bigger expression fits to round-off and wins model selection. Not in SymbolicRegression.jl.
 * `done` remembers the trees already refit (and their refits).
 */
export function polishFront(
  hof: HallOfFame,
  context: SearchContext,
  lossFloor: number,
  done: WeakSet<ExprNode>,
  rng: Rng,
  iterations = 100,
): void {
  const { objective } = context;
  for (const c of hof.front(lossFloor)) {
    if (done.has(c.tree)) continue;
    done.add(c.tree);
    const view = objective.subsample(POLISH_ROWS);
    const r = optimizeConstants(c.tree, view, objective, rng, { algorithm: 'LM', iterations, restarts: 0 });
    done.add(r.tree);
    if (r.tree === c.tree) continue;
    const loss = view === objective.full ? r.loss : objective.loss(r.tree, false);
    if (loss < c.loss) hof.update({ tree: r.tree, loss, complexity: c.complexity });
  }
}

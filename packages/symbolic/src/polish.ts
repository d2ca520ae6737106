import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import type { Engine } from './engine.js';
import type { HallOfFame } from './hall-of-fame.js';
import type { ExprNode } from './node.js';

/**
 * Refits, on the full data, the constants of the hall-of-fame front entries not refit before
 * (Levenberg–Marquardt from their current constants, no restarts, no randomness), keeping a refit
 * that lowers the loss. The search optimises constants on mini-batches; without this a front entry
 * of the right form can keep slightly-off constants (and a loss far above round-off) while a much
 * bigger expression fits to round-off and wins model selection. Not in SymbolicRegression.jl.
 * `done` remembers the trees already refit (and their refits).
 */
export function polishFront(
  hof: HallOfFame,
  engine: Engine,
  lossFloor: number,
  done: WeakSet<ExprNode>,
  rng: Rng,
  iterations = 20,
): void {
  const { objective } = engine;
  for (const c of hof.front(lossFloor)) {
    if (done.has(c.tree)) continue;
    done.add(c.tree);
    const r = optimizeConstants(c.tree, objective.full, objective, rng, { algorithm: 'LM', iterations, restarts: 0 });
    done.add(r.tree);
    if (r.loss < c.loss) hof.update({ tree: r.tree, loss: r.loss, complexity: c.complexity });
  }
}

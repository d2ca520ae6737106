import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import type { Candidate, HallOfFame } from './hall-of-fame.js';
import type { ExprNode } from './node.js';
import type { SearchContext } from './search-context.js';

/** Rows the refit runs on (spread over the data); the kept loss is always the full data's. */
const POLISH_ROWS = 1000;
/** Rows of the last refit, when the search ends (see {@link polishFinal}). */
const FINAL_ROWS = 10000;

/**
 * The holders whose loss is at most {@link NEAR_FRONT}× that of the best simpler holder (the front
 * and those just behind it): on noisy data a holder of the right form whose constants were fit on
 * mini-batches can trail a simpler, slightly-off form by less than its constants' error
 * (`y^0.9 - y + 0.5*y^2` fit on 50-row batches at 1 % noise, 1.02σ², behind `0.44*y^2.04 + 0.06`,
 * 1.006σ²) and would never be refit if only the front were.
 */
function nearFront(hof: HallOfFame, lossFloor: number): Candidate[] {
  const out: Candidate[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const c of hof.members()) {
    const l = Math.max(c.loss, lossFloor);
    if (l <= NEAR_FRONT * best) out.push(c);
    best = Math.min(best, l);
  }
  return out;
}

/** See {@link nearFront}. */
const NEAR_FRONT = 1.1;

/**
 * Refits the constants of the hall-of-fame front entries (and those just behind it, see
 * `nearFront`) not refit before on the full data (at most `rows` of it, spread evenly; 1,000 by
 * default), by Levenberg–Marquardt from their current constants (no restarts, no randomness),
 * keeping a refit that lowers the full-data loss. The search optimises constants on mini-batches;
 * without this a front entry of the right form can keep slightly-off constants (and a loss far
 * above round-off) while a much bigger expression fits to round-off and wins model selection. Not
 * in SymbolicRegression.jl. `done` remembers the trees already refit (and their refits).
 */
export function polishFront(
  hof: HallOfFame,
  context: SearchContext,
  lossFloor: number,
  done: WeakSet<ExprNode>,
  rng: Rng,
  iterations = 100,
  rows = POLISH_ROWS,
): void {
  const { objective } = context;
  for (const c of nearFront(hof, lossFloor)) {
    if (done.has(c.tree)) continue;
    done.add(c.tree);
    const view = objective.subsample(rows);
    const r = optimizeConstants(c.tree, view, objective, rng, { algorithm: 'LM', iterations, restarts: 0 });
    done.add(r.tree);
    if (r.tree === c.tree) continue;
    const loss = view === objective.full ? r.loss : objective.loss(r.tree, false);
    if (loss < c.loss) hof.update({ tree: r.tree, loss, complexity: c.complexity });
  }
}

/**
 * The refit of {@link polishFront} once more when the search ends, on up to 10,000 rows: at 1 %
 * noise, constants fit on 1,000 rows cost about 4σ²/1,000 of loss, as much as separates a right
 * form from a simpler near-miss (`y^0.9 - y + 0.5*y^2` from `0.44*y^2.04 + 0.06`).
 */
export function polishFinal(hof: HallOfFame, context: SearchContext, lossFloor: number, rng: Rng): void {
  polishFront(hof, context, lossFloor, new WeakSet(), rng, 50, FINAL_ROWS);
}

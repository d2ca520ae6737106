import type { Candidate, HallOfFame } from './hall-of-fame.js';
import type { Objective } from './objective.js';

/**
 * Members within this factor of the holder's full-data loss (on their screening loss) get a
 * full-data evaluation and may enter the hall of fame.
 */
export const SCREEN_MARGIN = 1.5;

/**
 * Whether a member with screening loss `loss` may beat the holder of its complexity, whose
 * full-data loss is `holderLoss` (undefined or Infinity: an empty slot): a finite loss below
 * {@link SCREEN_MARGIN}× the holder's.
 */
export function passesScreen(loss: number, holderLoss: number | undefined): boolean {
  if (!(loss < Number.POSITIVE_INFINITY)) return false;
  return holderLoss === undefined || holderLoss === Number.POSITIVE_INFINITY || loss < SCREEN_MARGIN * holderLoss;
}

/**
 * Offers population members to the hall of fame. Without batching their losses are full-data
 * losses and go straight in. With batching (`screened`), their losses come from the screening rows:
 * only a member that could beat the holder of its complexity (screening loss below
 * {@link SCREEN_MARGIN}× the holder's loss, or an empty slot) is evaluated on the full data, once
 * per tree, and offered with that loss. (SymbolicRegression.jl rescores the best member seen per
 * complexity on the full data; this screens by cheaper losses instead.) Returns how many members
 * became holders.
 */
export function offerToHallOfFame(
  hof: HallOfFame,
  members: readonly Candidate[],
  objective: Objective,
  screened: boolean,
): number {
  let accepted = 0;
  for (const m of members) {
    if (!screened) {
      if (hof.update(m)) accepted++;
      continue;
    }
    const holder = hof.at(m.complexity);
    if (holder?.tree === m.tree || !passesScreen(m.loss, holder?.loss)) continue;
    if (hof.update({ tree: m.tree, loss: objective.fullLoss(m.tree), complexity: m.complexity })) accepted++;
  }
  return accepted;
}

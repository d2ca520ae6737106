/**
 * Restarts of islands that stagnate: an island that has not put a new holder into the hall of fame
 * for `fraction` of the budget (and at least `minIterations` iterations since it started) is
 * re-seeded with a fresh random population; the hall of fame keeps what it found, and migration
 * from the hall of fame (`fractionReplacedHof`) brings the front back into the new population. A
 * restart of the stuck parts of a search in the spirit of restart strategies for evolutionary
 * algorithms (Auger & Hansen 2005, IPOP-CMA-ES, doi:10.1109/CEC.2005.1554902); not in
 * SymbolicRegression.jl, whose islands run for the whole search.
 */
export class RestartTracker {
  private readonly lastContribution: Float64Array;
  private readonly startedAt: Int32Array;

  constructor(
    populations: number,
    private readonly fraction: number,
    private readonly minIterations = 3,
  ) {
    this.lastContribution = new Float64Array(populations);
    this.startedAt = new Int32Array(populations);
  }

  /** Records whether island `p` added a hall-of-fame holder in the iteration that ended at `progress`. */
  record(p: number, contributed: boolean, progress: number): void {
    if (contributed) this.lastContribution[p] = progress;
  }

  /**
   * Whether island `p` should restart now (at `progress`, after `iteration` iterations); when it
   * does, its clocks start again.
   */
  due(p: number, progress: number, iteration: number): boolean {
    if (iteration - (this.startedAt[p] as number) < this.minIterations) return false;
    if (progress - (this.lastContribution[p] as number) < this.fraction) return false;
    this.startedAt[p] = iteration;
    this.lastContribution[p] = progress;
    return true;
  }
}

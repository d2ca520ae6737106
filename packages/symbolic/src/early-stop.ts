/** What the stall monitor reads of a front entry (a hall-of-fame `Candidate` is one). */
interface FrontPoint {
  readonly loss: number;
  readonly complexity: number;
}

/**
 * When a search may stop before its budget (the object form of the `earlyStop` option).
 * `lossBelow` is PySR's `early_stop_condition`; `stall` and `floorStall` stop a search whose hall
 * of fame has stopped improving, which PySR leaves to the user's `timeout_in_seconds`/`niterations`.
 */
export interface EarlyStopRule {
  /** Stop as soon as a hall-of-fame member meets this: a loss bound, or a predicate of (loss, complexity). */
  readonly lossBelow?: number | ((loss: number, complexity: number) => boolean);
  /**
   * Stop when no complexity's best loss on the front has improved by more than `minImprovement`
   * (relative) over this fraction of the budget (of `timeoutSeconds`, `maxEvals` or `iterations`,
   * whichever is used up fastest), in (0, 1].
   */
  readonly stall?: number;
  /**
   * The shorter patience that applies once the front has reached the noise floor: an entry within
   * `noiseVariance` when it is given, else the most accurate entry's residual is mostly white noise
   * (its nearest-neighbour noise estimate at least half its loss: the test `modelSelection: 'auto'`
   * uses; true for an exact fit of clean data, whose residual is round-off). Default: `stall`.
   */
  readonly floorStall?: number;
  /**
   * The relative loss decrease that counts as an improvement. Default max(1e-3, ln n / n) for n rows:
   * a smaller decrease cannot change the noise-level selection, where each extra constant costs ln n
   * against n·Δloss/σ² (see `selectByNoise`); losses are floored at 1e-14 × the variance of y.
   */
  readonly minImprovement?: number;
}

/** The default relative improvement of {@link EarlyStopRule.minImprovement} for `n` rows. */
export function defaultMinImprovement(n: number): number {
  return Math.max(1e-3, Math.log(Math.max(n, 2)) / Math.max(n, 2));
}

/** Throws unless `rule`'s fractions are in (0, 1] and `minImprovement` in [0, 1). */
export function checkEarlyStopRule(rule: EarlyStopRule): void {
  for (const key of ['stall', 'floorStall'] as const) {
    const v = rule[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= 1)) {
      throw new Error(
        `symbolicRegression: 'earlyStop.${key}' must be a fraction of the budget in (0, 1], got ${String(v)}.`,
      );
    }
  }
  const m = rule.minImprovement;
  if (m !== undefined && !(typeof m === 'number' && m >= 0 && m < 1)) {
    throw new Error(`symbolicRegression: 'earlyStop.minImprovement' must be in [0, 1), got ${String(m)}.`);
  }
}

/**
 * Tracks when the front last improved, as a fraction of the budget, and says when a stall rule
 * ({@link EarlyStopRule}) is met. The front is read as a step function: the best loss at each
 * complexity or below; a complexity improves when that loss drops by more than `minImprovement`.
 */
export class StallMonitor {
  private best: Float64Array;
  private lastImproved = 0;

  constructor(
    maxSize: number,
    private readonly lossFloor: number,
    private readonly minImprovement: number,
    private readonly stall: number,
    private readonly floorStall: number,
  ) {
    this.best = new Float64Array(maxSize + 1).fill(Number.POSITIVE_INFINITY);
  }

  /** Records the current front at `progress` (fraction of the budget); returns whether it improved. */
  observe(front: readonly FrontPoint[], progress: number): boolean {
    const next = new Float64Array(this.best.length).fill(Number.POSITIVE_INFINITY);
    let running = Number.POSITIVE_INFINITY;
    let k = 0;
    for (let c = 1; c < next.length; c++) {
      while (k < front.length && (front[k] as FrontPoint).complexity <= c) {
        running = Math.min(running, Math.max((front[k] as FrontPoint).loss, this.lossFloor));
        k++;
      }
      next[c] = running;
    }
    let improved = false;
    for (let c = 1; c < next.length; c++) {
      const old = this.best[c] as number;
      if (
        (next[c] as number) < old * (1 - this.minImprovement) ||
        (old === Number.POSITIVE_INFINITY && next[c] !== old)
      )
        improved = true;
    }
    this.best = next;
    if (improved) this.lastImproved = progress;
    return improved;
  }

  /** Whether the search should stop at `progress`, given whether the front is at the noise floor. */
  shouldStop(progress: number, atFloor: () => boolean): boolean {
    const idle = progress - this.lastImproved;
    if (idle >= this.stall) return true;
    return this.floorStall < this.stall && idle >= this.floorStall && atFloor();
  }
}

/** The fraction of the budget used: the largest of elapsed/timeout, evaluations/maxEvals, iteration/iterations. */
export function budgetProgress(
  elapsedSeconds: number,
  timeoutSeconds: number,
  evaluations: number,
  maxEvals: number,
  iteration: number,
  iterations: number,
): number {
  return Math.max(elapsedSeconds / timeoutSeconds, evaluations / maxEvals, iteration / iterations);
}

/** The `earlyStop` option as given: a loss bound, a predicate, or a rule. */
export type EarlyStopOption = number | ((loss: number, complexity: number) => boolean) | EarlyStopRule;

/** The loss condition of an `earlyStop` option, if any. */
export function lossCondition(e: EarlyStopOption | undefined): EarlyStopRule['lossBelow'] {
  return typeof e === 'object' ? e.lossBelow : e;
}

/**
 * A {@link StallMonitor} for the `earlyStop` option when it has a stall rule, else undefined.
 *
 * @throws Error when the rule's values are out of range.
 */
export function stallMonitorOf(
  e: EarlyStopOption | undefined,
  maxSize: number,
  rows: number,
  lossFloor: number,
): StallMonitor | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  checkEarlyStopRule(e);
  if (e.stall === undefined && e.floorStall === undefined) return undefined;
  const stall = e.stall ?? Number.POSITIVE_INFINITY;
  return new StallMonitor(
    maxSize,
    lossFloor,
    e.minImprovement ?? defaultMinImprovement(rows),
    stall,
    e.floorStall ?? stall,
  );
}

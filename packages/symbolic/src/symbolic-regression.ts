import type { Rng } from '@odekit/core';
import { nodeComplexity } from './complexity.js';
import { optimizeConstants } from './constant-optimizer.js';
import { budgetProgress, lossCondition, stallMonitorOf } from './early-stop.js';
import { evolvePopulation, optimizeAndSimplify } from './evolution.js';
import { HallOfFame, scoreFront, selectModel } from './hall-of-fame.js';
import { offerToHallOfFame } from './hof-offer.js';
import { RestartTracker } from './island-restart.js';
import { migrate } from './migration.js';
import type { ExprNode } from './node.js';
import { nearestNeighbours, residualNoise, selectByNoise } from './noise-selection.js';
import { mseOf, SCREEN_ROWS } from './objective.js';
import { polishFinal, polishFront } from './polish.js';
import { startClock } from './search-clock.js';
import { type Member, makeMember } from './search-context.js';
import type { HallOfFameEntry, SymbolicRegressionOptions } from './search-options.js';
import { type SearchSetup, setupSearch } from './search-setup.js';
import { tidyTree } from './tidy.js';

/** What `symbolicRegression` returns. */
export interface SymbolicRegressionResult {
  /** The Pareto front of loss against complexity, by increasing complexity. */
  readonly hallOfFame: readonly HallOfFameEntry[];
  /** PySR's 'best': the highest score among entries with loss ≤ 1.5× the lowest. */
  readonly best: HallOfFameEntry;
  /** The lowest loss. */
  readonly accuracy: HallOfFameEntry;
  /** The highest score. */
  readonly score: HallOfFameEntry;
  readonly evaluations: number;
  readonly iterations: number;
  readonly elapsedSeconds: number;
  readonly stopReason: 'iterations' | 'timeout' | 'maxEvals' | 'earlyStop' | 'aborted';
  /** Islands restarted for stagnating (the `restartStagnant` option; 0 without it). */
  readonly islandRestarts?: number;
}

/** Whether a hall-of-fame holder meets the loss condition of the `earlyStop` option (a loss bound or a predicate). */
export function earlyStopReached(hof: HallOfFame, earlyStop: SymbolicRegressionOptions['earlyStop']): boolean {
  const cond = lossCondition(earlyStop);
  if (cond === undefined) return false;
  return hof.members().some((c) => (typeof cond === 'number' ? c.loss <= cond : cond(c.loss, c.complexity)));
}

/**
 * Whether the front has reached the noise floor (see `EarlyStopRule.floorStall`): its most accurate
 * entry within `noiseVariance` when given, else that entry's residual mostly white noise.
 */
export function atNoiseFloor(hof: HallOfFame, setup: SearchSetup, residual: ResultFinish['residualNoise']): boolean {
  const front = hof.front(setup.lossFloor);
  const acc = front[front.length - 1];
  if (acc === undefined) return false;
  if (setup.noiseVariance !== undefined) return acc.loss <= setup.noiseVariance;
  if (residual === undefined) return false;
  return residual.of(acc.tree) >= 0.5 * acc.loss;
}

/** How `searchResult` finishes the front: tidying (see `tidyTree`) and noise-level selection. */
export interface ResultFinish {
  readonly tidy?: (tree: ExprNode) => { tree: ExprNode; loss: number; complexity: number };
  readonly noiseVariance?: number | undefined;
  /** The white-noise variance in a tree's residual and the rows of the losses (see `selectByNoise`). */
  readonly residualNoise?: { readonly of: (tree: ExprNode) => number; readonly rows: number };
}

/** The search's result from its final hall of fame: the front (tidied) and the three selected models. */
export function searchResult(
  hof: HallOfFame,
  lossFloor: number,
  run: Pick<
    SymbolicRegressionResult,
    'evaluations' | 'iterations' | 'elapsedSeconds' | 'stopReason' | 'islandRestarts'
  >,
  finish: ResultFinish = {},
): SymbolicRegressionResult {
  let front = hof.front(lossFloor);
  if (finish.tidy !== undefined) {
    const tidied = new HallOfFame(hof.maxSize);
    for (const c of front) tidied.update(finish.tidy(c.tree));
    front = tidied.front(lossFloor);
  }
  const entries = scoreFront(front, lossFloor);
  const { noiseVariance } = finish;
  const withinNoise =
    noiseVariance === undefined ? undefined : entries.find((e) => e.loss <= Math.max(noiseVariance, lossFloor));
  const accuracy = selectModel(entries, 'accuracy', lossFloor);
  const rn = finish.residualNoise;
  const byNoise =
    withinNoise === undefined && rn !== undefined
      ? selectByNoise(entries, rn.of(accuracy.expr.root), rn.rows, lossFloor)
      : undefined;
  return {
    hallOfFame: entries,
    best: withinNoise ?? byNoise ?? selectModel(entries, 'best', lossFloor),
    accuracy,
    score: selectModel(entries, 'score', lossFloor),
    ...run,
  };
}

/** Data up to this many rows are tidied on all of them (see `finishOf`). */
const TIDY_FULL_ROWS = 10000;

/** The residual-noise estimate of `selectByNoise` on the screening rows (neighbours found once). */
export function residualNoiseOf(setup: SearchSetup): NonNullable<ResultFinish['residualNoise']> {
  const { objective } = setup;
  const screen = objective.subsample(SCREEN_ROWS);
  let nn: Int32Array | undefined;
  return {
    rows: objective.full.n,
    of: (tree: ExprNode) => {
      nn ??= nearestNeighbours(Object.values(screen.evaluator.columns), screen.n);
      screen.evaluator.evaluate(tree, screen.out);
      const r = screen.out.map((f, i) => f - (screen.y[i] as number));
      return residualNoise(r, nn);
    },
  };
}

/** The `ResultFinish` of a search setup: tidy on the full data when `tidy`, and `noiseVariance`. */
export function finishOf(setup: SearchSetup): ResultFinish {
  const { objective, context, lossFloor } = setup;
  const complexity = (t: ExprNode) => nodeComplexity(t, context.rules.complexity);
  return {
    noiseVariance: setup.noiseVariance,
    ...(setup.modelSelection === 'pysr' ? {} : { residualNoise: residualNoiseOf(setup) }),
    ...(setup.tidy
      ? {
          tidy: (tree: ExprNode) => {
            // trial losses on the full data up to 10,000 rows (on noisy data, a rounding that is
            // true raises the loss by about χ²₁·σ²/n: within the tolerance for n in the thousands,
            // not on 1,000 rows), else on the screening rows; the kept loss is the full data's
            const view = objective.full.n <= TIDY_FULL_ROWS ? objective.full : objective.subsample(SCREEN_ROWS);
            const lossOf = (t: ExprNode): number => {
              if (view === objective.full) return objective.fullLoss(t);
              view.evaluator.evaluate(t, view.out);
              return mseOf(view.out, view);
            };
            // refits by Levenberg–Marquardt on the same rows, deterministic (no restarts)
            const refit = (t: ExprNode, frozen: readonly boolean[]) =>
              optimizeConstants(t, view, objective, setup.rngs[0] as Rng, {
                algorithm: 'LM',
                iterations: 10,
                restarts: 0,
                frozen,
              });
            const r0 = tidyTree(tree, {
              lossOf,
              tolerance: setup.tidyTolerance,
              floor: lossFloor,
              operators: context.operators,
              complexity,
              refit,
            });
            const r =
              r0.tree === tree
                ? { tree, loss: objective.fullLoss(tree) }
                : { tree: r0.tree, loss: objective.fullLoss(r0.tree) };
            return { ...r, complexity: complexity(r.tree) };
          },
        }
      : {}),
  };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Symbolic regression by PySR's algorithm (SymbolicRegression.jl; Cranmer 2023,
 * arXiv:2305.01582): age-regularised evolution with tournament selection over several
 * populations (islands), mutations, crossover, optional simulated annealing, adaptive parsimony,
 * constant optimisation, simplification and migration, keeping a hall of fame of the best
 * expression at each complexity. Serial (one thread) and deterministic for a `seed` unless stopped
 * by `timeoutSeconds`; async, yielding to the event loop between islands.
 *
 * Differences from PySR's defaults: 15 populations (PySR 31, sized for many threads),
 * Levenberg–Marquardt for the constants (PySR BFGS; `optimizerAlgorithm: 'BFGS'` is available),
 * and losses below 1e-14 × the baseline (the variance of y) count as equal when building the front,
 * so float64 round-off does not make a bigger exact fit beat a smaller one.
 *
 * @throws Error for malformed data, unknown operators or out-of-range options.
 * @example
 * ```ts
 * import { symbolicRegression } from '@odekit/symbolic';
 * const x = Float64Array.from({ length: 40 }, (_, i) => -2 + i / 10);
 * const result = await symbolicRegression({
 *   X: { x }, y: x.map((v) => v * v + 1), seed: 0, binaryOperators: ['+', '*'],
 *   maxSize: 9, populations: 4, iterations: 20, earlyStop: 1e-12,
 * });
 * const y = result.best.expr.evaluate({ x: [3] })[0] ?? 0;
 * if (Math.abs(y - 10) > 1e-6) throw new Error(result.best.expr.toString());
 * ```
 */
export async function symbolicRegression(options: SymbolicRegressionOptions): Promise<SymbolicRegressionResult> {
  const { earlyStop, onProgress, signal } = options;
  const start = now();
  const elapsed = startClock(options.clock ?? 'wall', 1);
  let stopReason: SymbolicRegressionResult['stopReason'] = 'iterations';
  const setup = setupSearch(options, (): boolean => {
    if (signal?.aborted) stopReason = 'aborted';
    else if (elapsed() >= setup.timeoutSeconds) stopReason = 'timeout';
    else if (setup.objective.evaluations >= setup.maxEvals) stopReason = 'maxEvals';
    else return false;
    return true;
  });
  const { context, objective, populations, iterations, ncyclesPerIteration, maxSize, topn, lossFloor, rngs, sizeAt } =
    setup;
  const { migration, hofMigration, fractionReplaced, fractionReplacedHof } = setup;
  const updateFrequencies = (pop: readonly Member[]): void => setup.updateFrequencies(pop);
  const pops: Member[][] = rngs.map((_, p) => setup.initialPopulation(p));
  const hof = new HallOfFame(maxSize);
  const front = (): HallOfFameEntry[] => scoreFront(hof.front(lossFloor), lossFloor);
  for (const pop of pops) for (const m of pop) hof.update(m);
  const polished = new WeakSet<ExprNode>();
  const monitor = stallMonitorOf(earlyStop, maxSize, objective.full.n, lossFloor);
  const residual = monitor !== undefined && setup.noiseVariance === undefined ? residualNoiseOf(setup) : undefined;
  const restarts =
    setup.restartStagnant !== undefined ? new RestartTracker(populations, setup.restartStagnant) : undefined;
  const progressNow = (iteration: number): number =>
    budgetProgress(elapsed(), setup.timeoutSeconds, objective.evaluations, setup.maxEvals, iteration, iterations);

  let done = 0;
  let islandRestarts = 0;
  let lastYield = now();
  outer: for (let iter = 0; iter < iterations; iter++) {
    const curMaxSize = sizeAt(iter);
    for (let p = 0; p < populations; p++) {
      if (restarts?.due(p, progressNow(iter), iter)) {
        pops[p] = setup.randomPopulation(p);
        islandRestarts++;
      }
      const pop = pops[p] as Member[];
      const rng = rngs[p] as Rng;
      const finished = evolvePopulation(pop, context, ncyclesPerIteration, curMaxSize, rng);
      optimizeAndSimplify(pop, context, curMaxSize, rng);
      const accepted = offerToHallOfFame(hof, pop, objective, context.batched);
      restarts?.record(p, accepted > 0, progressNow(iter));
      updateFrequencies(pop);
      if (migration && populations > 1) {
        const pool = pops.flatMap((q) => [...q].sort((a, b) => a.cost - b.cost).slice(0, topn));
        migrate(pop, pool, fractionReplaced, context, rng);
      }
      if (hofMigration) {
        const pool = hof.front(lossFloor).map((c) => makeMember(context, c.tree, c.loss));
        migrate(pop, pool, fractionReplacedHof, context, rng);
      }
      if (earlyStopReached(hof, earlyStop)) {
        stopReason = 'earlyStop';
        break outer;
      }
      if (!finished || context.shouldStop()) break outer;
      if (now() - lastYield > 20) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    done = iter + 1;
    polishFront(hof, context, lossFloor, polished, rngs[0] as Rng);
    onProgress?.({
      iteration: done,
      iterations,
      evaluations: objective.evaluations,
      elapsedSeconds: (now() - start) / 1000,
      hallOfFame: front(),
    });
    if (monitor !== undefined) {
      const progress = progressNow(done);
      monitor.observe(hof.front(lossFloor), progress);
      if (monitor.shouldStop(progress, () => atNoiseFloor(hof, setup, residual))) {
        stopReason = 'earlyStop';
        break;
      }
    }
  }
  // the last iteration may have been cut short: refit what reached the front since the last refit
  if (!signal?.aborted) {
    polishFront(hof, context, lossFloor, polished, rngs[0] as Rng);
    polishFinal(hof, context, lossFloor, rngs[0] as Rng);
  }
  return searchResult(
    hof,
    lossFloor,
    {
      evaluations: objective.evaluations,
      iterations: done,
      elapsedSeconds: (now() - start) / 1000,
      stopReason,
      islandRestarts,
    },
    signal?.aborted ? { noiseVariance: setup.noiseVariance } : finishOf(setup),
  );
}

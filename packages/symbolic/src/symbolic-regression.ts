import { createRng, type Rng } from '@odekit/core';
import { makeDataset } from './dataset.js';
import { type Engine, type Member, makeMember } from './engine.js';
import { evolvePopulation, optimizeAndSimplify } from './evolution.js';
import { HallOfFame, scoreFront, selectModel } from './hall-of-fame.js';
import { migrate, recordComplexities } from './migration.js';
import { Objective } from './objective.js';
import type { OpName } from './operators.js';
import {
  checkOperators,
  checkRange,
  DEFAULT_MUTATION_WEIGHTS,
  type HallOfFameEntry,
  type SymbolicRegressionOptions,
} from './search-options.js';
import { tournamentCdf } from './selection.js';
import { randomTree, satisfiesRules, type TreeRules } from './tree-rules.js';

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
  const {
    X,
    y,
    weights,
    binaryOperators = ['+', '-', '*', '/'],
    unaryOperators = [],
    maxSize = 30,
    maxDepth = Number.POSITIVE_INFINITY,
    warmupMaxsizeBy = 0,
    populations = 15,
    populationSize = 27,
    iterations = 100,
    ncyclesPerIteration = 380,
    tournamentSelectionN = 15,
    tournamentSelectionP = 0.982,
    mutationWeights = {},
    crossoverProbability = 0.0259,
    perturbationFactor = 0.129,
    probabilityNegateConstant = 0.00743,
    annealing = false,
    alpha = 3.17,
    parsimony = 0,
    useFrequency = true,
    useFrequencyInTournament = true,
    adaptiveParsimonyScaling = 1040,
    constraints = {},
    nestedConstraints = {},
    shouldOptimizeConstants = true,
    optimizerAlgorithm = 'LM',
    optimizerIterations = 10,
    optimizerNrestarts = 2,
    optimizeProbability = 0.14,
    shouldSimplify = true,
    batchSize = 50,
    migration = true,
    hofMigration = true,
    fractionReplaced = 0.00036,
    fractionReplacedHof = 0.0614,
    topn = 12,
    earlyStop,
    timeoutSeconds = Number.POSITIVE_INFINITY,
    maxEvals = Number.POSITIVE_INFINITY,
    seed = 0,
    onProgress,
    signal,
    complexityOfOperators = {},
    complexityOfConstants = 1,
    complexityOfVariables = 1,
  } = options;
  const data = makeDataset('symbolicRegression', X, y, weights);
  const ops = checkOperators(binaryOperators, unaryOperators);
  checkRange('maxSize', maxSize, 1, 1000, true);
  checkRange('populations', populations, 1, 10000, true);
  checkRange('populationSize', populationSize, 2, 100000, true);
  checkRange('iterations', iterations, 1, Number.MAX_SAFE_INTEGER, true);
  checkRange('ncyclesPerIteration', ncyclesPerIteration, 1, Number.MAX_SAFE_INTEGER, true);
  checkRange('tournamentSelectionN', tournamentSelectionN, 1, 100000, true);
  checkRange('tournamentSelectionP', tournamentSelectionP, 0, 1);
  checkRange('crossoverProbability', crossoverProbability, 0, 1);
  checkRange('optimizeProbability', optimizeProbability, 0, 1);
  checkRange('warmupMaxsizeBy', warmupMaxsizeBy, 0, 1);
  checkRange('timeoutSeconds', timeoutSeconds, 0, Number.POSITIVE_INFINITY);
  if (optimizerAlgorithm !== 'LM' && optimizerAlgorithm !== 'BFGS') {
    throw new Error(`symbolicRegression: 'optimizerAlgorithm' must be 'LM' or 'BFGS', got '${optimizerAlgorithm}'.`);
  }
  const batching = options.batching ?? data.n > 1000;
  const objective = new Objective(data, batching ? batchSize : undefined);
  const rules: TreeRules = {
    variables: data.names,
    binary: ops.binary,
    unary: ops.unary,
    complexity: { complexityOfOperators, complexityOfConstants, complexityOfVariables },
    maxDepth,
    constraints,
    nestedConstraints,
  };
  const start = now();
  let stopReason: SymbolicRegressionResult['stopReason'] = 'iterations';
  const shouldStop = (): boolean => {
    if (signal?.aborted) stopReason = 'aborted';
    else if ((now() - start) / 1000 >= timeoutSeconds) stopReason = 'timeout';
    else if (objective.evaluations >= maxEvals) stopReason = 'maxEvals';
    else return false;
    return true;
  };
  const counts = new Float64Array(maxSize + 2).fill(1);
  const updateFrequencies = (pop: readonly Member[]): void =>
    recordComplexities(pop, counts, engine.frequency, maxSize);
  const engine: Engine = {
    rules,
    objective,
    operators: new Set<OpName>([...ops.binary, ...ops.unary]),
    scratch: [],
    weights: { ...DEFAULT_MUTATION_WEIGHTS, ...mutationWeights },
    tournamentN: tournamentSelectionN,
    tournamentP: tournamentSelectionP,
    tournamentCdf: tournamentCdf(tournamentSelectionN, tournamentSelectionP),
    crossoverProbability,
    perturbationFactor,
    probabilityNegateConstant,
    annealing,
    alpha,
    parsimony,
    useFrequency,
    useFrequencyInTournament,
    adaptiveParsimonyScaling,
    optimizer: { algorithm: optimizerAlgorithm, iterations: optimizerIterations, restarts: optimizerNrestarts },
    optimizeProbability,
    shouldOptimizeConstants,
    shouldSimplify,
    batched: objective.batchView !== undefined,
    frequency: new Float64Array(maxSize + 2).fill(1 / (maxSize + 1)),
    birth: 0,
    shouldStop,
  };
  const rngs = createRng(seed).split(populations);
  const sizeAt = (iter: number): number =>
    warmupMaxsizeBy > 0
      ? Math.min(maxSize, 3 + Math.floor(((maxSize - 3) * iter) / (warmupMaxsizeBy * iterations)))
      : maxSize;
  const pops: Member[][] = rngs.slice(0, populations).map((rng) =>
    Array.from({ length: populationSize }, () => {
      let t = randomTree(3, rules, rng);
      for (let k = 0; k < 10 && !satisfiesRules(t, rules, sizeAt(0)); k++) t = randomTree(k < 5 ? 1 : 0, rules, rng);
      return makeMember(engine, t, objective.loss(t, false));
    }),
  );
  const hof = new HallOfFame(maxSize);
  const lossFloor = 1e-14 * objective.baseline;
  const front = (): HallOfFameEntry[] => scoreFront(hof.front(lossFloor), lossFloor);
  const earlyStopped = (): boolean => {
    if (earlyStop === undefined) return false;
    return hof
      .members()
      .some((c) => (typeof earlyStop === 'number' ? c.loss <= earlyStop : earlyStop(c.loss, c.complexity)));
  };
  for (const pop of pops) for (const m of pop) hof.update(m);

  let done = 0;
  let lastYield = now();
  outer: for (let iter = 0; iter < iterations; iter++) {
    const curMaxSize = sizeAt(iter);
    for (let p = 0; p < populations; p++) {
      const pop = pops[p] as Member[];
      const rng = rngs[p] as Rng;
      const finished = evolvePopulation(pop, engine, ncyclesPerIteration, curMaxSize, rng);
      optimizeAndSimplify(pop, engine, curMaxSize, rng);
      for (const m of pop) hof.update(m);
      updateFrequencies(pop);
      if (migration && populations > 1) {
        const pool = pops.flatMap((q) => [...q].sort((a, b) => a.cost - b.cost).slice(0, topn));
        migrate(pop, pool, fractionReplaced, engine, rng);
      }
      if (hofMigration) {
        const pool = hof.front(lossFloor).map((c) => makeMember(engine, c.tree, c.loss));
        migrate(pop, pool, fractionReplacedHof, engine, rng);
      }
      if (earlyStopped()) {
        stopReason = 'earlyStop';
        break outer;
      }
      if (!finished || shouldStop()) break outer;
      if (now() - lastYield > 20) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    done = iter + 1;
    onProgress?.({
      iteration: done,
      iterations,
      evaluations: objective.evaluations,
      elapsedSeconds: (now() - start) / 1000,
      hallOfFame: front(),
    });
  }
  const entries = front();
  return {
    hallOfFame: entries,
    best: selectModel(entries, 'best', lossFloor),
    accuracy: selectModel(entries, 'accuracy', lossFloor),
    score: selectModel(entries, 'score', lossFloor),
    evaluations: objective.evaluations,
    iterations: done,
    elapsedSeconds: (now() - start) / 1000,
    stopReason,
  };
}

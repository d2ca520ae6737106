import { createRng, type Rng } from '@odekit/core';
import { makeDataset } from './dataset.js';
import { recordComplexities } from './migration.js';
import { Objective } from './objective.js';
import type { OpName } from './operators.js';
import { type Member, makeMember, type SearchContext } from './search-context.js';
import {
  checkOperators,
  checkRange,
  DEFAULT_MUTATION_WEIGHTS,
  type SymbolicRegressionOptions,
} from './search-options.js';
import { makeSeeds, type Seed } from './seeds.js';
import { tournamentCdf } from './selection.js';
import { randomTree, satisfiesRules, type TreeRules } from './tree-rules.js';

/** The validated settings, context and islands' random streams of one search (serial or in a worker). */
export interface SearchSetup {
  readonly context: SearchContext;
  readonly objective: Objective;
  readonly populations: number;
  readonly populationSize: number;
  readonly iterations: number;
  readonly ncyclesPerIteration: number;
  readonly maxSize: number;
  readonly migration: boolean;
  readonly hofMigration: boolean;
  readonly fractionReplaced: number;
  readonly fractionReplacedHof: number;
  readonly topn: number;
  /** The `restartStagnant` option (undefined: no restarts). */
  readonly restartStagnant: number | undefined;
  readonly timeoutSeconds: number;
  readonly maxEvals: number;
  /** One stream per island, split from the seed. */
  readonly rngs: readonly Rng[];
  /** Losses below this (1e-14 × the baseline) count as equal on the front. */
  readonly lossFloor: number;
  /** The `tidy`, `tidyTolerance` and `noiseVariance` options. */
  readonly tidy: boolean;
  readonly tidyTolerance: number;
  readonly noiseVariance: number | undefined;
  /** The `modelSelection` option. */
  readonly modelSelection: 'auto' | 'pysr';
  /** The size limit at an iteration (warm-up). */
  sizeAt(iter: number): number;
  /** A fresh random population for island `p` (uses and advances `rngs[p]`). */
  initialPopulation(p: number): Member[];
  /** A random population for island `p`, no seeds (a restart; uses and advances `rngs[p]`). */
  randomPopulation(p: number): Member[];
  /** Adds a population's complexities to the adaptive-parsimony statistics. */
  updateFrequencies(pop: readonly Member[]): void;
}

/**
 * Validates `options` and builds the search state; `shouldStop` is the context's stop test.
 *
 * @throws Error naming the option for malformed data, unknown operators or out-of-range values.
 */
export function setupSearch(options: SymbolicRegressionOptions, shouldStop: () => boolean): SearchSetup {
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
    restartStagnant,
    timeoutSeconds = Number.POSITIVE_INFINITY,
    maxEvals = Number.POSITIVE_INFINITY,
    seed = 0,
    seedPopulations = true,
    seedSimpleCoefficients = true,
    tidy = true,
    tidyTolerance = 1e-3,
    noiseVariance,
    modelSelection = 'auto',
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
  checkRange('tidyTolerance', tidyTolerance, 0, Number.POSITIVE_INFINITY);
  if (restartStagnant !== undefined) {
    checkRange('restartStagnant', restartStagnant, 0, 1);
    if (restartStagnant === 0)
      throw new Error("symbolicRegression: 'restartStagnant' must be above 0 (a fraction of the budget).");
  }
  if (noiseVariance !== undefined) checkRange('noiseVariance', noiseVariance, 0, Number.POSITIVE_INFINITY);
  if (modelSelection !== 'auto' && modelSelection !== 'pysr') {
    throw new Error(`symbolicRegression: 'modelSelection' must be 'auto' or 'pysr', got ${String(modelSelection)}.`);
  }
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
  const context: SearchContext = {
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
  const rngs = createRng(seed).split(populations).slice(0, populations);
  const sizeAt = (iter: number): number =>
    warmupMaxsizeBy > 0
      ? Math.min(maxSize, 3 + Math.floor(((maxSize - 3) * iter) / (warmupMaxsizeBy * iterations)))
      : maxSize;
  const counts = new Float64Array(maxSize + 2).fill(1);
  const randomMember = (rng: Rng): Member => {
    let t = randomTree(3, rules, rng);
    for (let k = 0; k < 10 && !satisfiesRules(t, rules, sizeAt(0)); k++) t = randomTree(k < 5 ? 1 : 0, rules, rng);
    return makeMember(context, t, objective.loss(t, false));
  };
  let seeds: Seed[] | undefined;
  // seeds are fitted once per setup, from their own stream (islands' streams stay as without seeds)
  const seedList = (): Seed[] => {
    seeds ??= seedPopulations
      ? makeSeeds(objective, rules, sizeAt(0), createRng(seed).split(populations + 1)[populations] as Rng, {
          simpleCoefficients: seedSimpleCoefficients,
        })
      : [];
    return seeds;
  };
  return {
    context,
    objective,
    populations,
    populationSize,
    iterations,
    ncyclesPerIteration,
    maxSize,
    migration,
    hofMigration,
    fractionReplaced,
    fractionReplacedHof,
    topn,
    restartStagnant,
    timeoutSeconds,
    maxEvals,
    rngs,
    lossFloor: 1e-14 * objective.baseline,
    tidy,
    tidyTolerance,
    noiseVariance,
    modelSelection,
    sizeAt,
    initialPopulation(p: number): Member[] {
      const rng = rngs[p] as Rng;
      // a third of every other island from the seeds (the three best, the others in turn); the
      // rest start random, as PySR's, so seeds that fit well but are wrong cannot crowd out the search
      const list = p % 2 === 0 ? seedList() : [];
      const nSeeds = Math.min(list.length, Math.floor(populationSize / 3));
      const picked = Array.from({ length: nSeeds }, (_, j) =>
        j < 3 ? list[j] : list[3 + (((p / 2) * (nSeeds - 3) + j - 3) % Math.max(1, list.length - 3))],
      ).filter((s): s is Seed => s !== undefined);
      return Array.from({ length: populationSize }, (_, j) => {
        const s = picked[j];
        if (s !== undefined) return makeMember(context, s.tree, s.loss);
        return randomMember(rng);
      });
    },
    randomPopulation(p: number): Member[] {
      const rng = rngs[p] as Rng;
      return Array.from({ length: populationSize }, () => randomMember(rng));
    },
    updateFrequencies(pop: readonly Member[]): void {
      recordComplexities(pop, counts, context.frequency, maxSize);
    },
  };
}

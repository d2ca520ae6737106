import type { ComplexityOptions } from './complexity.js';
import type { DataColumns } from './dataset.js';
import type { EarlyStopOption } from './early-stop.js';
import type { Expression } from './expression.js';
import { type BinaryOpName, isBinaryOp, isUnaryOp, type OpName, type UnaryOpName } from './operators.js';
import type { SearchClock } from './search-clock.js';

/** Relative weights of the mutations (SymbolicRegression.jl's `MutationWeights`). */
export interface MutationWeights {
  mutateConstant: number;
  mutateOperator: number;
  swapOperands: number;
  rotateTree: number;
  addNode: number;
  insertNode: number;
  deleteNode: number;
  simplify: number;
  randomize: number;
  doNothing: number;
  optimize: number;
}

/**
 * PySR's tuned default mutation weights (PySR ≥ 0.19; Cranmer 2023, arXiv:2305.01582).
 *
 * @example
 * ```ts
 * import { DEFAULT_MUTATION_WEIGHTS } from '@odekit/symbolic';
 * if (DEFAULT_MUTATION_WEIGHTS.rotateTree !== 4.26 || !Object.isFrozen(DEFAULT_MUTATION_WEIGHTS)) throw new Error('bad');
 * ```
 */
export const DEFAULT_MUTATION_WEIGHTS: Readonly<MutationWeights> = Object.freeze({
  mutateConstant: 0.0346,
  mutateOperator: 0.293,
  swapOperands: 0.198,
  rotateTree: 4.26,
  addNode: 2.47,
  insertNode: 0.0112,
  deleteNode: 0.87,
  simplify: 0.00209,
  randomize: 0.000502,
  doNothing: 0.273,
  optimize: 0,
});

/** Progress reported after each iteration. */
export interface SearchProgress {
  readonly iteration: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly elapsedSeconds: number;
  /** The current Pareto front. */
  readonly hallOfFame: readonly HallOfFameEntry[];
}

/** One entry of the hall of fame (the Pareto front of loss against complexity). */
export interface HallOfFameEntry {
  readonly complexity: number;
  /** Weighted mean squared error on the full data. */
  readonly loss: number;
  /** PySR's score: −Δlog(loss)/Δcomplexity against the previous front entry (0 for the first). */
  readonly score: number;
  readonly expr: Expression;
}

/** Options of `symbolicRegression`. Defaults follow PySR's unless noted (see the README for the differences). */
export interface SymbolicRegressionOptions extends ComplexityOptions {
  /** Inputs by variable name, each `[N]`. */
  readonly X: DataColumns;
  /** Targets `[N]`. */
  readonly y: Float64Array | readonly number[];
  /** Sample weights `[N]` (weighted MSE). */
  readonly weights?: Float64Array | readonly number[];
  /** Default `['+', '-', '*', '/']`. */
  readonly binaryOperators?: readonly BinaryOpName[];
  /** Default `[]`. */
  readonly unaryOperators?: readonly UnaryOpName[];
  /** Maximum complexity (default 30). */
  readonly maxSize?: number;
  /** Maximum depth (default: no limit beyond maxSize). */
  readonly maxDepth?: number;
  /** Grow the size limit linearly from 3 to maxSize over this fraction of the iterations (default 0). */
  readonly warmupMaxsizeBy?: number;
  /** Number of populations (islands) (default 15; PySR 31 on many cores). */
  readonly populations?: number;
  /** Members per population (default 27). */
  readonly populationSize?: number;
  /** Iterations (default 100; the search also stops at timeoutSeconds, maxEvals or earlyStop). */
  readonly iterations?: number;
  /** Mutation rounds per population per iteration (default 380). */
  readonly ncyclesPerIteration?: number;
  /** Tournament size (default 15) and probability of picking the best (default 0.982). */
  readonly tournamentSelectionN?: number;
  readonly tournamentSelectionP?: number;
  readonly mutationWeights?: Partial<MutationWeights>;
  /** Probability of crossover instead of mutation (default 0.0259). */
  readonly crossoverProbability?: number;
  /** Constant perturbation scale (default 0.129) and sign-flip probability (default 0.00743). */
  readonly perturbationFactor?: number;
  readonly probabilityNegateConstant?: number;
  /** Simulated annealing (default false) and its temperature scale alpha (default 3.17). */
  readonly annealing?: boolean;
  readonly alpha?: number;
  /** Complexity penalty added to the normalised loss (default 0). */
  readonly parsimony?: number;
  /** Penalise crowded complexities in tournaments and acceptance (default true) and its scale (default 1040). */
  readonly useFrequency?: boolean;
  readonly useFrequencyInTournament?: boolean;
  readonly adaptiveParsimonyScaling?: number;
  /** Maximum complexity of operator arguments: `{ '^': [-1, 1], exp: 5 }` (-1: no limit). */
  readonly constraints?: Readonly<Partial<Record<OpName, number | readonly [number, number]>>>;
  /** Maximum nesting: `{ exp: { exp: 0, log: 0 } }` forbids exp or log inside exp. */
  readonly nestedConstraints?: Readonly<Partial<Record<OpName, Readonly<Partial<Record<OpName, number>>>>>>;
  /** Optimise constants (default true) with Levenberg–Marquardt ('LM', default) or 'BFGS'. */
  readonly shouldOptimizeConstants?: boolean;
  readonly optimizerAlgorithm?: 'LM' | 'BFGS';
  readonly optimizerIterations?: number;
  readonly optimizerNrestarts?: number;
  readonly optimizeProbability?: number;
  /** Simplify members after each cycle (default true). */
  readonly shouldSimplify?: boolean;
  /** Mini-batches (default: true when N > 1,000; PySR: off) and their size (default 50, as PySR). */
  readonly batching?: boolean;
  readonly batchSize?: number;
  /** Migration between populations and from the hall of fame. */
  readonly migration?: boolean;
  readonly hofMigration?: boolean;
  readonly fractionReplaced?: number;
  readonly fractionReplacedHof?: number;
  readonly topn?: number;
  /**
   * Restart an island with a fresh random population when it has not put a new holder into the
   * hall of fame for this fraction of the budget (in (0, 1]; see `RestartTracker`). Default: never
   * (PySR's islands run for the whole search).
   */
  readonly restartStagnant?: number;
  /**
   * Stop early: when a loss threshold or a predicate of (loss, complexity) is met (PySR's
   * `early_stop_condition`), or, with a rule object (`EarlyStopRule`), also when the front has
   * stopped improving for a fraction of the budget (`{ stall: 0.3, floorStall: 0.15 }`).
   * Default: never (the full budget).
   */
  readonly earlyStop?: EarlyStopOption;
  readonly timeoutSeconds?: number;
  /**
   * What `timeoutSeconds` counts (default `'wall'`): `'cpu'` counts the process's CPU seconds per
   * search thread (Node only), so a budget buys the same work however loaded the machine is.
   */
  readonly clock?: SearchClock;
  readonly maxEvals?: number;
  /**
   * Seed the initial populations (default true) with sparse polynomial fits (STLSQ) and one-input
   * saturating, rational, power and exponential units with fitted constants (see `makeSeeds`);
   * false: random populations only, as PySR.
   */
  readonly seedPopulations?: boolean;
  /**
   * Among the seeds, also the power-beside-quadratic forms whose coefficients, rounded to 1 or 2
   * significant digits, still fit best (default true; see `makeSeeds`): at 1 % noise the exponent
   * is not identified by the loss, but only the right one leaves simple coefficients. false: the
   * seeds of earlier releases.
   */
  readonly seedSimpleCoefficients?: boolean;
  /**
   * Tidy the returned hall of fame (default true): simplify each entry, drop terms and round
   * constants to the fewest significant digits that keep its loss within `tidyTolerance` of the
   * fit (see `tidyTree`). false: the raw entries, as PySR.
   */
  readonly tidy?: boolean;
  /** Relative loss increase a tidied entry may have (default 1e-3): `loss ≤ (1 + tol)·loss₀ + floor`. */
  readonly tidyTolerance?: number;
  /**
   * The loss a correct model is expected to reach: the variance of the noise on y, or, when y are a
   * network's outputs, the network's own squared error. When given, `best` is the simplest entry
   * of the front with loss ≤ `noiseVariance` (PySR's rule when none is). Leave out when unknown.
   */
  readonly noiseVariance?: number;
  /**
   * How `best` is chosen when `noiseVariance` is not given (default `'auto'`): where the residual
   * of the most accurate front entry is mostly white noise (a nearest-neighbour estimate of its
   * noise variance is at least half its loss), the entry minimising n·loss/σ² + k·ln n +
   * complexity (k constants, σ² the lowest loss; see `selectByNoise`), else PySR's rule (the
   * highest score among entries within 1.5× the lowest loss). `'pysr'`: always PySR's rule.
   */
  readonly modelSelection?: 'auto' | 'pysr';
  /** Seed of the random stream; the search is deterministic for a seed when not stopped by time. */
  readonly seed?: number;
  readonly onProgress?: (progress: SearchProgress) => void;
  readonly signal?: AbortSignal;
}

/** Checks operator names; returns them deduplicated. */
export function checkOperators(binaryOperators: readonly string[], unaryOperators: readonly string[]) {
  for (const op of binaryOperators) {
    if (!isBinaryOp(op)) {
      throw new Error(`symbolicRegression: unknown binary operator '${op}' in 'binaryOperators'; use + - * / ^.`);
    }
  }
  for (const op of unaryOperators) {
    if (!isUnaryOp(op)) {
      throw new Error(
        `symbolicRegression: unknown unary operator '${op}' in 'unaryOperators'; use neg exp log sqrt sin cos tanh abs square cube inv.`,
      );
    }
  }
  if (binaryOperators.length === 0 && unaryOperators.length === 0) {
    throw new Error("symbolicRegression: no operators; pass e.g. binaryOperators: ['+', '*'].");
  }
  return {
    binary: [...new Set(binaryOperators)] as BinaryOpName[],
    unary: [...new Set(unaryOperators)] as UnaryOpName[],
  };
}

/** Throws unless `value` is a number in [lo, hi] (integers when `integer`). */
export function checkRange(name: string, value: number, lo: number, hi: number, integer = false): void {
  if (typeof value !== 'number' || !(value >= lo && value <= hi) || (integer && !Number.isInteger(value))) {
    throw new Error(
      `symbolicRegression: '${name}' must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${value}.`,
    );
  }
}

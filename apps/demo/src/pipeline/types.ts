// The pipeline's public contract: what the command (src/cli) and the web page (src/web) pass in
// and get back. Browser-safe: no Node modules, no tfjs tensors in any of these types.

/**
 * A model written as equations: @odekit/observables' spec (see its README), e.g.
 * `{ states: ['r','c'], parameters: { alpha: 1 }, equations: { r: 'alpha*r - ...', c: '... + NN(r, c)' },
 *    initial: { r: 'data', c: 'data' }, networks: { NN: { width: 4 } } }`.
 * The pipeline reads only `states`, `parameters`, `equations`, `initial`, `observations`,
 * `networks` and `discovery` (this app's per-stage settings); the rest is passed through.
 */
export interface ModelSpec {
  readonly states: readonly string[];
  readonly parameters?: Readonly<Record<string, number>>;
  readonly equations: Readonly<Record<string, string>>;
  readonly initial?: Readonly<Record<string, number | 'data' | 'fit'>>;
  readonly observations?: Readonly<Record<string, string>>;
  readonly networks?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Stage settings written in the spec (the command's flags win over these). */
  readonly discovery?: Partial<StageSettings>;
  readonly [key: string]: unknown;
}

/** The stages, in order. A model without network calls runs `mechanistic` and `report` only. */
export const STAGE_NAMES = ['mechanistic', 'hybrid', 'symbolic', 'refit', 'report'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Per-stage settings; every field has a default (see `DEFAULT_SETTINGS` in settings.ts). */
export interface StageSettings {
  /** Curriculum of the mechanistic fit: fractions of each series' time span, in order (default [0.25, 0.5, 1]). */
  readonly mechanisticLengths: readonly number[];
  /** L-BFGS iterations per curriculum length of the mechanistic fit (default 60). */
  readonly mechanisticIterations: number;
  /** Curriculum (prefix fractions) of the hybrid stage (default [0.3, 0.6, 1]). */
  readonly hybridLengths: readonly number[];
  /** Adam steps per hybrid curriculum length (default 150). */
  readonly hybridSteps: number;
  /** Adam steps of the joint stage, everything trained (default 300). */
  readonly jointSteps: number;
  /**
   * L-BFGS iterations on the networks (physics frozen) after the Adam steps (default 100), and per
   * segment length and prefix from a gradient-matching start: the networks at their optimum before
   * everything is trained together. Without them the Adam steps left the networks far from it
   * (loss 0.0064 on the embedded example against a noise floor of 0.0008), and where the joint
   * phase ended depended on chance (the seed, last-bit rounding).
   */
  readonly networkIterations: number;
  /**
   * L-BFGS iterations of each of the hybrid stage's two gradient-matching phases (default 200; 0:
   * none): when the talk's curriculum misses the data by over twice the noise floor, the networks
   * and then everything are fitted so that the right-hand side at the data's smoothed states
   * matches their smoothed rates (collocation), before multiple shooting. Only when every state is
   * observed directly.
   */
  readonly collocationIterations: number;
  /** L-BFGS iterations on everything at the end of the hybrid stage (default 100; 0: none). */
  readonly jointIterations: number;
  /** Adam learning rate of the hybrid and joint stages (default 1e-2). */
  readonly learningRate: number;
  /** States sampled for symbolic regression (default 10000). */
  readonly samples: number;
  /**
   * Extra initial conditions sampled around the data's for the search (default 8), relative
   * spread (default 0.2). The states where the networks were trained (the data's trajectories,
   * where the UDE paper ran its sparse regression) give best polynomial subsets of their own.
   */
  readonly sampleTrajectories: number;
  readonly sampleSpread: number;
  /** Relative jitter added to sampled states (default 0.02; half of it along the data's trajectories). */
  readonly jitter: number;
  /** Operators of the search (default + - * /, PySR's; unary none). */
  readonly binaryOperators: readonly ('+' | '-' | '*' | '/' | '^')[];
  readonly unaryOperators: readonly string[];
  /** Largest complexity searched (default 16). */
  readonly maxSize: number;
  /**
   * Selection: the simplest front entry whose RMS error against the network is within this
   * fraction of the network output's RMS, or within 2x the lowest loss (default 0.05).
   */
  readonly selectionTolerance: number;
  /**
   * Candidates per network judged on the data in the refit, each refit briefly in place of the
   * network (default 10), one per form: the search's choice, its nearest front entries, the best
   * rational shapes `m/(p + q*d)` (up to 3) and the best polynomial subsets of 1–3 terms; besides
   * these, every one-term candidate (each monomial of the inputs up to degree 2). Of those within an
   * F-test-like margin of the best, the fewest constants, then the lowest loss, wins.
   */
  readonly candidates: number;
  /** L-BFGS iterations of the refit (default 200). */
  readonly refitIterations: number;
  /** Solver tolerances of every fit (default rtol 1e-6, atol 1e-8: smooth losses for line searches). */
  readonly rtol: number;
  readonly atol: number;
  /**
   * Fit each trajectory's start (default true): a state whose initial value is `"data"` starts at
   * its trajectory's first row plus a correction every stage trains with the rest (the report's
   * `initial` gives the fitted starts). A first row is as noisy as the others, and a
   * predator–prey orbit is neutrally stable: started 3 % off, the model stays on another orbit for
   * the whole series, and the parameters (or the networks) bend to make up for it. `false` keeps
   * the first rows exactly.
   */
  readonly fitStarts: boolean;
  /**
   * Refit each candidate expression from a second start too (default true): its constants and the
   * physics fitted to the smoothed data's rates (gradient matching), not to the network's samples;
   * the better of the two refits counts. Used when every state is observed directly.
   */
  readonly rateStarts: boolean;
  /**
   * Scale each network's inputs and output by the data's orders of magnitude (default true; see
   * `withNetworkScales`): a network whose spec sets `inputScale` or `outputScale` keeps its own.
   */
  readonly networkScales: boolean;
  /**
   * Fit each parameter in units of its own magnitude (default true): a scalar parameter whose
   * starting value in the model (or, for a found expression's constant, its own start) is under
   * 0.2 or over 5 is optimised as its value over that power of ten, by L-BFGS and by Adam alike.
   * Adam's steps and L-BFGS's first step are the same size for every parameter; without this a
   * rate of 0.02 in data of other units moved 50-fold in the first line search and never came back.
   */
  readonly parameterScales: boolean;
  /**
   * Weigh the data's channels alike whatever their units (default true): when some channel's RMS
   * over the data is under 0.2 or over 5, every loss divides each channel's residuals by that
   * channel's RMS, so the loss is the same in any such units. Without it a prey counted in tens and
   * a predator in tenths made the loss the prey's alone, and the predator's rates came back 25 %
   * off; scaled by powers of ten only, channels of one decade still counted up to 10× apart and
   * some cases read back look-alikes in other units that they read back exactly in units of a few.
   * Data of a few units keep the raw residuals (the embedded example, weighted by RMS, read back a
   * look-alike).
   */
  readonly lossScales: boolean;
}

/** What `runPipeline` needs. */
export interface PipelineInput {
  /** The model (parsed JSON). */
  readonly spec: ModelSpec;
  /** The data as CSV text: a time column, one column per observed channel, an optional trajectory column. */
  readonly csv: string;
  /** A name for the data in the report (e.g. the file name; default 'data.csv'). */
  readonly dataName?: string;
  readonly options?: PipelineOptions;
}

/** Run options (the command's flags). */
export interface PipelineOptions {
  /** Seed of every random choice (default 0). */
  readonly seed?: number;
  /**
   * Seconds of symbolic regression per network (default 30). Turned into a fixed number of
   * evaluations so that a seeded serial run is deterministic; the wall-clock limit (20x + 60 s) is only a safety net.
   */
  readonly budget?: number;
  /** Search threads: 0 = serial on this thread (deterministic), a count, or 'auto' (default 0 in the pipeline). */
  readonly workers?: number | 'auto';
  /** Stages to run (default all; `report` always runs). */
  readonly stages?: readonly StageName[];
  /** Column names (defaults 't' and 'trajectory'). */
  readonly timeColumn?: string;
  readonly trajectoryColumn?: string;
  /** Overrides of the stage settings (win over the spec's `discovery`). */
  readonly settings?: Partial<StageSettings>;
  /**
   * The expression to refit for a network instead of the search's choice, by network name, in the
   * search's variables (e.g. `{ NN: '0.3*c^2 - 0.1*c^3' }`: a row of the Pareto table). The search
   * still runs (the report keeps its front); the refit then fits exactly this expression (no other
   * candidates, no term dropped), its constants from their written values.
   */
  readonly choose?: Readonly<Record<string, string>>;
  /** Stops the run between steps; the pipeline then rejects with an `AbortError`-named error. */
  readonly signal?: AbortSignal;
  /** Called with every event; may return a promise (awaited). */
  readonly onEvent?: (event: PipelineEvent) => void | Promise<void>;
  /**
   * Awaited after every optimiser step or iteration: each Adam step and each L-BFGS iteration, in
   * every stage (the refit's candidate fits included). A page holds a paused run here and lets one
   * iteration through per Step; `signal` is checked right after, so Stop takes effect at the next
   * iteration. The run's numbers do not depend on it.
   */
  readonly gate?: () => void | Promise<void>;
  /** Send `predictions` events at most once per this many milliseconds (default 250). */
  readonly predictionEvery?: number;
}

/** A channel's values on a time grid, for live plots (NaN = missing). */
export interface SeriesSet {
  readonly trajectory: number;
  readonly t: readonly number[];
  /** By channel name. */
  readonly values: Readonly<Record<string, readonly number[]>>;
}

/** One entry of a Pareto front. */
export interface FrontEntry {
  readonly complexity: number;
  /** Mean squared error against the network on the sampled states. */
  readonly loss: number;
  readonly score: number;
  /** In @odekit/symbolic's grammar, constants rounded. */
  readonly expression: string;
  readonly latex: string;
}

/** Progress events, in order of a run. */
export type PipelineEvent =
  | { readonly type: 'stage-start'; readonly stage: StageName; readonly detail: string }
  | {
      readonly type: 'stage-end';
      readonly stage: StageName;
      readonly seconds: number;
      readonly loss: number | null;
      readonly stopReason: string;
      readonly message: string;
    }
  /** Per optimisation step (Adam) or iteration (L-BFGS); `fraction` of the stage done in [0, 1]. */
  | {
      readonly type: 'step';
      readonly stage: StageName;
      readonly step: number;
      readonly loss: number;
      readonly fraction: number;
      readonly phase: string;
    }
  /** The current model's predictions on the data's trajectories (for live plots). */
  | { readonly type: 'predictions'; readonly stage: StageName; readonly series: readonly SeriesSet[] }
  /** The symbolic search's current front for one network. */
  | {
      readonly type: 'pareto';
      readonly network: string;
      readonly front: readonly FrontEntry[];
      readonly fraction: number;
    }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string };

/** Results of one stage in the report. */
export interface StageReport {
  readonly name: StageName;
  /** Mean squared error on the whole data at the stage's end (null for stages without a fit). */
  readonly loss: number | null;
  readonly seconds: number;
  /** Optimisation steps or iterations (search iterations for `symbolic`). */
  readonly steps: number;
  /** Why it stopped, e.g. `value_tolerance`, `line_search_failed`, `completed`, `nonfinite`. */
  readonly stopReason: string;
  readonly message: string;
}

/** What was found for one network. */
export interface DiscoveredTerm {
  /** The chosen expression after the refit (constants rounded), in @odekit/symbolic's grammar. */
  readonly expression: string;
  readonly latex: string;
  /** The expression as the search chose it, before the refit. */
  readonly searched: string;
  readonly inputs: readonly string[];
  readonly complexity: number;
  /** RMS of the network's output on the sampled states, and RMS error of the chosen expression there. */
  readonly networkRms: number;
  readonly errorRms: number;
  readonly front: readonly FrontEntry[];
  /** Sampled points kept for the report's plot (a subset): inputs, network and expression values. */
  readonly samples: {
    readonly inputs: Readonly<Record<string, readonly number[]>>;
    readonly network: readonly number[];
    readonly expression: readonly number[];
  };
}

/** report.json (schema documented in apps/demo/README.md; `version` changes when it does). */
export interface Report {
  readonly version: 1;
  readonly generator: '@odekit/demo';
  readonly options: {
    readonly seed: number;
    readonly budget: number;
    readonly workers: number | 'auto';
    readonly stages: readonly StageName[];
    /** The `choose` option, when a run was given one. */
    readonly choose?: Readonly<Record<string, string>>;
  };
  readonly data: {
    readonly file: string;
    readonly rows: number;
    readonly channels: readonly string[];
    readonly trajectories: number;
    readonly timeSpan: readonly [number, number];
  };
  /** Final right-hand side of every state, numbers in place. */
  readonly equations: Readonly<Record<string, string>>;
  readonly equationsLatex: Readonly<Record<string, string>>;
  readonly discovered: Readonly<Record<string, DiscoveredTerm>>;
  /** Physical parameters (and refit constants): final values and the values at each stage's end. */
  readonly parameters: {
    readonly final: Readonly<Record<string, number>>;
    readonly byStage: Readonly<Partial<Record<StageName, Readonly<Record<string, number>>>>>;
  };
  /** Initial values per trajectory and state: final, and per stage. */
  readonly initial: {
    readonly final: readonly Readonly<Record<string, number>>[];
    readonly byStage: Readonly<Partial<Record<StageName, readonly Readonly<Record<string, number>>[]>>>;
  };
  readonly stages: readonly StageReport[];
  /** Fit quality: per channel RMS residual of the final model, and the noise estimated from the data. */
  readonly fit: {
    readonly residualRms: Readonly<Record<string, number>>;
    readonly noiseRms: Readonly<Record<string, number>>;
  };
  /** Model predictions for the plots: each fitted stage's on the data's span, the final one to twice the span. */
  readonly predictions: {
    readonly byStage: Readonly<Partial<Record<StageName, readonly SeriesSet[]>>>;
    readonly extrapolation: readonly SeriesSet[];
  };
  /** Loss per step of each stage (finite values). */
  readonly lossCurves: Readonly<Partial<Record<StageName, readonly number[]>>>;
  /** The data as read (per trajectory), for the plots. */
  readonly observed: readonly SeriesSet[];
}

/** What `runPipeline` resolves with: the report and the final model as an equations spec. */
export interface PipelineResult {
  readonly report: Report;
  /** The final model (discovered terms in place of network calls), reloadable with `--model`. */
  readonly model: ModelSpec;
}

/** An error a user caused (file, spec, equation, flag): one line naming the place and the fix. */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
}

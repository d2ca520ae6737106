import type { PipelineEvent, Report, SeriesSet, StageSettings } from '../pipeline/types.js';
import type { PageBackend } from './setup.js';

/** A problem in the user's spec or data, placed where the editor can mark it. */
export interface InputIssue {
  /** One line naming the place and the fix. */
  readonly message: string;
  /** 1-based line and column in the spec text (or the CSV), when known. */
  readonly line?: number;
  readonly column?: number;
}

/** What the worker found in the current spec and data. */
export interface CheckResult {
  readonly specIssues: readonly InputIssue[];
  readonly csvIssues: readonly InputIssue[];
  /** Each state's right-hand side as LaTeX (network calls included), when the spec parses. */
  readonly equationsLatex: Readonly<Record<string, string>>;
  /** E.g. `100 rows, channels r, c, 1 trajectory`, when the CSV reads. */
  readonly dataSummary: string | null;
  /** The data as the pipeline reads it, for the plot (empty when the CSV does not read). */
  readonly observed: readonly SeriesSet[];
}

/** Everything one run needs; texts are sent as typed so the worker parses them as the command does. */
export interface RunRequest {
  readonly specText: string;
  readonly csv: string;
  readonly dataName: string;
  readonly seed: number;
  readonly budget: number;
  readonly settings: Partial<StageSettings>;
  readonly backend: PageBackend;
  /** Start paused (the Step button on an idle page): the run waits at its first step. */
  readonly startPaused: boolean;
  /**
   * Refit with front entries the user chose, by network (the pipeline's `choose`): the whole
   * pipeline runs again with the same seed, and the refit fits these expressions as written.
   */
  readonly choose?: Readonly<Record<string, string>>;
}

/** The files a finished run offers, byte for byte what the command writes. */
export interface RunFiles {
  readonly reportJson: string;
  readonly reportHtml: string;
  readonly modelJson: string;
}

/** A figure of report.html, drawn to SVG in the worker (keeps the page's main thread free). */
export interface RenderedFigure {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
}

/** How a run ended. */
export type RunOutcome =
  | {
      readonly status: 'done';
      readonly report: Report;
      readonly files: RunFiles;
      readonly figures: readonly RenderedFigure[];
      readonly seconds: number;
    }
  | { readonly status: 'stopped'; readonly seconds: number }
  | { readonly status: 'failed'; readonly message: string; readonly userError: boolean; readonly seconds: number };

/** The worker's API, called through comlink. */
export interface WorkerApi {
  /** Starts `backend` (falls back to wasm, then cpu, if it cannot start); returns what is offered and what runs. */
  init(backend: PageBackend): Promise<{ available: PageBackend[]; active: string }>;
  /** Checks a spec and a CSV as the command would read them. */
  check(specText: string, csv: string): Promise<CheckResult>;
  /** Runs the pipeline; `onEvents` gets batches of events (at most ~10 per second, plus stage changes). */
  run(request: RunRequest, onEvents: (events: PipelineEvent[]) => void): Promise<RunOutcome>;
  pause(): void;
  resume(): void;
  /** While paused: let one more optimisation step through. */
  step(): void;
  /** Stops the run at its next step; `run` resolves with `stopped`. */
  stop(): void;
  /** `tf.memory()` of the worker: live tensors and bytes (the browser test's leak check). */
  memory(): { numTensors: number; numBytes: number; backend: string };
}

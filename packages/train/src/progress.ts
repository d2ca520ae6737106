/** What a progress reporter hears about each step. */
export interface ProgressInfo {
  /** Steps done in all, and the total planned. */
  step: number;
  total: number;
  /** The stage index and name. */
  stage: number;
  stageName: string;
  /** The loss of the last step. */
  loss: number;
  /** Milliseconds since `fit` started. */
  elapsedMs: number;
}

/** Receives `fit`'s progress (see `terminalProgress` in `@odekit/train/node` for a terminal bar). */
export interface ProgressReporter {
  start(info: { total: number; stages: string[] }): void;
  update(info: ProgressInfo): void;
  stop(info: { stopReason: string; message: string }): void;
}

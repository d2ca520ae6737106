import type { TensorTree } from '@odekit/core';
import type { Dataset, EquationsModel, EquationsParams } from '@odekit/observables';
import type { LbfgsOptions, LbfgsResult } from '@odekit/train';
import type { PipelineEvent, StageName, StageSettings } from '../types.js';

/** What every stage gets: the data, the settings, and the event channel. */
export interface StageContext {
  readonly data: Dataset;
  readonly settings: StageSettings;
  readonly seed: number;
  readonly signal: AbortSignal | undefined;
  /** Sends an event (awaited); after a `step` event it awaits {@link StageContext.gate} (a page may pause here). */
  emit(event: PipelineEvent): Promise<void>;
  /** Sends an event without waiting (inside `onIteration` of {@link StageContext.lbfgs}, which awaits the gate itself). */
  emitNow(event: PipelineEvent): void;
  /** Sends the model's predictions on the data's trajectories for live plots. */
  predictions(stage: StageName, model: EquationsModel, params: EquationsParams): Promise<void>;
  /**
   * Awaited after every optimiser step or iteration (a page holds a paused run here; Step lets one
   * through). It does not throw: the caller checks `signal` after it.
   */
  gate(): Promise<void>;
  /**
   * `lbfgsAsync` of @odekit/train with {@link StageContext.gate} awaited after every iteration (after
   * `onIteration`): a stopped run throws an `AbortError` there (no tensor is alive between
   * iterations, so nothing leaks).
   */
  lbfgs<P extends TensorTree>(options: LbfgsOptions<P>): Promise<LbfgsResult<P>>;
  /**
   * The model's parameters at the user's starting values (the magnitudes they are fitted in with
   * `parameterScales`); absent, each parameter's magnitude is that of its value where a fit starts.
   */
  readonly userValues?: Readonly<Record<string, number>>;
  /**
   * The scale each data channel's residuals are divided by in every loss (`normalize` of
   * @odekit/observables' loss options: see `lossScales`); absent, residuals count as they are.
   */
  readonly lossScales?: Readonly<Record<string, number>>;
}

/** What a fitting stage returns: new parameters (owned), the loss curve, and how it stopped. */
export interface StageOutcome {
  readonly params: EquationsParams;
  readonly curve: number[];
  readonly steps: number;
  readonly stopReason: string;
  readonly message: string;
}

/** Throws an `AbortError` when the run was stopped. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const e = new Error('the run was stopped');
    e.name = 'AbortError';
    throw e;
  }
}

/**
 * An L-BFGS `onIteration` that appends each iteration's loss to `curve` and sends a `step` event
 * for `stage` and `phase`, its step number and progress fraction from `at` (read when the
 * iteration comes, so counters the caller advances between phases are current).
 */
export function stepReporter(
  ctx: StageContext,
  curve: number[],
  stage: StageName,
  phase: string,
  at: (iteration: number) => { step: number; fraction: number },
): (info: { iteration: number; value: number }) => void {
  return ({ iteration, value }) => {
    curve.push(value);
    const { step, fraction } = at(iteration);
    ctx.emitNow({ type: 'step', stage, step, loss: value, fraction, phase });
  };
}

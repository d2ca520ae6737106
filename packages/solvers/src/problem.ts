import type { Tree } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { StepSizeController } from './controllers.js';
import type { StateLayout } from './packing.js';
import type { SaveAt } from './save-at.js';
import type { AbstractSolver, HostField, RowField } from './solver.js';
import type { VectorField } from './term.js';

/** Everything an adjoint needs to run (and re-run) the solve. */
export interface SolveProblem {
  readonly vectorField: VectorField<Tree<tf.Tensor>, unknown>;
  readonly solver: AbstractSolver;
  readonly controller: StepSizeController;
  readonly t0: number;
  readonly t1: number;
  readonly dt0: number | undefined;
  readonly layout: StateLayout;
  readonly saveat: SaveAt;
  readonly maxSteps: number;
  readonly progress: ((p: { t: number; fraction: number; numSteps: number }) => void) | undefined;
  readonly y0: Tree<tf.Tensor>;
  readonly args: unknown;
  /** Builds the row vector field for given args (the adjoints swap in their own leaves). */
  rowField(args: unknown): RowField;
  /** The same field on host arrays (tape-free; for the cpu and wasm backends). */
  hostField(args: unknown): HostField;
  /**
   * Why this solve did not take its fast path where it could have (a field with a host implementation
   * that did not open, an adjoint that recorded the full tape): each reason once, reported as
   * `sol.stats.fallbacks`.
   */
  readonly fallbacks: string[];
  /** Records a fallback reason (once). */
  reportFallback(reason: string): void;
}

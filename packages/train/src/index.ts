export { type AdabeliefOptions, type AdabeliefState, adabelief } from './adabelief.js';
export { type AdamOptions, type AdamState, type AdamWOptions, adam, adamw } from './adam.js';
export { type Batcher, makeBatcher } from './batches.js';
export { CHECKPOINT_FORMAT, type CheckpointMeta, type CheckpointStore, memoryCheckpointStore } from './checkpoint.js';
export {
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  identity,
  scaleByLearningRate,
  setToZero,
} from './combine.js';
export { type FitContext, type FitOptions, type FitResult, fit, type StepInfo, type StopReason } from './fit.js';
export {
  type LbfgsAsyncOptions,
  type LbfgsIteration,
  type LbfgsOptions,
  type LbfgsReason,
  type LbfgsResult,
  lbfgs,
  lbfgsAsync,
} from './lbfgs.js';
export { huber, type LossOptions, mae, mse } from './losses.js';
export { freeze, masked, multiTransform, type PathPredicate } from './multi-transform.js';
export type { ProgressInfo, ProgressReporter } from './progress.js';
export { type RmspropOptions, type RmspropState, rmsprop } from './rmsprop.js';
export {
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  makeSchedule,
  piecewiseConstant,
  SCHEDULES,
  type ScheduleSpec,
  warmupCosineDecay,
} from './schedules.js';
export { type SgdOptions, type SgdState, sgd } from './sgd.js';
export { type Curriculum, type FitStage, prefixLength, type TrainSelector } from './stages.js';
export type { GradientTransformation, LearningRate, OptState, Schedule } from './transform.js';

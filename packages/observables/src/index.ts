export type { BatchPlan, PointSelection } from './batch-plan.js';
export { type CsvReadOptions, type CsvWriteOptions, datasetFromCsv, datasetToCsv, MISSING_CELLS } from './csv.js';
export {
  createDataset,
  type Dataset,
  type DatasetInput,
  type Trajectory,
  type TrajectoryInput,
} from './dataset.js';
export { channelScales, datasetPrefix, selectTrajectories, splitDataset } from './dataset-helpers.js';
export type { EquationsSpec, InitialSpec, NetworkSpec } from './equations-spec.js';
export { CsvError, DatasetError, ObservablesError, SpecError } from './errors.js';
export { type LossOptions, sumInFloat64 } from './loss.js';
export {
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  type LossReport,
  type ModelContext,
  type ObservedModel,
  type Prediction,
  type SolveSettings,
  type TrajectoryPrediction,
} from './model.js';
export {
  type EquationsModel,
  type EquationsNetwork,
  type EquationsOptions,
  type EquationsParams,
  modelFromEquations,
} from './model-from-equations.js';
export { type InitContext, type InitOption, type ObservedModelOptions, observedModel } from './observed-model.js';
export { type SubstituteOptions, substituteNetwork } from './substitute.js';

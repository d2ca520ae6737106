/**
 * `@odekit/core/internal`: what odekit's sibling packages (solvers, nn) share with core and
 * nothing else should call. Not public API: names here may change in any release.
 *
 * - `tfjs-internals`: every touch of tfjs's private state (tape, kernel interception, backend
 *   data, data identity, tensor ids), pinned by `tfjs-contract.test.ts`.
 * - the host path's hooks: host field sessions, the stage combiner (whose cache @odekit/solvers
 *   keeps), the tracing flag.
 *   They are also exported from `@odekit/core` for compatibility (its advanced tier); odekit's
 *   own packages import them from here.
 */

export { isTracingField } from '../compile-field/tracing.js';
export {
  type FloatArray,
  HOST_IMPLEMENTATION,
  type HostFieldSession,
  type HostImplementation,
  hostImplementationOf,
  withHostImplementation,
} from '../host-implementation.js';
export { setHostWasmEnabled } from '../host-wasm/module.js';
export { StageCombiner, stageCombinerFor } from '../host-wasm/stage-combine.js';
export {
  backendReadSync,
  cpuFloat32Result,
  cpuFloat32Values,
  cpuInt32Values,
  dataIdentity,
  gradientIsRecording,
  isolatedGradients,
  type KernelHooks,
  type KernelParams,
  madeAfter,
  tapeGradients,
  tapeIsRecording,
  tensorId,
  withKernelHooks,
  withSavedTape,
} from './tfjs-internals.js';

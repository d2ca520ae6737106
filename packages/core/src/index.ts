export { assertFinite } from './assert-finite.js';
export {
  type CustomGradResult,
  customGrad,
  engineGradients,
  grad,
  valueAndGrad,
  vjp,
  withSavedTape,
} from './autodiff.js';
export { type BackendName, silenceTfjs, type UseBackendOptions, useBackend } from './backend.js';
export { type CompileFieldOptions, compileField, isTracingField, type Precision } from './compile-field/index.js';
export { fastCpuKernelsInstalled, installFastCpuKernels, uninstallFastCpuKernels } from './fast-cpu-kernels.js';
// Advanced tier: the host path's hooks, used by @odekit/solvers and @odekit/nn (also exported from
// `@odekit/core/internal`, where odekit's own packages take them); kept here for compatibility.
export {
  type FloatArray,
  HOST_IMPLEMENTATION,
  type HostFieldSession,
  type HostImplementation,
  hostImplementationOf,
  withHostImplementation,
} from './host-implementation.js';
export { setHostWasmEnabled } from './host-wasm/module.js';
export { cloneTree, disposeTree, keepTree, type TensorTree, tidyTree } from './memory.js';
export { portablePow, portableTanh } from './portable-math.js';
export { createRng, mulberry32, type Rng } from './random.js';
export { paramsFromBinary, paramsToBinary } from './serialize/serialize-binary.js';
export { PARAMS_FORMAT, paramsFromJSON, paramsToJSON } from './serialize/serialize-json.js';
export {
  isPlainObject,
  type Tree,
  TreeDef,
  type TreeNode,
  treeFlatten,
  treeLeaves,
  treeMap,
  treeMapWithPath,
  treeStructureEquals,
  treeUnflatten,
} from './tree.js';
export {
  treeAdd,
  treeAxpy,
  treeCast,
  treeDot,
  treeNorm,
  treeScale,
  treeSub,
  treeZerosLike,
} from './tree-math.js';

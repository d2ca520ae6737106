export { ACTIVATIONS, type Activation, type ActivationName, getActivation } from './activations.js';
export { fusedMlpReady, fusedMlpSupported } from './fused-mlp/index.js';
export { type UniformSource, uniformFanIn, zerosInit } from './init.js';
export { applyLinear, type Layer, type LinearOptions, type LinearParams, linear } from './linear.js';
export { type MlpLayer, type MlpOptions, type MlpParams, mlp } from './mlp.js';
export { paramCount } from './param-count.js';
export { paramsFromBinary, paramsToBinary } from './serialize-binary.js';
export { PARAMS_FORMAT, paramsFromJSON, paramsToJSON } from './serialize-json.js';

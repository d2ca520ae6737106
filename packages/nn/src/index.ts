// parameter (de)serialisation lives in @odekit/core; re-exported here for compatibility
export { PARAMS_FORMAT, paramsFromBinary, paramsFromJSON, paramsToBinary, paramsToJSON } from '@odekit/core';
export { ACTIVATIONS, type Activation, type ActivationName, getActivation } from './activations.js';
export { fusedMlpReady, fusedMlpSupported } from './fused-mlp/index.js';
export { type UniformSource, uniformFanIn, zerosInit } from './init.js';
export { applyLinear, type Layer, type LinearOptions, type LinearParams, linear } from './linear.js';
export { type MlpLayer, type MlpOptions, type MlpParams, mlp } from './mlp.js';
export { paramCount } from './param-count.js';

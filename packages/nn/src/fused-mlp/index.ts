export { mlpHostImplementation } from './host-session.js';
export { FUSED_ACTIVATION_CODES, FUSED_MLP_MAX_BYTES } from './module.js';
export { fusedMlpReady, fusedMlpSupported } from './support.js';
export { canFuse, fusedMlpApply } from './tensor-op.js';

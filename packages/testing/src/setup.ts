import * as tf from '@tensorflow/tfjs';
import { installMatchers } from './matchers.js';

tf.enableProdMode();
// The cpu backend as odekit users get it from `useBackend('cpu')`: with @odekit/core's fast
// kernels (ODEKIT_FAST_CPU_KERNELS=0 runs the suite on tfjs's own kernels). Imported by name
// through the workspace root (which depends on @odekit/core), not as a dependency of this
// package: core's tests depend on the test kit.
const { useBackend } = await import('@odekit/core');
await useBackend('cpu', { fastKernels: process.env.ODEKIT_FAST_CPU_KERNELS !== '0' });
installMatchers();

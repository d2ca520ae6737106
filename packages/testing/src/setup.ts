import { silenceTfjs } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { installMatchers } from './matchers.js';

silenceTfjs();
await tf.setBackend('cpu');
installMatchers();

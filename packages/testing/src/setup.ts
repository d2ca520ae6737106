import * as tf from '@tensorflow/tfjs';
import { installMatchers } from './matchers.js';

tf.enableProdMode();
await tf.setBackend('cpu');
installMatchers();

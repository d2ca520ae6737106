// Fields and helpers shared by the saveAt, dense-output and state-shape tests (not a test file).
import * as tf from '@tensorflow/tfjs-core';
import { pidController } from './controllers.js';

/** y′ = −y + sin(t) (non-autonomous), exact y(t) = (y0 + 1/2) e^−t + (sin t − cos t)/2. */
export const decay = (t: number, y: tf.Tensor): tf.Tensor => tf.tidy(() => tf.add(tf.neg(y), Math.sin(t)));
export const exactDecay = (t: number, y0: number) => (y0 + 0.5) * Math.exp(-t) + (Math.sin(t) - Math.cos(t)) / 2;

/** A harmonic oscillator with a damping term: y = [x, v]. */
export const osc = (_t: number, y: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [x, v] = tf.unstack(y, y.rank - 1) as [tf.Tensor, tf.Tensor];
    return tf.stack([v, tf.sub(tf.mul(x, -4), tf.mul(v, 0.1))], y.rank - 1);
  });

export const tight = () => pidController({ rtol: 1e-6, atol: 1e-6 });
export const values = (t: tf.Tensor) => Array.from(t.dataSync());

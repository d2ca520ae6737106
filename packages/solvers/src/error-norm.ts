import { portablePow } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The scaled error norm of a step from flat values: for each sample the RMS of
 * `err / (atol + rtol·max(|y0|, |y1|))`, then the worst sample; a non-finite error or new
 * state in any sample gives Infinity. See {@link deviceErrorNorm} for GPU backends, where it reads one scalar.
 */
export function errorNormOf(
  y0: ArrayLike<number>,
  y1: ArrayLike<number>,
  err: ArrayLike<number>,
  rtol: number,
  atol: number,
  batch: number,
): number {
  const width = y0.length / batch;
  let worst = 0;
  for (let s = 0; s < batch; s++) {
    let sum = 0;
    for (let i = s * width, end = i + width; i < end; i++) {
      const a1 = Math.abs(y1[i] as number);
      if (!(a1 < Number.POSITIVE_INFINITY)) return Number.POSITIVE_INFINITY; // the new state is not finite
      const scale = atol + rtol * Math.max(Math.abs(y0[i] as number), a1);
      const r = (err[i] as number) / scale;
      sum += r * r;
    }
    const rms = Math.sqrt(sum / width);
    // NaN (or Infinity) in any sample makes the whole step non-finite; a later finite sample
    // must not overwrite it (`rms > worst` is false for NaN either way).
    if (!Number.isFinite(rms)) return Number.POSITIVE_INFINITY;
    if (rms > worst) worst = rms;
  }
  return worst;
}

/** The same norm with tensor ops, reading one scalar (for webgl/webgpu). */
export function deviceErrorNorm(
  y0: tf.Tensor2D,
  y1: tf.Tensor2D,
  err: tf.Tensor2D,
  rtol: number,
  atol: number,
  batch: number,
): number {
  const v = tf.tidy(() => {
    const scale = tf.add(tf.mul(tf.maximum(tf.abs(y0), tf.abs(y1)), rtol), atol);
    const r = tf.reshape(tf.div(err, scale), [batch, -1]);
    // 0·y1 is NaN where y1 is not finite (an infinite y1 would otherwise make its error look 0)
    const poison = tf.sum(tf.mul(tf.reshape(y1, [batch, -1]), 0), 1);
    const rms = tf.add(tf.sqrt(tf.mean(tf.square(r), 1)), poison);
    // tf.max skips NaN on some backends: a NaN sample must make the whole norm non-finite
    return tf.max(tf.where(tf.isNaN(rms), tf.fill(rms.shape, Number.POSITIVE_INFINITY), rms));
  });
  const out = v.dataSync()[0] as number;
  v.dispose();
  return Number.isFinite(out) ? out : Number.POSITIVE_INFINITY;
}

/** Whether every value is finite. */
export function allFiniteOf(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) return false;
  return true;
}

/**
 * Hairer–Nørsett–Wanner's starting step (Solving ODEs I, §II.4, p. 169), with each sample's
 * RMS and the worst sample. `fAt(h0)` evaluates `f(t0 + dir·h0, y0 + dir·h0·f0)`.
 */
export function initialStepSize(opts: {
  y0: ArrayLike<number>;
  f0: ArrayLike<number>;
  fAt: (h0: number) => ArrayLike<number>;
  order: number;
  rtol: number;
  atol: number;
  batch: number;
}): number {
  const { y0, f0, fAt, order, rtol, atol, batch } = opts;
  const width = y0.length / batch;
  const rms = (v: ArrayLike<number>): number => {
    let worst = 0;
    for (let s = 0; s < batch; s++) {
      let sum = 0;
      for (let i = s * width; i < (s + 1) * width; i++) {
        const r = (v[i] as number) / (atol + Math.abs(y0[i] as number) * rtol);
        sum += r * r;
      }
      worst = Math.max(worst, Math.sqrt(sum / width));
    }
    return worst;
  };
  const d0 = rms(y0);
  const d1 = rms(f0);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const f1 = fAt(h0);
  const diff = new Float64Array(f1.length);
  for (let i = 0; i < diff.length; i++) diff[i] = ((f1[i] as number) - (f0[i] as number)) / h0;
  const d2 = rms(diff);
  const m = Math.max(d1, d2);
  const h1 = m <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : portablePow(0.01 / m, 1 / (order + 1));
  const h = Math.min(100 * h0, h1);
  return Number.isFinite(h) && h > 0 ? h : 1e-6;
}

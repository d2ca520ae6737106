import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { keepBest } from './hybrid.js';

describe('keepBest', () => {
  it("pairs each step's loss with the parameters before that step's update, and keeps the best", async () => {
    await expectNoLeak(() => {
      // Steps from w = 0: losses reported for w = 0, 1, 2, 3 (the parameters before each update).
      const start = { w: tf.scalar(0) };
      const b = keepBest(start);
      start.w.dispose();
      const losses = [5, 1, 3, 4];
      losses.forEach((loss, i) => {
        const after = { w: tf.scalar(i + 1) };
        b.step(loss, after);
        after.w.dispose();
      });
      const last = { w: tf.scalar(4) };
      const kept = b.finish(last, () => 2);
      expect(kept.last).toBe(false);
      expect(kept.loss).toBe(1);
      expect(kept.params.w.dataSync()[0]).toBe(1);
      kept.params.w.dispose();
    });
  });
  it('keeps the last iterate when it is the best, and frees everything on dispose', async () => {
    await expectNoLeak(() => {
      const start = { w: tf.scalar(0) };
      const b = keepBest(start);
      const after = { w: tf.scalar(1) };
      b.step(3, after);
      after.w.dispose();
      const kept = b.finish({ w: tf.scalar(2) }, () => 0.5);
      expect(kept.last).toBe(true);
      expect(kept.params.w.dataSync()[0]).toBe(2);
      kept.params.w.dispose();
      const c = keepBest(start);
      start.w.dispose();
      const a2 = { w: tf.scalar(1) };
      c.step(Number.NaN, a2);
      a2.w.dispose();
      c.dispose();
    });
  });
});

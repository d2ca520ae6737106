import { cloneTree, disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { hybridStage, keepBest } from './hybrid.js';
import { context, lvData, P, SPEC } from './lv-fixture.js';
import { seriesLoss } from './mechanistic.js';

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

describe('hybridStage from the starting values too', () => {
  // A short curriculum (gradient matching off): enough to tell the two starts apart.
  const settings = {
    ...DEFAULT_SETTINGS,
    hybridSteps: 60,
    networkIterations: 40,
    jointSteps: 60,
    jointIterations: 30,
    collocationIterations: 0,
  };
  const data = lvData(0.01);
  const model = buildModel(SPEC, settings, 0);
  it("starts again from the user's values when the mechanistic fit moved the physics far and missed the data, and keeps the better", async () => {
    await expectNoLeak(async () => {
      // The mechanistic fit's values: the prey's rate 2.3x too high and the predator's death 60 % low
      // (what a fit with the networks off does along a short prefix); the user's values are the truth.
      const init = model.initParams();
      disposeTree(init.physics);
      const start = { ...init, physics: { alpha: tf.scalar(3), gamma: tf.scalar(0.3) } };
      const guesses = { physics: { alpha: tf.scalar(P.alpha), gamma: tf.scalar(P.gamma) }, initial: init.initial };
      const out = await hybridStage(model, start, context(data, settings), guesses);
      expect(out.message).toMatch(
        /the mechanistic fit moved alpha 1\.3 → 3, gamma 0\.8 → 0\.3, so again from the starting values/,
      );
      expect(out.message).toMatch(/kept this/);
      // the kept model is the one from the starting values: its physics nearer them than the moved ones
      // (the joint phase trains alpha with the networks, so it moves some)
      expect(Math.abs((out.params.physics.alpha?.dataSync()[0] as number) - P.alpha)).toBeLessThan(0.85);
      // and it fits better than the curriculum from the moved values alone
      const alone = await hybridStage(model, start, context(data, settings));
      expect(alone.message).not.toMatch(/starting values/);
      expect(seriesLoss(model, out.params, data)).toBeLessThan(seriesLoss(model, alone.params, data));
      disposeTree([out.params, alone.params, start, guesses]);
    });
  }, 120_000);
  it('does not start again when the mechanistic fit kept the values', async () => {
    await expectNoLeak(async () => {
      const init = model.initParams();
      const same = cloneTree({ physics: init.physics, initial: init.initial });
      const out = await hybridStage(
        model,
        init,
        context(data, { ...settings, hybridSteps: 10, networkIterations: 5, jointSteps: 5, jointIterations: 5 }),
        same,
      );
      expect(out.message).not.toMatch(/starting values/);
      disposeTree([out.params, init, same]);
    });
  }, 60_000);
});

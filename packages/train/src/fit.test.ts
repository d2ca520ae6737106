import { disposeTree } from '@odekit/core';
import { mlp } from '@odekit/nn';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, fit, memoryCheckpointStore, mse, sgd } from './index.js';

/** y = 3x + 1 + 0.5 sin(4x) on 64 samples: a linear "physics" part plus a smooth residual. */
function dataset() {
  return tf.tidy(() => {
    const x = tf.linspace(-1, 1, 64).reshape([64, 1]);
    const y = x
      .mul(3)
      .add(1)
      .add(tf.sin(x.mul(4)).mul(0.5));
    return { x, y };
  });
}
type Params = { physics: { a: tf.Tensor; b: tf.Tensor }; network: ReturnType<typeof mlp>['params'] };
const net = () => mlp({ inSize: 1, outSize: 1, widthSize: 8, depth: 1, activation: 'tanh', initScale: 0.1, seed: 1 });
function model() {
  const n = net();
  const params: Params = { physics: { a: tf.scalar(0), b: tf.scalar(0) }, network: n.params };
  const loss = (p: Params, batch: { x: tf.Tensor; y: tf.Tensor }) =>
    tf.tidy(() => {
      const pred = batch.x.mul(p.physics.a).add(p.physics.b).add(n.apply(p.network, batch.x));
      return mse(pred, batch.y);
    });
  return { params, loss };
}

describe('fit', () => {
  it('trains, returns owned parameters and leaks nothing over a whole fit', async () => {
    const data = dataset();
    const { params, loss } = model();
    await expectNoLeak(async () => {
      const res = await fit({ params, loss, data, optimizer: adam({ learningRate: 0.05 }), steps: 300 });
      expect(res.stopReason).toBe('completed');
      expect(res.history.length).toBe(300);
      expect(res.history[299]).toBeLessThan(0.01);
      expect(res.history[299]).toBeLessThan((res.history[0] as number) / 100);
      expect(res.message).toMatch(/completed 300 steps/);
      disposeTree(res.params);
    });
    expect(params.physics.a.dataSync()[0]).toBe(0); // borrowed, untouched
    disposeTree([params, data]);
  });

  it('gives the same loss history for the same seed with minibatches, and another for another seed', async () => {
    const data = dataset();
    const run = async (seed: number) => {
      const { params, loss } = model();
      const res = await fit({
        params,
        loss,
        data,
        batchSize: 16,
        seed,
        optimizer: adam({ learningRate: 0.02 }),
        steps: 40,
      });
      disposeTree([params, res.params]);
      return res.history;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    disposeTree(data);
  });

  it('physics first, then the network with the physics frozen bit for bit, then all', async () => {
    const data = dataset();
    const { params, loss } = model();
    const seen: { stage: number; length: number }[] = [];
    let physicsAfterStage0: unknown[] = [];
    let networkBefore: unknown[] = [];
    const leavesOf = (p: Record<string, tf.Tensor>) =>
      Object.keys(p)
        .sort()
        .map((k) => (p[k] as tf.Tensor).dataSync().slice());
    const res = await fit({
      params,
      loss,
      data,
      optimizer: adam({ learningRate: 0.05 }),
      stages: [
        { name: 'physics', train: 'physics', steps: 150, length: 0.5 },
        { name: 'network', train: 'network', steps: 150 },
        { name: 'all', train: 'all', steps: 50, optimizer: adam({ learningRate: 1e-3 }) },
      ],
      onStep: ({ stage, stageStep, length, params: p }) => {
        if (stageStep === 0) seen.push({ stage, length });
        if (stage === 0 && stageStep === 0) networkBefore = p.network.layers.flatMap((l) => leavesOf(l as never));
        if (stage === 1 && stageStep === 0) physicsAfterStage0 = leavesOf(p.physics);
        if (stage === 0) {
          // the network stays bit-identical while the physics trains
          expect(p.network.layers.flatMap((l) => leavesOf(l as never))).toEqual(networkBefore);
        }
        if (stage === 1) expect(leavesOf(p.physics)).toEqual(physicsAfterStage0);
      },
    });
    expect(seen).toEqual([
      { stage: 0, length: 0.5 },
      { stage: 1, length: 1 },
      { stage: 2, length: 1 },
    ]);
    expect(res.stages.map((s) => [s.name, s.steps])).toEqual([
      ['physics', 150],
      ['network', 150],
      ['all', 50],
    ]);
    expect(res.params.physics.a.dataSync()[0]).toBeGreaterThan(2);
    expect(res.stages[1]?.finalLoss).toBeLessThan((res.stages[0]?.finalLoss as number) / 2);
    await expect(
      fit({ params, loss, data, optimizer: sgd({ learningRate: 1 }), stages: [{ train: 'nothing', steps: 1 }] }),
    ).rejects.toThrow(
      /stage 0 \('stage 0'\) trains no leaf; its 'train' selector matches none of 'network.layers.0.bias'/,
    );
    disposeTree([params, data, res.params]);
  });

  it('a global trainable predicate freezes leaves through a whole fit', async () => {
    const data = dataset();
    const { params, loss } = model();
    const res = await fit({
      params,
      loss,
      data,
      optimizer: adam({ learningRate: 0.05 }),
      steps: 20,
      trainable: (p) => !p.startsWith('network'),
    });
    expect(res.params.network).toBeAllclose(params.network, { rtol: 0, atol: 0 });
    expect(res.params.physics.a.dataSync()[0]).not.toBe(0);
    disposeTree([params, data, res.params]);
  });

  it('maps a lengthStrategy/stepsStrategy curriculum to stages', async () => {
    const data = dataset();
    const { params, loss } = model();
    const lengths: number[] = [];
    const res = await fit({
      params,
      loss: (p, b, ctx) => {
        lengths.push(ctx.length);
        return loss(p, b);
      },
      data,
      optimizer: adam({ learningRate: 0.01 }),
      curriculum: { lengthStrategy: [0.1, 1], stepsStrategy: [3, 2] },
    });
    expect(lengths).toEqual([0.1, 0.1, 0.1, 1, 1]);
    expect(res.stages.map((s) => s.name)).toEqual(['length 0.1', 'length 1']);
    await expect(
      fit({ params, loss, optimizer: sgd({ learningRate: 1 }), steps: 3, stages: [{ steps: 1 }] }),
    ).rejects.toThrow(/pass exactly one of 'steps', 'stages' or 'curriculum'/);
    disposeTree([params, data, res.params]);
  });

  it('stops on abort with the current parameters', async () => {
    const data = dataset();
    const { params, loss } = model();
    const controller = new AbortController();
    await expectNoLeak(async () => {
      const res = await fit({
        params,
        loss,
        data,
        optimizer: adam({ learningRate: 0.01 }),
        steps: 100,
        signal: controller.signal,
        onStep: ({ step }) => {
          if (step === 4) controller.abort();
        },
      });
      expect(res.stopReason).toBe('aborted');
      expect(res.steps).toBe(5);
      expect(res.history.length).toBe(5);
      expect(res.message).toMatch(/aborted at step 5 of 100/);
      disposeTree(res.params);
    });
    disposeTree([params, data]);
  });

  it('NaN guard: stops with the last good parameters and says so', async () => {
    // loss = sqrt(x): gradient descent with a big step drives x below zero, where the loss is NaN.
    const params = { x: tf.scalar(1) };
    await expectNoLeak(async () => {
      const res = await fit({ params, loss: (p) => tf.sqrt(p.x), optimizer: sgd({ learningRate: 0.6 }), steps: 50 });
      expect(res.stopReason).toBe('nonfinite');
      expect(res.message).toMatch(/stopped with the last good parameters/);
      const x = res.params.x.dataSync()[0] as number;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(Math.sqrt(x)).toBeCloseTo(res.history[res.history.length - 1] as number, 5);
      expect(res.history.every(Number.isFinite)).toBe(true);
      disposeTree(res.params);
    });
    disposeTree(params);
  });

  it('NaN guard: a failed solve at a stage start gives parameters the loss can use, and lists only stages that ran', async () => {
    // sgd(0.1) on x²: x_k = 0.8^k. The "solve" fails for x < 0.55, i.e. first at x_3 = 0.512, which
    // the first stage's last update made; the second stage's first step meets it.
    const params = { x: tf.scalar(1) };
    const failing = Object.assign(new Error('diffeqsolve: dt_min_reached'), {
      name: 'SolveError',
      result: 'dt_min_reached',
    });
    const loss = (p: { x: tf.Tensor }) => {
      if ((p.x.dataSync()[0] as number) < 0.55) throw failing;
      return tf.square(p.x);
    };
    await expectNoLeak(async () => {
      const res = await fit({
        params,
        loss,
        optimizer: sgd({ learningRate: 0.1 }),
        stages: [
          { name: 'a', steps: 3 },
          { name: 'b', steps: 5 },
          { name: 'c', steps: 5 },
        ],
      });
      expect(res.stopReason).toBe('nonfinite');
      expect(res.message).toMatch(/stopped with the last good parameters \(those of step 3/);
      expect(res.params.x.dataSync()[0]).toBeCloseTo(0.64, 6);
      expect(res.stages).toEqual([{ name: 'a', steps: 3, finalLoss: res.history[2] }]);
      expect(res.stages.every((s) => Number.isFinite(s.finalLoss))).toBe(true);
      // The next solve from the returned parameters works.
      const next = loss(res.params);
      expect(next.dataSync()[0]).toBeCloseTo(0.64 ** 2, 6);
      disposeTree([next, res.params]);
    });
    disposeTree(params);
  });

  it('NaN guard: a failed solve in the loss stops the run with the parameters before that step', async () => {
    const params = { x: tf.scalar(1) };
    const failing = Object.assign(new Error('diffeqsolve: dt_min_reached at t = 2'), {
      name: 'SolveError',
      result: 'dt_min_reached',
    });
    await expectNoLeak(async () => {
      const res = await fit({
        params,
        loss: (p, _b, ctx) => {
          if (ctx.step === 3) throw failing;
          return tf.square(p.x);
        },
        optimizer: sgd({ learningRate: 0.1 }),
        steps: 10,
      });
      expect(res.stopReason).toBe('nonfinite');
      expect(res.steps).toBe(3);
      expect(res.message).toMatch(/the loss failed at step 4 \(diffeqsolve: dt_min_reached at t = 2\)/);
      // The parameters whose solve failed are not returned: those of the last good step are.
      expect(res.params.x.dataSync()[0]).toBeCloseTo(0.8 ** 2, 6);
      expect(res.history.length).toBe(3);
      expect(Math.sqrt(res.history[2] as number)).toBeCloseTo(res.params.x.dataSync()[0] as number, 6);
      disposeTree(res.params);
    });
    await expect(
      fit({
        params,
        loss: () => {
          throw new Error('plain bug');
        },
        optimizer: sgd({ learningRate: 0.1 }),
        steps: 3,
      }),
    ).rejects.toThrow('plain bug');
    disposeTree(params);
  });

  it('reports epochs and keeps the optimiser state across stages only when asked', async () => {
    const data = dataset();
    const { params, loss } = model();
    const epochs: { epoch: number; step: number }[] = [];
    const opt = sgd({ learningRate: 0.01, momentum: 0.9 });
    const run = async (resetOptimizer: boolean) => {
      const res = await fit({
        params,
        loss,
        data,
        batchSize: 16,
        optimizer: opt,
        stages: [{ steps: 8 }, { steps: 8, resetOptimizer }],
        onEpoch: ({ epoch, step, meanLoss }) => {
          expect(Number.isFinite(meanLoss)).toBe(true);
          epochs.push({ epoch, step });
        },
      });
      disposeTree(res.params);
      return res.history;
    };
    const kept = await run(false);
    expect(epochs.slice(0, 4)).toEqual([
      { epoch: 0, step: 4 },
      { epoch: 1, step: 8 },
      { epoch: 2, step: 12 },
      { epoch: 3, step: 16 },
    ]);
    const reset = await run(true);
    expect(kept.slice(0, 9)).toEqual(reset.slice(0, 9)); // identical until the momentum matters
    expect(kept[9]).not.toBe(reset[9]);
    disposeTree([params, data]);
  });

  it('stops early when the loss stops improving', async () => {
    const params = { x: tf.scalar(1) };
    const res = await fit({
      params,
      loss: (p) => tf.mul(p.x, 0).add(1),
      optimizer: sgd({ learningRate: 0.1 }),
      steps: 100,
      earlyStopping: { patience: 5 },
    });
    expect(res.stopReason).toBe('early_stopping');
    expect(res.steps).toBe(6);
    disposeTree([params, res.params]);
  });

  it('checkpoints and resumes to the same result as an uninterrupted run', async () => {
    const data = dataset();
    const stages = [
      { train: 'physics', steps: 6 },
      { train: 'network', steps: 6 },
    ];
    const base = model();
    const full = await fit({
      params: base.params,
      loss: base.loss,
      data,
      batchSize: 16,
      seed: 3,
      optimizer: adam({ learningRate: 0.02 }),
      stages,
    });
    const store = memoryCheckpointStore();
    const controller = new AbortController();
    const first = await fit({
      params: base.params,
      loss: base.loss,
      data,
      batchSize: 16,
      seed: 3,
      optimizer: adam({ learningRate: 0.02 }),
      stages,
      signal: controller.signal,
      checkpoint: { store, every: 4 },
      onStep: ({ step }) => {
        if (step === 8) controller.abort();
      },
    });
    expect(first.steps).toBe(9);
    expect(JSON.parse(store.text as string)).toMatchObject({
      format: 'odekit-checkpoint',
      version: 1,
      step: 9,
      stage: 1,
      stageStep: 3,
    });
    const again = await fit({
      params: base.params,
      loss: base.loss,
      data,
      batchSize: 16,
      seed: 3,
      optimizer: adam({ learningRate: 0.02 }),
      stages,
      resume: store,
    });
    expect(again.history).toEqual(full.history);
    expect(again.params).toBeAllclose(full.params, { rtol: 0, atol: 0 });
    // a checkpoint of another architecture is rejected before any step, and nothing leaks
    const other = {
      physics: base.params.physics,
      network: mlp({ inSize: 1, outSize: 1, widthSize: 3, depth: 1 }).params,
    };
    await expectNoLeak(async () => {
      await expect(
        fit({ params: other, loss: () => tf.scalar(0), optimizer: adam(), stages, resume: store }),
      ).rejects.toThrow(/network.layers.0.bias' is float32 \[8\] in the file but float32 \[3\] in the model/);
    });
    await expect(
      fit({ params: base.params, loss: base.loss, optimizer: adam(), stages, resume: '{"format":"x"}' }),
    ).rejects.toThrow(/not an odekit checkpoint/);
    disposeTree([base.params, data, full.params, first.params, again.params, other.network]);
  });
});

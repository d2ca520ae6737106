import { disposeTree, valueAndGrad } from '@odekit/core';
import { diffeqsolve, pidController, saveAt, tsit5 } from '@odekit/solvers';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createDataset } from './dataset.js';
import { ObservablesError } from './errors.js';
import { sumInFloat64 } from './loss.js';
import { observedModel } from './observed-model.js';

type Lv = { physics: tf.Tensor1D };
const lvField = (_t: number, y: tf.Tensor2D, { params, c }: { params: Lv; c: tf.Tensor2D }) =>
  tf.tidy(() => {
    const [r, k] = tf.split(y, 2, 1) as [tf.Tensor, tf.Tensor];
    const [a, b, g, d] = tf.unstack(params.physics) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const alpha = tf.add(a, tf.mul(0.5, c)); // alpha depends on the condition L
    return tf.concat(
      [tf.sub(tf.mul(alpha, r), tf.mul(b, tf.mul(r, k))), tf.sub(tf.mul(d, tf.mul(r, k)), tf.mul(g, k))],
      1,
    );
  });

const grids = [
  [0, 0.3, 1.1, 2.0, 3.7],
  [0, 0.5, 0.9, 2.5],
  [0, 0.2, 0.4, 1.7, 2.2, 4.1],
];
const ds = createDataset({
  channels: ['r', 'k'],
  conditions: ['L'],
  trajectories: grids.map((times, i) => ({
    id: `t${i}`,
    times,
    values: {
      r: times.map((t) => 1 + 0.1 * i + 0.05 * t),
      k: times.map((t, j) => (j === 2 ? Number.NaN : 0.5 + 0.01 * t)),
    },
    conditions: { L: 0.2 * i },
  })),
});

describe('observedModel', () => {
  it('one batched predict equals per-trajectory solves', () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    const pred = model.predict(params, ds);
    expect(pred.channels).toEqual(['r', 'k']);
    expect(pred.observations.shape).toEqual([15, 2]);
    const got = pred.observations.arraySync();
    ds.trajectories.forEach((tr, i) => {
      const y0: tf.Tensor = tf.tensor2d([[tr.values.r?.[0] as number, tr.values.k?.[0] as number]]);
      const c = tf.tensor2d([[tr.conditions.L as number]]);
      const sol = diffeqsolve({
        term: (t: number, y: tf.Tensor, a: { params: Lv; c: tf.Tensor2D }) => lvField(t, y as tf.Tensor2D, a),
        solver: tsit5(),
        t0: 0,
        t1: tr.times[tr.times.length - 1] as number,
        y0,
        args: { params, c },
        saveat: saveAt({ ts: tr.times }),
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
      });
      const want = (sol.ys as tf.Tensor).arraySync() as number[][][];
      want.forEach((row, k) => {
        const g = got[(pred.plan.offsets[i] as number) + k] as number[];
        expect(g[0]).toBeCloseTo(row[0]?.[0] as number, 4);
        expect(g[1]).toBeCloseTo(row[0]?.[1] as number, 4);
      });
      sol.dispose();
      tf.dispose([y0, c]);
    });
    disposeTree([pred.observations, pred.states, params]);
  });

  it('compile: false runs the field as written, in the solve too (it is not compiled there either)', () => {
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    const callsWith = (compile: boolean) => {
      let calls = 0;
      const field = (t: number, y: tf.Tensor2D, a: { params: Lv; c: tf.Tensor2D }) => {
        calls++;
        return lvField(t, y, a);
      };
      const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field, compile });
      const pred = model.predict(params, ds);
      disposeTree([pred.observations, pred.states]);
      return calls;
    };
    const compiled = callsWith(true);
    const plain = callsWith(false);
    expect(compiled).toBeLessThanOrEqual(4); // traces (and the VJP check) only
    expect(plain).toBeGreaterThan(30); // one call per evaluation
    disposeTree(params);
  });

  it('missing values never reach the gradient: loss and gradient equal those of the data without them', async () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    // the same observations with the missing rows dropped (channel k's row 2 of every trajectory)
    const dropped = createDataset({
      channels: ['r', 'k'],
      conditions: ['L'],
      trajectories: ds.trajectories.flatMap((tr) => [
        { id: `${tr.id}-r`, times: tr.times, values: { r: tr.values.r as Float64Array }, conditions: tr.conditions },
        {
          id: `${tr.id}-k`,
          times: tr.times.filter((_, j) => j !== 2),
          values: {
            r: tr.times.filter((_, j) => j !== 2).map(() => Number.NaN),
            k: (tr.values.k as Float64Array).filter((_, j) => j !== 2),
          },
          conditions: tr.conditions,
        },
      ]),
    });
    const initFromFull = (_p: Lv, _c: tf.Tensor2D, ctx: { dataset: { trajectories: readonly { id: string }[] } }) =>
      tf.tensor2d(
        ctx.dataset.trajectories.map((t) => {
          const tr = ds.trajectories.find((x) => t.id.startsWith(x.id));
          return [tr?.values.r?.[0] as number, tr?.values.k?.[0] as number];
        }),
      );
    const twin = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: initFromFull, field: lvField });
    await expectNoLeak(() => {
      const a = valueAndGrad((p: Lv) => model.loss(p, ds))(params);
      const b = valueAndGrad((p: Lv) => twin.loss(p, dropped))(params);
      const g = Array.from(a.grads.physics.dataSync());
      expect(g.every(Number.isFinite)).toBe(true);
      expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0] as number, 5);
      g.forEach((v, i) => {
        expect(v).toBeCloseTo(b.grads.physics.dataSync()[i] as number, 4);
      });
      disposeTree([a, b]);
    });
    disposeTree(params);
  });

  it('loss options: Huber, weights, normalisation, prefixes; losses() agree with loss()', () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.3, 0.9, 1.4, 0.9]) };
    const value = (o: Parameters<typeof model.loss>[2]) => {
      const l = model.loss(params, ds, o);
      const v = l.dataSync()[0] as number;
      l.dispose();
      return v;
    };
    // residuals by hand from the prediction
    const pred = model.predict(params, ds);
    const p = pred.observations.arraySync();
    const res: [number, number][] = []; // [channel, residual]
    pred.plan.pointRow.forEach((row, i) => {
      const tr = ds.trajectories[pred.plan.pointTrajectory[i] as number];
      ['r', 'k'].forEach((ch, j) => {
        const v = tr?.values[ch]?.[row] as number;
        if (!Number.isNaN(v)) res.push([j, (p[i]?.[j] as number) - v]);
      });
    });
    disposeTree([pred.observations, pred.states]);
    const mean = (f: (j: number, r: number) => number) => res.reduce((s, [j, r]) => s + f(j, r), 0) / res.length;
    expect(value({})).toBeCloseTo(
      mean((_j, r) => r * r),
      6,
    );
    expect(value({ weights: { k: 3 } })).toBeCloseTo(
      mean((j, r) => (j === 1 ? 3 : 1) * r * r),
      6,
    );
    const huber = (r: number, d: number) => (Math.abs(r) <= d ? 0.5 * r * r : d * (Math.abs(r) - 0.5 * d));
    expect(value({ kind: 'huber', delta: 0.05 })).toBeCloseTo(
      mean((_j, r) => huber(r, 0.05)),
      6,
    );
    const scale = { r: 2, k: 0.5 };
    expect(value({ normalize: scale })).toBeCloseTo(
      mean((j, r) => (r / (j === 0 ? 2 : 0.5)) ** 2),
      6,
    );
    // the model's own defaults (option `loss`), which each call's options override
    const scaledModel = observedModel<Lv>({
      states: ['r', 'k'],
      conditions: ['L'],
      init: 'data',
      field: lvField,
      loss: { normalize: scale },
    });
    const own = (o: Parameters<typeof model.loss>[2]) => {
      const l = scaledModel.loss(params, ds, o);
      const v = l.dataSync()[0] as number;
      l.dispose();
      return v;
    };
    expect(own({})).toBeCloseTo(value({ normalize: scale }), 6);
    expect(own({ weights: { k: 3 } })).toBeCloseTo(value({ normalize: scale, weights: { k: 3 } }), 6);
    expect(own({ normalize: false })).toBeCloseTo(value({}), 6);
    expect(scaledModel.losses(params, ds).total).toBeCloseTo(value({ normalize: scale }), 5);
    const report = model.losses(params, ds, { weights: { k: 3 } });
    expect(report.total).toBeCloseTo(value({ weights: { k: 3 } }), 5);
    expect(report.count).toBe(res.length);
    expect(report.perChannel.k).toBeCloseTo(
      res.filter(([j]) => j === 1).reduce((s, [, r]) => s + r * r, 0) / res.filter(([j]) => j === 1).length,
      5,
    );
    expect(Object.keys(report.perTrajectory)).toEqual(['t0', 't1', 't2']);
    // prefixes: fewer points, solved only as far as needed
    const short = model.predict(params, ds, { length: 0.3 });
    expect(short.plan.gather.length).toBe(8); // 3 + 2 + 3 points within 30 % of each span
    expect(short.plan.t1).toBeLessThanOrEqual(0.3 * 4.1);
    disposeTree([short.observations, short.states]);
    expect(model.predict(params, ds, { points: 2 }).plan.gather.length).toBe(6);
    expect(() => value({ length: 0 })).toThrow(/'length' must be a fraction/);
    expect(() => value({ weights: { z: 1 } })).toThrow(/not a channel/);
    expect(() => value({ kind: 'l1' as never })).toThrow(/'kind'/);
    disposeTree(params);
  });

  it('initial states: fixed, shared and per-trajectory trainable, a function of the conditions', () => {
    const field = (_t: number, y: tf.Tensor2D) => tf.neg(y);
    const decay = createDataset({
      channels: ['x'],
      conditions: ['L'],
      trajectories: [
        { times: [0, 1], values: { x: [NaN, 1] }, conditions: { L: 1 } },
        { times: [0, 2], values: { x: [NaN, 1] }, conditions: { L: 2 } },
      ],
    });
    const at = (m: ReturnType<typeof observedModel<{ initial: tf.Tensor }>>, initial: tf.Tensor) => {
      const v = m.predictValues({ initial }, decay).map((t) => Array.from(t.channels.x as Float64Array));
      initial.dispose();
      return v;
    };
    const e1 = Math.exp(-1);
    const e2 = Math.exp(-2);
    const fixed = observedModel<{ initial: tf.Tensor }>({ states: ['x'], init: [2], field });
    expect(at(fixed, tf.scalar(0))[1]?.[1]).toBeCloseTo(2 * e2, 5);
    const shared = observedModel<{ initial: tf.Tensor }>({ states: ['x'], init: { fit: 'shared' }, field });
    expect(at(shared, tf.tensor1d([3]))[0]?.[1]).toBeCloseTo(3 * e1, 5);
    const each = observedModel<{ initial: tf.Tensor }>({ states: ['x'], init: { fit: 'per-trajectory' }, field });
    const v = at(each, tf.tensor2d([[1], [5]]));
    expect([v[0]?.[1], v[1]?.[1]].map((x) => Number(x?.toFixed(5)))).toEqual([
      Number(e1.toFixed(5)),
      Number((5 * e2).toFixed(5)),
    ]);
    expect(() => at(each, tf.tensor1d([1]))).toThrow(/needs \[2, 1\]/);
    const fromL = observedModel<{ initial: tf.Tensor }>({
      states: ['x'],
      conditions: ['L'],
      init: (p, c) => tf.mul(p.initial, c),
      field,
    });
    expect(at(fromL, tf.scalar(0.5))[1]?.[0]).toBeCloseTo(1, 6);
    const fromData = observedModel<{ initial: tf.Tensor }>({ states: ['x'], init: 'data', field });
    expect(() => at(fromData, tf.scalar(0))).toThrow(/trajectory 0 \('0'\) has no 'x' value at t0 = 0/);
    expect(() => fixed.predict({ initial: tf.scalar(0) }, decay, { times: [1, 0.5] })).toThrow(/'times\[1\]'/);
    const needsL = observedModel<{ initial: tf.Tensor }>({ states: ['x'], conditions: ['Q'], init: [1], field });
    expect(() => needsL.predict({ initial: tf.scalar(0) }, decay)).toThrow(
      /condition 'Q', which the dataset does not have/,
    );
  });

  it('irregular save times never shorten the steps (saved from dense output)', () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    const grid = (n: number) =>
      createDataset({
        channels: ['r', 'k'],
        conditions: ['L'],
        trajectories: [0, 1].map((i) => {
          const times = Array.from({ length: n }, (_, k) => (k === n - 1 ? 4 : 4 * ((k * 0.618 + 0.1 * i) % 1) ** 2));
          const sorted = [0, ...[...new Set(times)].filter((t) => t > 0).sort((a, b) => a - b)];
          return {
            id: `t${i}`,
            times: sorted,
            values: { r: sorted.map(() => 1), k: sorted.map(() => 0.5) },
            conditions: { L: i },
          };
        }),
      });
    const steps = (n: number) => {
      const pred = model.predict(params, grid(n));
      disposeTree([pred.observations, pred.states]);
      return [pred.stats.numAcceptedSteps, pred.plan.saveTs.length];
    };
    const [few, fewSaved] = steps(2);
    const [many, manySaved] = steps(300);
    expect(fewSaved).toBeLessThanOrEqual(3);
    expect(manySaved).toBeGreaterThan(400);
    expect(many).toBe(few);
    disposeTree(params);
  });

  it('rejects bad options with the option named', () => {
    expect(() =>
      observedModel({ states: ['x'], init: 'data', field: (_t: number, y: tf.Tensor) => y, bogus: 1 } as never),
    ).toThrow(/unknown option 'bogus'/);
    expect(() => observedModel({ states: ['x'], init: [1, 2], field: (_t: number, y: tf.Tensor) => y })).toThrow(
      ObservablesError,
    );
  });
});

describe('sumInFloat64', () => {
  it('adds in float64 in index order (not float32) and passes dy back to every entry', () => {
    // 1 + 1e-8 * 1000 in float32 steps stays 1 (each 1e-8 is below half an ulp of 1); in float64 it is 1.00001
    const values = new Float32Array(1001).fill(1e-8);
    values[0] = 1;
    const x = tf.tensor1d(values);
    let exact = 0;
    for (const v of values) exact += v;
    const before = tf.memory().numTensors;
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.mul(sumInFloat64(p.x), 3) as tf.Scalar)({ x });
    expect(value.dataSync()[0]).toBe(Math.fround(Math.fround(exact) * 3));
    const plain = sumInFloat64(x);
    expect(plain.dataSync()[0]).toBe(Math.fround(exact));
    expect(Math.fround(exact)).not.toBe(1);
    plain.dispose();
    expect(Array.from(grads.x.dataSync())).toEqual(new Array(1001).fill(3));
    disposeTree([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

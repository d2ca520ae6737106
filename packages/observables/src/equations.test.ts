import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDataset } from './dataset.js';
import type { EquationsSpec } from './equations-spec.js';
import { ObservablesError, SpecError } from './errors.js';
import { type EquationsParams, modelFromEquations } from './model-from-equations.js';
import { substituteNetwork } from './substitute.js';

const LV: EquationsSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*(c + NN(r, c))' },
};

const specError = (spec: unknown): SpecError => {
  try {
    modelFromEquations(spec as EquationsSpec);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return e as SpecError;
  }
  throw new Error(`no error for ${JSON.stringify(spec)}`);
};

describe('modelFromEquations: the spec', () => {
  it('names the JSON path (and the position in an expression) of each problem', () => {
    const cases: [unknown, string, number | undefined, RegExp][] = [
      [null, '<root>', undefined, /must be an object/],
      [{ ...LV, extra: 1 }, 'extra', undefined, /unknown key 'extra'/],
      [{ ...LV, states: 'r' }, 'states', undefined, /array of names/],
      [{ ...LV, states: ['r', '2c'] }, 'states[1]', undefined, /not a name/],
      [{ ...LV, states: ['r', 'r'] }, 'states[1]', undefined, /already used by states\[0\]/],
      [{ ...LV, parameters: { alpha: 'x' } }, 'parameters.alpha', undefined, /finite number/],
      [{ ...LV, parameters: { r: 1 } }, 'parameters.r', undefined, /already used/],
      [{ ...LV, parameters: { exp: 1 } }, 'parameters.exp', undefined, /is a function/],
      [{ ...LV, states: ['t'], equations: { t: '1' } }, 'states[0]', undefined, /'t' is the time/],
      [{ ...LV, equations: { r: 'alpha*r' } }, 'equations.c', undefined, /has no equation/],
      [{ ...LV, equations: { ...LV.equations, z: '1' } }, 'equations.z', undefined, /not a state/],
      [{ ...LV, equations: { ...LV.equations, r: 'alpha*r - (beta*r' } }, 'equations.r', 17, /expected '\)'/],
      [{ ...LV, equations: { ...LV.equations, r: 'alpha*r - k*r' } }, 'equations.r', 10, /unknown symbol 'k'/],
      [
        { ...LV, equations: { ...LV.equations, r: 'alpha*r + NN(r)' } },
        'equations.c',
        24,
        /called with 2 input\(s\) here but 1 in equations.r/,
      ],
      [
        { ...LV, networks: { NN: { inputs: 3 } } },
        'networks.NN.inputs',
        undefined,
        /takes 3 input\(s\) but is called with 2/,
      ],
      [{ ...LV, networks: { NN: { width: 0 } } }, 'networks.NN.width', undefined, /integer >= 1/],
      [{ ...LV, networks: { NN: { activation: 'nope' } } }, 'networks.NN.activation', undefined, /unknown activation/],
      [{ ...LV, networks: { NN: { size: 4 } } }, 'networks.NN.size', undefined, /unknown key 'size'/],
      [{ ...LV, networks: { MM: {} } }, 'networks.MM', undefined, /never called/],
      [{ ...LV, equations: { ...LV.equations, r: 'alpha(r)' } }, 'equations.r', 0, /called like a function/],
      [
        { ...LV, initial: { c: 'data', r: 'data' }, observations: { r: 'r' } },
        'initial.c',
        undefined,
        /no channel observes 'c'/,
      ],
      [{ ...LV, observations: { r: 'r' } }, 'initial.c', undefined, /not observed by a channel of its name/],
      [{ ...LV, initial: { r: 'r + 1' } }, 'initial.r', 0, /not on states/],
      [{ ...LV, initial: { r: true } }, 'initial.r', undefined, /must be a number/],
      [{ ...LV, initial: { r: { fit: 'x' } } }, 'initial.r.fit', undefined, /finite starting value/],
      [{ ...LV, observations: { worm: 'k*r^2' } }, 'observations.worm', 0, /unknown symbol 'k'/],
      [{ ...LV, observations: {} }, 'observations', undefined, /non-empty/],
      [{ ...LV, equations: { ...LV.equations, r: 'alpha*r +' } }, 'equations.r', 9, /expected a number/],
      [{ ...LV, t0: 'x' }, 't0', undefined, /finite number/],
    ];
    for (const [spec, path, position, message] of cases) {
      const e = specError(spec);
      expect(e.path, JSON.stringify(spec)).toBe(path);
      expect(e.position, JSON.stringify(spec)).toBe(position);
      expect(e.message, JSON.stringify(spec)).toMatch(message);
      expect(e.message.startsWith(`modelFromEquations: ${path}: `)).toBe(true);
    }
  });

  it('networks default to 4 wide, 1 deep, tanh, with only the last layer started near zero', () => {
    const model = modelFromEquations(LV);
    expect(model.networks.NN?.inputs).toBe(2);
    const p = model.initParams();
    const layers = p.networks.NN?.layers ?? [];
    expect(layers.map((l) => l.weight.shape)).toEqual([
      [4, 2],
      [1, 4],
    ]);
    const maxAbs = (t: tf.Tensor) => Math.max(...Array.from(t.dataSync(), Math.abs));
    expect(maxAbs(layers[0]?.weight as tf.Tensor)).toBeGreaterThan(0.1); // U(±1/√2): not shrunk
    expect(maxAbs(layers[1]?.weight as tf.Tensor)).toBeLessThanOrEqual(1e-3 / 2);
    // tanh hidden layer: the output of a big input saturates
    const x = tf.tensor2d([[1e4, 1e4]]);
    const y = model.networks.NN?.layer.apply(p.networks.NN as never, x) as tf.Tensor;
    expect(Math.abs(y.dataSync()[0] as number)).toBeLessThan((4 * 1e-3) / 2 + 1e-3 / 2);
    disposeTree([p, x, y]);
    const custom = modelFromEquations({
      ...LV,
      networks: { NN: { width: 8, depth: 2, activation: 'relu', initScale: 0.5 } },
    });
    const q = custom.initParams();
    expect(q.networks.NN?.layers.map((l) => l.weight.shape)).toEqual([
      [8, 2],
      [8, 8],
      [1, 8],
    ]);
    disposeTree(q);
  });

  it('parameter tree, hidden states, channels, LaTeX and toSpec', () => {
    const model = modelFromEquations({
      ...LV,
      parameters: { ...LV.parameters, k: 0.5 },
      initial: { r: 'data', c: { fit: 0.7 } },
      observations: { r: 'r', worm: 'k*r^2' },
    });
    expect(model.hidden).toEqual(['c']);
    expect(model.channels).toEqual(['r', 'worm']);
    const p = model.initParams();
    expect(Object.keys(p)).toEqual(['physics', 'networks', 'initial']);
    expect(Object.keys(p.physics)).toEqual(['alpha', 'beta', 'gamma', 'delta', 'k']);
    expect(p.initial.c?.dataSync()[0]).toBeCloseTo(0.7, 6);
    expect(model.latex().r).toBe('\\frac{dr}{dt} = \\alpha \\cdot r - \\beta \\cdot r \\cdot c');
    p.physics.k?.dispose();
    p.physics.k = tf.scalar(0.25);
    const spec = model.toSpec(p);
    expect(spec.parameters?.k).toBe(0.25);
    expect(spec.initial?.c).toEqual({ fit: 0.7 });
    expect(Object.isFrozen(model.spec)).toBe(true);
    disposeTree(p);
  });

  it('fuzz: random specs build or throw an ObservablesError, never anything else', () => {
    const name = fc.constantFrom('r', 'c', 'a', 'NN', 'exp', 't', 'L', '1x', '');
    // half well-formed expressions (a small grammar), half token soup
    const { e: good } = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('r', 'c', 'a', 'L', 't', '2', '0.5'),
        fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '^'), tie('e')).map(([x, o, y]) => `(${x})${o}${y}`),
        fc.tuple(tie('e'), tie('e')).map(([x, y]) => `NN(${x}, ${y})`),
        tie('e').map((x) => `exp(${x})`),
      ),
    }));
    const soup = fc
      .array(
        fc.constantFrom('r', 'c', 'a', 'L', 't', '+', '-', '*', '/', '^', '(', ')', 'NN(', ',', '2', 'exp(', ' ', 'k'),
        {
          maxLength: 12,
        },
      )
      .map((xs) => xs.join(''));
    const expr = fc.oneof(good as fc.Arbitrary<string>, soup);
    const spec = fc.record(
      {
        states: fc.oneof(fc.constant(['r', 'c']), fc.array(name, { maxLength: 3 }), fc.constant('r')),
        parameters: fc.oneof(
          fc.constant({ a: 1 }),
          fc.dictionary(name, fc.oneof(fc.double(), fc.string()), { maxKeys: 2 }),
        ),
        conditions: fc.oneof(fc.constant(['L']), fc.array(name, { maxLength: 2 })),
        equations: fc.oneof(fc.record({ r: expr, c: expr }), fc.dictionary(name, expr, { maxKeys: 3 })),
        initial: fc.dictionary(name, fc.oneof(fc.constantFrom('fit', 'data', 'NN(L)', 'a'), fc.double(), expr), {
          maxKeys: 2,
        }),
        observations: fc.dictionary(fc.string({ maxLength: 3 }), expr, { maxKeys: 2 }),
        networks: fc.dictionary(name, fc.record({ width: fc.integer({ min: -1, max: 3 }) }, { requiredKeys: [] }), {
          maxKeys: 1,
        }),
      },
      { requiredKeys: ['states', 'equations'] },
    );
    let built = 0;
    fc.assert(
      fc.property(spec, (s) => {
        try {
          const m = modelFromEquations(s as EquationsSpec);
          built++;
          disposeTree(m.initParams());
        } catch (e) {
          if (!(e instanceof ObservablesError)) throw e;
        }
      }),
      { numRuns: 400, seed: 3 },
    );
    // well-formed specs always build
    fc.assert(
      fc.property(good as fc.Arbitrary<string>, good as fc.Arbitrary<string>, (r, c) => {
        const m = modelFromEquations({
          states: ['r', 'c'],
          parameters: { a: 1 },
          conditions: ['L'],
          equations: { r, c },
        });
        built++;
        disposeTree(m.initParams());
      }),
      { numRuns: 100, seed: 4 },
    );
    expect(built).toBeGreaterThanOrEqual(100);
  });
});

describe('modelFromEquations: solving', () => {
  it('time-dependent equations, conditions and networks in the initial state; compiled and tensor fields agree', () => {
    const spec: EquationsSpec = {
      states: ['x', 'y'],
      parameters: { w: 2 },
      conditions: ['L'],
      equations: { x: 'cos(w*t)', y: 'L*x - G(y)' },
      initial: { x: 0, y: 'L + G0(L)' },
      observations: { x: 'x' },
    };
    const reasons: string[] = [];
    const compiled = modelFromEquations(spec, { compile: { onFallback: (r) => reasons.push(r) } });
    const plain = modelFromEquations(spec, { compile: false });
    const ds = createDataset({
      channels: ['x'],
      conditions: ['L'],
      trajectories: [0.5, 2].map((L, i) => ({
        id: `L${i}`,
        times: [0, 0.5, 1.5],
        values: { x: [0, 1, 1] },
        conditions: { L },
      })),
    });
    const p = compiled.initParams();
    const a = compiled.predictValues(p, ds);
    const b = plain.predictValues(p, ds);
    expect(reasons).toEqual([]);
    a.forEach((tr, i) => {
      tr.times.forEach((t, k) => {
        expect(tr.channels.x?.[k]).toBeCloseTo(Math.sin(2 * t) / 2, 5); // x = sin(wt)/w
        expect(tr.states.y?.[k]).toBeCloseTo(b[i]?.states.y?.[k] as number, 5);
      });
    });
    // y(0) = L + G0(L) with G0 started near zero
    expect(Math.abs((a[1]?.states.y?.[0] as number) - 2)).toBeLessThan(0.01);
    disposeTree(p);
  });
});

describe('modelFromEquations: gradients', () => {
  // rabbits observed (with a missing value), cats hidden with a fitted start, a network in dc/dt
  const model = modelFromEquations({
    ...LV,
    initial: { r: 'data', c: 'fit' },
    observations: { r: 'r' },
  });
  const ds = createDataset({
    channels: ['r'],
    trajectories: [
      { times: [0, 0.4, 0.9, 1.6, 2.5], values: { r: [2, 2.3, NaN, 1.8, 1.2] } },
      { times: [0, 0.7, 1.9], values: { r: [1.2, 1.5, 1.1] } },
    ],
  });

  it('agree with central finite differences through physics, the hidden start and a network weight', async () => {
    const params = model.initParams();
    params.initial.c?.dispose();
    params.initial.c = tf.scalar(0.8);
    const { value, grads } = valueAndGrad((p: EquationsParams) => model.loss(p, ds))(params);
    const lossAt = (edit: (p: EquationsParams, eps: number) => void, eps: number): number => {
      const p = model.initParams();
      p.initial.c?.dispose();
      p.initial.c = tf.scalar(0.8);
      edit(p, eps);
      const l = model.loss(p, ds);
      const v = l.dataSync()[0] as number;
      disposeTree([p, l]);
      return v;
    };
    const bump = (
      get: (p: EquationsParams) => tf.Tensor,
      set: (p: EquationsParams, t: tf.Tensor) => void,
      index = 0,
    ) => {
      const h = 1e-2;
      const edit = (p: EquationsParams, eps: number) => {
        const t = get(p);
        const v = t.dataSync().slice();
        v[index] = (v[index] as number) + eps;
        set(p, tf.tensor(v, t.shape));
        t.dispose();
      };
      // central differences at h and h/2, Richardson-extrapolated (error O(h⁴)); h large enough
      // that the adaptive solver's own error (rtol 1e-6) stays far below the differences
      const d = (e: number) => (lossAt(edit, e) - lossAt(edit, -e)) / (2 * e);
      return (4 * d(h / 2) - d(h)) / 3;
    };
    const checks: [number, number][] = [
      [
        grads.physics.alpha?.dataSync()[0] as number,
        bump(
          (p) => p.physics.alpha as tf.Tensor,
          (p, t) => {
            p.physics.alpha = t as tf.Scalar;
          },
        ),
      ],
      [
        grads.initial.c?.dataSync()[0] as number,
        bump(
          (p) => p.initial.c as tf.Tensor,
          (p, t) => {
            p.initial.c = t as tf.Scalar;
          },
        ),
      ],
      [
        (
          (grads.networks.NN as { layers: { bias: tf.Tensor }[] }).layers[1] as { bias: tf.Tensor }
        ).bias.dataSync()[0] as number,
        bump(
          (p) => p.networks.NN?.layers[1]?.bias as tf.Tensor,
          (p, t) => {
            (p.networks.NN?.layers[1] as { bias: tf.Tensor }).bias = t;
          },
        ),
      ],
    ];
    for (const [g, fd] of checks) {
      expect(Math.abs(g)).toBeGreaterThan(1e-3);
      expect(Math.abs(g - fd)).toBeLessThan(2e-3 * Math.abs(fd) + 1e-4);
    }
    disposeTree([value, grads, params]);
  });

  it('does not leak tensors (loss and gradient, predictValues, losses)', async () => {
    const params = model.initParams();
    await expectNoLeak(() => {
      const { value, grads } = valueAndGrad((p: EquationsParams) =>
        model.loss(p, ds, { kind: 'huber', normalize: true }),
      )(params);
      disposeTree([value, grads]);
      model.predictValues(params, ds, { times: [0, 0.5, 1] });
      model.losses(params, ds);
      const pred = model.predict(params, ds);
      disposeTree([pred.observations, pred.states]);
    });
    disposeTree(params);
  });
});

describe('substituting an expression for a network', () => {
  it('rewrites the equations with trainable constants and carries the other parameters over', () => {
    const model = modelFromEquations({ ...LV, initial: { r: 'data', c: 'fit' }, observations: { r: 'r' } });
    const params = model.initParams();
    params.physics.alpha?.dispose();
    params.physics.alpha = tf.scalar(1.25);
    const { model: refit, params: p2 } = model.substitute('NN', '-0.5*c^2/(1 + 0.5*c)', { params });
    expect(refit.spec.equations.c).toBe('-gamma*c + delta*r*(c + NN_c0*c^2/(NN_c1 + NN_c2*c))');
    expect(refit.networks).toEqual({});
    expect(p2.physics.alpha?.dataSync()[0]).toBe(1.25);
    expect(p2.physics.NN_c0?.dataSync()[0]).toBe(-0.5);
    expect(Object.keys(p2.networks)).toEqual([]);
    const ds = createDataset({ channels: ['r'], trajectories: [{ times: [0, 1, 2], values: { r: [2, 1.5, 1] } }] });
    const { value, grads } = valueAndGrad((p: EquationsParams) => refit.loss(p, ds))(p2);
    expect(Math.abs(grads.physics.NN_c0?.dataSync()[0] as number)).toBeGreaterThan(1e-6);
    disposeTree([value, grads, params, p2]);
  });

  it('maps the expression variables onto the call arguments; errors name the problem', () => {
    const spec: EquationsSpec = {
      states: ['x', 'y'],
      equations: { x: 'G(2*y, x)', y: 'x + G(y, 1)' },
      initial: { x: 1, y: 2 },
    };
    const out = substituteNetwork(spec, 'G', 'x1 - 3*x2', {});
    expect(out.spec.equations).toEqual({ x: '2*y - G_c0*x', y: 'x + (y - G_c0*1)' });
    expect(substituteNetwork(spec, 'G', 'a*b', { variables: ['a', 'b'] }).spec.equations.x).toBe('2*y*x');
    expect(() => substituteNetwork(spec, 'H', 'x1')).toThrow(/'H' is not a network/);
    expect(() => substituteNetwork(spec, 'G', 'z')).toThrow(/uses 'z', which is not an input/);
    expect(() => substituteNetwork(spec, 'G', 'x1 +')).toThrow(ObservablesError);
  });
});

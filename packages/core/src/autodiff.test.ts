import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, customGrad, disposeTree, grad, type TensorTree, tidyTree, valueAndGrad, vjp } from './index.js';

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

describe('valueAndGrad against analytic gradients', () => {
  it('sum(x²) has gradient 2x', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor2d([
        [1, -2, 3],
        [0.5, 0, -4],
      ]);
      const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.square(p.x)))({ x });
      expect(value.shape).toEqual([]);
      expect(value.arraySync()).toBeAllclose(1 + 4 + 9 + 0.25 + 16, { rtol: 1e-6 });
      expect(grads.x.shape).toEqual([2, 3]);
      expect(grads.x).toBeAllclose(
        [
          [2, -4, 6],
          [1, 0, -8],
        ],
        { rtol: 1e-6 },
      );
      disposeTree([value, grads, x]);
    });
  });

  it('two-layer tanh network W2·tanh(W1 x + b1) + b2 matches hand-derived gradients', async () => {
    const rng = createRng(3);
    // float64 copies of the parameters for the hand-derived gradient
    const [nIn, nHid, nOut] = [3, 4, 2];
    const W1 = Array.from({ length: nHid }, () => Array.from({ length: nIn }, () => rng.nextNormal() * 0.7));
    const b1 = Array.from({ length: nHid }, () => rng.nextNormal() * 0.3);
    const W2 = Array.from({ length: nOut }, () => Array.from({ length: nHid }, () => rng.nextNormal() * 0.7));
    const b2 = Array.from({ length: nOut }, () => rng.nextNormal() * 0.3);
    const x = [0.4, -1.2, 0.9];
    const c = [1.5, -0.5]; // loss L = Σ c_i y_i + ½ Σ y_i²
    // forward in float64 (using the float32-rounded parameters tfjs sees)
    const f32 = (v: number) => Math.fround(v);
    const w1 = W1.map((r) => r.map(f32));
    const w2 = W2.map((r) => r.map(f32));
    const bb1 = b1.map(f32);
    const bb2 = b2.map(f32);
    const xx = x.map(f32);
    const z = w1.map((r, i) => r.reduce((s, w, j) => s + w * (xx[j] as number), bb1[i] as number));
    const h = z.map(Math.tanh);
    const y = w2.map((r, i) => r.reduce((s, w, j) => s + w * (h[j] as number), bb2[i] as number));
    const L = y.reduce((s, yi, i) => s + (c[i] as number) * yi + 0.5 * yi * yi, 0);
    const dy = y.map((yi, i) => (c[i] as number) + yi);
    const gb2 = dy;
    const gW2 = dy.map((d) => h.map((hj) => d * hj));
    const dh = h.map((_, j) => dy.reduce((s, d, i) => s + d * (w2[i]?.[j] as number), 0));
    const dz = dh.map((d, j) => d * (1 - (h[j] as number) ** 2));
    const gb1 = dz;
    const gW1 = dz.map((d) => xx.map((xj) => d * xj));
    const gx = xx.map((_, j) => dz.reduce((s, d, i) => s + d * (w1[i]?.[j] as number), 0));

    await expectNoLeak(() => {
      const params = {
        layers: [
          { w: tf.tensor2d(W1), b: tf.tensor1d(b1) },
          { w: tf.tensor2d(W2), b: tf.tensor1d(b2) },
        ],
        x: tf.tensor1d(x),
      };
      type Params = typeof params;
      const cT = tf.tensor1d(c);
      const loss = (p: Params, cc: tf.Tensor) => {
        const [l1, l2] = p.layers as [{ w: tf.Tensor; b: tf.Tensor }, { w: tf.Tensor; b: tf.Tensor }];
        const hid = tf.tanh(tf.add(tf.matMul(l1.w, p.x.reshape([nIn, 1])).reshape([nHid]), l1.b));
        const out = tf.add(tf.matMul(l2.w, hid.reshape([nHid, 1])).reshape([nOut]), l2.b);
        return tf.add(tf.sum(tf.mul(cc, out)), tf.mul(0.5, tf.sum(tf.square(out))));
      };
      const { value, grads } = valueAndGrad(loss)(params, cT);
      expect(value.arraySync()).toBeAllclose(L, { rtol: 1e-5 });
      expect(grads).toBeAllclose(
        {
          layers: [
            { w: gW1, b: gb1 },
            { w: gW2, b: gb2 },
          ],
          x: gx,
        },
        { rtol: 1e-5, atol: 1e-6 },
      );
      disposeTree([value, grads, params, cT]);
    });
  });

  it('matches float32 central finite differences (h = 1e-2, rtol 1e-2)', () => {
    const rng = createRng(11);
    const params = { a: rng.normal([3, 2]), b: [rng.normal([2]), rng.uniform([2], 0.5, 1.5)] };
    type Params = typeof params;
    const f = (p: Params) =>
      tf.tidy(() => {
        const [b0, b1] = p.b as [tf.Tensor, tf.Tensor];
        const u = tf.sin(tf.matMul(p.a, b0.reshape([2, 1])));
        return tf.add(tf.sum(tf.mul(u, u)), tf.sum(tf.mul(tf.log(b1), tf.exp(tf.mul(b0, 0.3)))));
      }) as tf.Scalar;
    const { value, grads } = valueAndGrad(f)(params);
    const h = 1e-2;
    // finite differences: perturb each element, evaluate f in float32, difference in float64 JS
    const fd = (leaf: tf.Tensor, setLeaf: (t: tf.Tensor) => Params) => {
      const base = arr(leaf);
      return base.map((_, i) => {
        const ev = (delta: number) => {
          const v = base.slice();
          v[i] = (v[i] as number) + delta;
          const t = tf.tensor(v, leaf.shape);
          const out = f(setLeaf(t));
          const r = out.dataSync()[0] as number;
          disposeTree([t, out]);
          return r;
        };
        return (ev(h) - ev(-h)) / (2 * h);
      });
    };
    const [b0, b1] = params.b as [tf.Tensor, tf.Tensor];
    const fdA = fd(params.a, (t) => ({ a: t, b: [b0, b1] }));
    const fdB0 = fd(b0, (t) => ({ a: params.a, b: [t, b1] }));
    const fdB1 = fd(b1, (t) => ({ a: params.a, b: [b0, t] }));
    expect(grads).toBeAllclose(
      { a: Float64Array.from(fdA), b: [Float64Array.from(fdB0), Float64Array.from(fdB1)] },
      { rtol: 1e-2, atol: 1e-3 },
    );
    // and the check can fail: a gradient off by 5% is caught
    const wrong = tf.mul(grads.a, 1.05);
    expect(wrong).not.toBeAllclose(fdA, { rtol: 1e-2, atol: 1e-3 });
    disposeTree([value, grads, params, wrong]);
  });

  it('gives zero gradients to unused params and passes rest arguments through', () => {
    const p = { used: tf.tensor1d([1, 2]), unused: tf.ones([2, 2]), alsoUnused: [tf.scalar(5)] };
    const k = tf.scalar(3);
    const { value, grads } = valueAndGrad((q: typeof p, kk: tf.Tensor, s: number) =>
      tf.mul(tf.sum(tf.mul(q.used, kk)), s),
    )(p, k, 2);
    expect(value.arraySync()).toBeAllclose(18);
    expect(grads.used).toBeAllclose([6, 6]);
    expect(grads.unused.shape).toEqual([2, 2]);
    expect(grads.unused).toBeAllclose(
      [
        [0, 0],
        [0, 0],
      ],
      { atol: 0 },
    );
    expect(grads.alsoUnused[0]).toBeAllclose(0, { atol: 0 });
    disposeTree([value, grads, p, k]);
  });

  it('a constant function gives all-zero gradients', () => {
    const p = [tf.tensor1d([1, 2])];
    const { value, grads } = valueAndGrad((_q: tf.Tensor[]) => tf.scalar(7))(p);
    expect(value.arraySync()).toBe(7);
    expect(grads[0]).toBeAllclose([0, 0], { atol: 0 });
    disposeTree([value, grads, p]);
  });

  it('rejects non-tensor leaves, disposed leaves and non-scalar outputs, naming the argument', async () => {
    const x = tf.tensor1d([1, 2]);
    const f = (p: TensorTree) => tf.sum((p as { x: tf.Tensor }).x);
    expect(() => valueAndGrad(f)({ x, lr: 0.1 } as unknown as TensorTree)).toThrow(
      /valueAndGrad: leaf 'lr' \(#0\) of 'params' \(\{lr: \*, x: \*\}\) is number, not a tf\.Tensor/,
    );
    await expectNoLeak(() => {
      expect(() => valueAndGrad((p: { x: tf.Tensor }) => tf.square(p.x))({ x })).toThrow(
        /valueAndGrad: f must return a scalar tensor, got shape \[2\]/,
      );
    }, 'non-scalar error');
    const d = tf.scalar(1);
    d.dispose();
    expect(() => valueAndGrad((p: tf.Tensor[]) => tf.sum(p[0] as tf.Tensor))([d])).toThrow(
      /valueAndGrad: leaf '0' \(#0\) of 'params' is a disposed tensor/,
    );
    // the engine still works afterwards
    const g = grad((p: tf.Tensor) => tf.sum(tf.square(p)))(x);
    expect(g).toBeAllclose([2, 4]);
    disposeTree([g, x]);
  });
});

describe('grad', () => {
  it('returns gradients only and leaks nothing', async () => {
    await expectNoLeak(() => {
      const p = { a: tf.scalar(2), b: tf.tensor1d([1, -1]) };
      const g = grad((q: typeof p) => tf.sum(tf.mul(tf.square(q.a), q.b)))(p);
      // d/da = 2a Σb = 0; d/db = a² = 4
      expect(g).toBeAllclose({ a: 0, b: [4, 4] }, { atol: 1e-6 });
      disposeTree([g, p]);
    });
  });
});

describe('vjp', () => {
  it('handles tree outputs: cotangentᵀ·J for every input leaf', async () => {
    await expectNoLeak(() => {
      const primals = { a: tf.tensor1d([0.3, -1.1]), b: tf.tensor1d([2, 5]) };
      type In = typeof primals;
      const f = (p: In) => ({ u: tf.mul(p.a, p.b), v: [tf.sin(p.a), tf.sum(p.b)] });
      const { out, vjp: back } = vjp(f, primals);
      expect(out.u).toBeAllclose([0.6, -5.5], { rtol: 1e-6 });
      expect(out.v[1]).toBeAllclose(7);
      const ct = { u: tf.tensor1d([1, 2]), v: [tf.tensor1d([3, -1]), tf.scalar(10)] };
      const g = back(ct as unknown as ReturnType<typeof f>);
      const a = [0.3, -1.1];
      const b = [2, 5];
      expect(g).toBeAllclose(
        {
          a: [1 * 2 + 3 * Math.cos(0.3), 2 * 5 - 1 * Math.cos(-1.1)],
          b: [1 * (a[0] as number) + 10, 2 * (a[1] as number) + 10],
        },
        { rtol: 1e-5 },
      );
      // a second call with another cotangent works too
      const ct2 = { u: tf.zeros([2]), v: [tf.zeros([2]), tf.scalar(1)] };
      const g2 = back(ct2 as unknown as ReturnType<typeof f>);
      expect(g2).toBeAllclose({ a: [0, 0], b: [1, 1] }, { atol: 1e-7 });
      expect(b).toEqual([2, 5]);
      disposeTree([out, ct, g, ct2, g2, primals]);
    });
  });

  it('rejects cotangents of the wrong structure or shape, naming the cotangent', async () => {
    const primals = [tf.tensor1d([1, 2])];
    const { out, vjp: back } = vjp((p: tf.Tensor[]) => ({ y: tf.mul(p[0] as tf.Tensor, 2) }), primals);
    const wrongStruct = { z: tf.ones([2]) } as unknown as typeof out;
    const wrongShape = { y: tf.ones([3]) };
    await expectNoLeak(() => {
      expect(() => back(wrongStruct)).toThrow(/vjp: cotangent structure \{z: \*\} differs from the output's \{y: \*\}/);
      expect(() => back(wrongShape)).toThrow(/vjp: cotangent leaf #0 has shape \[3\] but the output leaf has \[2\]/);
      expect(() => back({ y: 1 } as unknown as typeof out)).toThrow(/vjp: leaf 'y' \(#0\) of 'cotangent'/);
    });
    expect(() => vjp((p: TensorTree) => p, [1] as unknown as TensorTree)).toThrow(/vjp: leaf '0' \(#0\) of 'primals'/);
    disposeTree([primals, out, wrongStruct, wrongShape]);
  });
});

describe('customGrad over trees', () => {
  const makeF = () =>
    customGrad((p: { x: tf.Tensor; y: tf.Tensor }) => ({
      value: { s: tf.add(p.x, p.y), prod: [tf.mul(p.x, p.y)], total: tf.sum(p.x) },
      // the true gradient scaled by 10 for x, so the test sees the custom one is used
      gradFunc: (dy: { s: tf.Tensor; prod: tf.Tensor[]; total: tf.Tensor }) => ({
        x: tf.mul(10, tf.add(tf.add(dy.s, tf.mul(dy.prod[0] as tf.Tensor, p.y)), dy.total)),
        y: tf.add(dy.s, tf.mul(dy.prod[0] as tf.Tensor, p.x)),
      }),
    }));

  it('returns the forward tree and uses the custom gradient for a multi-leaf output', async () => {
    const f = makeF();
    await expectNoLeak(() => {
      const p = {
        x: tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        y: tf.tensor2d([
          [0.5, -1, 2],
          [1, 1, -3],
        ]),
      };
      const out = f(p) as { s: tf.Tensor; prod: tf.Tensor[]; total: tf.Tensor };
      expect(out.s.shape).toEqual([2, 3]);
      expect(out.total.shape).toEqual([]);
      expect(out.s).toBeAllclose([
        [1.5, 1, 5],
        [5, 6, 3],
      ]);
      expect(out.prod[0]).toBeAllclose([
        [0.5, -2, 6],
        [4, 5, -18],
      ]);
      expect(out.total).toBeAllclose(21);
      // L = Σ s + 2 Σ prod + 3 total
      const { value, grads } = valueAndGrad((q: typeof p) => {
        const o = f(q) as typeof out;
        return tf.addN([tf.sum(o.s), tf.mul(2, tf.sum(o.prod[0] as tf.Tensor)), tf.mul(3, o.total)]);
      })(p);
      expect(value).toBeAllclose(21.5 + 2 * (0.5 - 2 + 6 + 4 + 5 - 18) + 63, { rtol: 1e-6 });
      const yv = [
        [0.5, -1, 2],
        [1, 1, -3],
      ];
      const xv = [
        [1, 2, 3],
        [4, 5, 6],
      ];
      expect(grads.x).toBeAllclose(yv.map((r) => r.map((v) => 10 * (1 + 2 * v + 3))));
      expect(grads.y).toBeAllclose(xv.map((r) => r.map((v) => 1 + 2 * v)));
      disposeTree([out, value, grads, p]);
    });
  });

  it('an output leaf that the loss does not use gets a zero cotangent', async () => {
    const f = customGrad((p: { x: tf.Tensor }) => ({
      value: { a: tf.mul(p.x, 2), b: tf.mul(p.x, 3) },
      gradFunc: (dy: { a: tf.Tensor; b: tf.Tensor }) => ({ x: tf.add(tf.mul(dy.a, 2), tf.mul(dy.b, 3)) }),
    }));
    const x = tf.tensor1d([1, 2]);
    await expectNoLeak(() => {
      const r = valueAndGrad((p: { x: tf.Tensor }) => tf.sum((f(p) as { b: tf.Tensor }).b))({ x });
      expect(r.grads.x).toBeAllclose([3, 3]);
      disposeTree(r);
    });
    x.dispose();
  });

  it('rejects an empty or non-tensor output tree with a clear message', async () => {
    const x = tf.tensor1d([1, 2]);
    const empty = customGrad((p: { x: tf.Tensor }) => ({ value: {}, gradFunc: () => ({ x: p.x }) }));
    const bad = customGrad((p: { x: tf.Tensor }) => ({
      value: { y: 3 } as unknown as { y: tf.Tensor },
      gradFunc: () => ({ x: p.x }),
    }));
    await expectNoLeak(() => {
      expect(() => empty({ x })).toThrow(/customGrad: f's 'value' has no leaves/);
      expect(() => bad({ x })).toThrow(/customGrad: leaf #0 of f's 'value' \(\{y: \*\}\) is number, not a tf\.Tensor/);
    });
    x.dispose();
  });

  it('a single-leaf output works and a wrong gradFunc structure is an error', () => {
    const x = tf.tensor1d([1, 2]);
    const sq = customGrad((p: tf.Tensor[]) => ({
      value: tf.square(p[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.mul(2, p[0] as tf.Tensor))],
    }));
    const g = grad((p: tf.Tensor[]) => tf.sum(sq(p) as tf.Tensor))([x]);
    expect(g[0]).toBeAllclose([2, 4]);
    const bad = customGrad((p: tf.Tensor[]) => ({
      value: tf.square(p[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => ({ x: dy }) as unknown as tf.Tensor[],
    }));
    expect(() => grad((p: tf.Tensor[]) => tf.sum(bad(p) as tf.Tensor))([x])).toThrow(
      /customGrad: gradFunc returned structure \{x: \*\} but the inputs are \[\*\]/,
    );
    expect(() => sq([1] as unknown as tf.Tensor[])).toThrow(/customGrad: leaf '0' \(#0\) of 'inputs'/);
    disposeTree([x, g]);
  });

  it('nested: an RK4 loop whose backward pass recomputes per-step VJPs equals the tape gradient', async () => {
    const steps = 50;
    const dt = 0.02;
    type S = { y: tf.Tensor; w: tf.Tensor };
    const field = (y: tf.Tensor, w: tf.Tensor) => tf.tanh(tf.matMul(y, w));
    const rk4Step = (p: S): tf.Tensor =>
      tf.tidy(() => {
        const k1 = field(p.y, p.w);
        const k2 = field(tf.add(p.y, tf.mul(k1, dt / 2)), p.w);
        const k3 = field(tf.add(p.y, tf.mul(k2, dt / 2)), p.w);
        const k4 = field(tf.add(p.y, tf.mul(k3, dt)), p.w);
        return tf.add(p.y, tf.mul(tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]), dt / 6));
      });
    const integrate = (p: S): tf.Tensor =>
      tf.tidy(() => {
        let y = p.y;
        for (let i = 0; i < steps; i++) y = rk4Step({ y, w: p.w });
        return y;
      });
    // forward keeps nothing; backward recomputes the states and runs one vjp per step
    const solve = customGrad((p: S) => ({
      value: integrate(p),
      gradFunc: (dy: tf.Tensor): S =>
        tidyTree(() => {
          const states: tf.Tensor[] = [p.y];
          for (let i = 0; i < steps; i++) states.push(rk4Step({ y: states[i] as tf.Tensor, w: p.w }));
          let a = dy;
          let gw = tf.zerosLike(p.w);
          for (let i = steps - 1; i >= 0; i--) {
            const { out, vjp: back } = vjp(rk4Step, { y: states[i] as tf.Tensor, w: p.w });
            const g = back(a);
            out.dispose();
            a = g.y;
            gw = tf.add(gw, g.w);
          }
          return { y: a, w: gw };
        }),
    }));
    const rng = createRng(5);
    const p = { y: rng.normal([3, 2]), w: rng.normal([2, 2], 0, 0.8) };
    const target = rng.normal([3, 2]);
    const loss = (q: S, sol: (q: S) => tf.Tensor) => tf.sum(tf.square(tf.sub(sol(q), target)));
    const plain = valueAndGrad((q: S) => loss(q, integrate))(p);
    const before = tf.memory().numTensors;
    const nested = valueAndGrad((q: S) => loss(q, (r) => solve(r) as tf.Tensor))(p);
    expect(tf.memory().numTensors - before).toBe(3); // value + 2 gradient leaves
    expect(nested.value).toBeAllclose(plain.value, { rtol: 1e-6 });
    expect(nested.grads).toBeAllclose(plain.grads, { rtol: 1e-5, atol: 1e-6 });
    // sanity: the gradient is not trivially zero
    expect(Math.abs(arr(plain.grads.w)[0] as number)).toBeGreaterThan(1e-3);
    disposeTree([plain, nested]);
    await expectNoLeak(() => disposeTree(valueAndGrad((q: S) => loss(q, (r) => solve(r) as tf.Tensor))(p)), 'nested');
    disposeTree([p, target]);
  });
});

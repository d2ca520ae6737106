import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileField, type HostFieldSession, hostImplementationOf, mulberry32 } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Field = (t: number, y: tf.Tensor, a: Record<string, tf.Tensor>) => tf.Tensor;

/** A float64 reference: `f(t, y)` and `J_yᵀ·ct` (per sample of D), in plain float64 JavaScript. */
interface Reference {
  value(t: number, y: number[]): number[];
  vjp(t: number, y: number[], ct: number[]): number[];
}

function open(f: Field, args: Record<string, tf.Tensor>, yShape: number[], precision: 'float32' | 'float64') {
  const argTensors = Object.values(args);
  const session = hostImplementationOf(compileField(f, { precision, strict: true }))?.open(args, yShape, argTensors);
  if (session === undefined) throw new Error('not compiled');
  return session;
}

/** max |got − want| / max(1, max |want|) over the array. */
function relErr(got: ArrayLike<number>, want: readonly number[]): number {
  const scale = Math.max(1, ...want.map(Math.abs));
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs((got[i] as number) - (want[i] as number)) / scale);
  return e;
}

// the float32 constants tfjs holds: the reference uses the same numbers, in float64 arithmetic
const k1 = Math.fround(0.04);
const k2 = Math.fround(3e7);
const k3 = Math.fround(1e4);
const mu = Math.fround(1000);

const robertson: Field = (_t, y) => {
  const [a, b, c] = tf.split(y, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const r1 = tf.mul(0.04, a);
  const r2 = tf.mul(1e4, tf.mul(b, c));
  const r3 = tf.mul(3e7, tf.square(b));
  return tf.concat([tf.add(tf.neg(r1), r2), tf.sub(tf.sub(r1, r2), r3), r3], -1);
};
const robertsonRef: Reference = {
  value: (_t, [a = 0, b = 0, c = 0]) => [-k1 * a + k3 * b * c, k1 * a - k3 * b * c - k2 * b * b, k2 * b * b],
  vjp: (_t, [_a = 0, b = 0, c = 0], [g0 = 0, g1 = 0, g2 = 0]) => [
    k1 * (g1 - g0),
    k3 * c * (g0 - g1) + 2 * k2 * b * (g2 - g1),
    k3 * b * (g0 - g1),
  ],
};

const vanDerPol: Field = (t, y) => {
  const [x, v] = tf.unstack(y, -1) as [tf.Tensor, tf.Tensor];
  const dv = tf.sub(tf.mul(tf.mul(1000, tf.sub(1, tf.square(x))), v), x);
  // a term in t (zero at every t: t·0) keeps a time constant in the program
  return tf.stack([tf.add(v, tf.mul(tf.scalar(t), 0)), dv], -1);
};
const vanDerPolRef: Reference = {
  value: (_t, [x = 0, v = 0]) => [v, mu * (1 - x * x) * v - x],
  vjp: (_t, [x = 0, v = 0], [g0 = 0, g1 = 0]) => [g1 * (-2 * mu * x * v - 1), g0 + g1 * mu * (1 - x * x)],
};

// a 2 → 3 → 2 network with tanh, softplus and a sum: y' = W2·tanh(W1·y + b1) + softplus(y)·Σy
const rand = mulberry32(5);
const w1 = Array.from({ length: 6 }, () => Math.fround(rand() - 0.5));
const b1 = Array.from({ length: 3 }, () => Math.fround(rand() - 0.5));
const w2 = Array.from({ length: 6 }, () => Math.fround(rand() - 0.5));
const mlp: Field = (_t, y, a) => {
  const h = tf.tanh(tf.add(tf.matMul(y, a.w1 as tf.Tensor), a.b1 as tf.Tensor));
  return tf.add(tf.matMul(h, a.w2 as tf.Tensor), tf.mul(tf.softplus(y), tf.sum(y, -1, true)));
};
const softplus = (x: number) => Math.log1p(Math.exp(x));
const mlpRef: Reference = {
  value: (_t, y) => {
    const h = [0, 1, 2].map((j) =>
      Math.tanh((b1[j] as number) + y.reduce((s, v, i) => s + v * (w1[i * 3 + j] as number), 0)),
    );
    const s = y.reduce((p, v) => p + v, 0);
    return [0, 1].map(
      (m) => h.reduce((p, v, j) => p + v * (w2[j * 2 + m] as number), 0) + softplus(y[m] as number) * s,
    );
  },
  vjp: (_t, y, ct) => {
    const pre = [0, 1, 2].map((j) => (b1[j] as number) + y.reduce((s, v, i) => s + v * (w1[i * 3 + j] as number), 0));
    const s = y.reduce((p, v) => p + v, 0);
    const gh = pre.map(
      (p, j) => (1 - Math.tanh(p) ** 2) * ct.reduce((q, g, m) => q + g * (w2[j * 2 + m] as number), 0),
    );
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    return y.map((v, i) => {
      let g = gh.reduce((q, gj, j) => q + gj * (w1[i * 3 + j] as number), 0);
      g += (ct[i] as number) * sig(v) * s;
      g += ct.reduce((q, c, m) => q + c * softplus(y[m] as number), 0);
      return g;
    });
  },
};

const CASES: [string, Field, Reference, number, () => Record<string, tf.Tensor>][] = [
  ['Robertson (split, mul, square, concat)', robertson, robertsonRef, 3, () => ({})],
  ['Van der Pol μ = 1000 (unstack, stack, a time constant)', vanDerPol, vanDerPolRef, 2, () => ({})],
  [
    'a small network (matMul, bias, tanh, softplus, sum)',
    mlp,
    mlpRef,
    2,
    () => ({ w1: tf.tensor2d(w1, [2, 3]), b1: tf.tensor1d(b1), w2: tf.tensor2d(w2, [3, 2]) }),
  ],
];

describe("compileField(f, { precision: 'float64' })", () => {
  for (const [name, f, ref, D, makeArgs] of CASES) {
    it(`${name}: values and VJPs equal a float64 reference to 1e-14; float32 ones are 1e-9 off`, () => {
      const args = makeArgs();
      const batch = 3;
      const s64 = open(f, args, [batch, D], 'float64');
      const s32 = open(f, args, [batch, D], 'float32');
      const r = mulberry32(9);
      // states that are not float32 numbers: a float32 program rounds them on the way in
      const y = Float64Array.from({ length: batch * D }, () => 0.1 + r() * (D === 3 ? 1e-3 : 2));
      const ct = Float64Array.from({ length: batch * D }, () => r() - 0.5);
      const t = 0.3;
      const want: number[] = [];
      const wantVjp: number[] = [];
      for (let b = 0; b < batch; b++) {
        const yb = Array.from(y.subarray(b * D, (b + 1) * D));
        want.push(...ref.value(t, yb));
        wantVjp.push(...ref.vjp(t, yb, Array.from(ct.subarray(b * D, (b + 1) * D))));
      }
      const got = s64.evaluate(t, y);
      expect(got).toBeInstanceOf(Float64Array);
      expect(relErr(got, want)).toBeLessThan(1e-14);
      let seen: ArrayLike<number> = [];
      const gy = s64.vjp(t, y, ct, [], (v) => {
        seen = v;
      });
      expect(gy).toBeInstanceOf(Float64Array);
      expect(relErr(gy, wantVjp)).toBeLessThan(1e-13);
      expect(relErr(seen, want)).toBeLessThan(1e-14);
      // the float32 program is float32: the check above can fail
      expect(relErr(s32.evaluate(t, y), want)).toBeGreaterThan(1e-9);
      tf.dispose(Object.values(args));
    });
  }

  it('the time enters exactly (not rounded to float32)', () => {
    const f: Field = (t, y) => tf.mul(y, tf.scalar(t));
    const s = open(f, {}, [2], 'float64');
    const t = 0.1;
    expect(Array.from(s.evaluate(t, [1, 3]))).toEqual([0.1, 3 * 0.1]);
  });

  it('says whether the time enters the program (autonomous), in both precisions', () => {
    for (const precision of ['float32', 'float64'] as const) {
      expect(open(robertson, {}, [3], precision).autonomous).toBe(true);
      expect(open(vanDerPol, {}, [2], precision).autonomous).toBe(false);
    }
  });

  it('args gradients accumulate in float64', () => {
    const args = { k: tf.tensor1d([Math.fround(0.04), 2]) };
    const s = open((_t, y, a) => tf.mul(y, a.k as tf.Tensor), args, [2], 'float64');
    const g = [new Float64Array(2)];
    s.vjp(0, [1 / 3, 2 / 3], [1, 1], g);
    expect(Math.abs((g[0] as Float64Array)[0] as number) - 1 / 3).toBeLessThan(1e-16);
    args.k.dispose();
  });

  it('leaves no tensors behind (open, evaluate, vjp)', async () => {
    const args = CASES[2]?.[4]() as Record<string, tf.Tensor>;
    await expectNoLeak(() => {
      const s = open(mlp, args, [4, 2], 'float64') as HostFieldSession;
      const y = new Float64Array(8).fill(0.3);
      s.evaluate(0.1, y);
      s.vjp(0.1, y, new Float64Array(8).fill(1), [new Float64Array(6), new Float64Array(3), new Float64Array(6)]);
    });
    tf.dispose(Object.values(args));
  });

  it('rejects a bad precision and says why a field cannot be compiled', () => {
    expect(() => compileField((_t: number, y: tf.Tensor) => y, { precision: 'float16' as never })).toThrow(
      /precision must be 'float32' or 'float64', got float16/,
    );
    const cumsum = compileField((_t: number, y: tf.Tensor) => tf.cumsum(y, 1), { precision: 'float64', strict: true });
    expect(() => hostImplementationOf(cumsum)?.open({}, [3, 2], [])).toThrow(
      /cannot compile this field: it uses kernel Cumsum/,
    );
    const reasons: string[] = [];
    const quiet = compileField((_t: number, y: tf.Tensor) => tf.cumsum(y, 1), {
      precision: 'float64',
      onFallback: (r) => reasons.push(r),
    });
    expect(hostImplementationOf(quiet)?.open({}, [3, 2], [])).toBeUndefined();
    expect(reasons.join()).toMatch(/kernel Cumsum/);
  });
});

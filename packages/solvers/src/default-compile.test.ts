import { compileField, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type CompileOption, diffeqsolve, dopri5, kvaerno5, pidController, rodas5p, saveAt, tsit5 } from './index.js';

type Field = (t: number, y: tf.Tensor, a: { k: tf.Tensor; w: tf.Tensor }) => tf.Tensor;

/** `f`, counting its calls. */
function counted(f: Field) {
  const calls = { n: 0 };
  const g: Field = (t, y, a) => {
    calls.n++;
    return f(t, y, a);
  };
  return { f: g, calls };
}

const smooth: Field = (t, y, a) => tf.add(tf.mul(tf.neg(a.k), tf.sin(y)), tf.mul(a.w, t));

function solve(field: Field, compile?: CompileOption, t1 = 2) {
  const args = { k: tf.scalar(0.7), w: tf.tensor1d([0.3, -0.2]) };
  const y0 = tf.tensor2d([1, 2, -0.5, 0.25], [2, 2]);
  try {
    const sol = diffeqsolve({
      term: field,
      solver: tsit5(),
      t0: 0,
      t1,
      y0,
      args,
      saveat: saveAt({ ts: [0.5, 1, t1] }),
      stepsizeController: pidController({ rtol: 1e-5, atol: 1e-7 }),
      ...(compile === undefined ? {} : { compile }),
    });
    const out = { ys: Array.from((sol.ys as tf.Tensor).dataSync()), stats: sol.stats };
    sol.dispose();
    return out;
  } finally {
    tf.dispose([y0, args.k, args.w]);
  }
}

describe('diffeqsolve compiles a plain tfjs field by default', () => {
  it('calls the field only to trace it, and gives the solution of the field as written', () => {
    const { f, calls } = counted(smooth);
    const fast = solve(f);
    expect(fast.stats.fallbacks).toBeUndefined();
    expect(calls.n).toBe(3); // traces at t0 and t1, tfjs's gradient for the VJP check
    const plain = solve(f, false);
    expect(calls.n - 3).toBe(plain.stats.numFnEvals); // as written: one call per evaluation
    expect(fast.stats.numSteps).toBe(plain.stats.numSteps);
    expect(fast.ys).toBeAllclose(plain.ys, { rtol: 1e-5, atol: 1e-6 });
  });

  it('remembers the field across solves: a later solve of the same function traces once', () => {
    const { f, calls } = counted(smooth);
    solve(f);
    expect(calls.n).toBe(3);
    solve(f);
    expect(calls.n).toBe(4);
    solve(f, true, 3); // a new t1: traced at both ends again
    expect(calls.n).toBe(6);
  });

  it('uses the host implementation a field already carries (compileField) whatever `compile` says', () => {
    const { f, calls } = counted(smooth);
    const reasons: string[] = [];
    const compiled = compileField(f, { onFallback: (r) => reasons.push(r) });
    solve(compiled as Field, false);
    expect(calls.n).toBe(3);
    expect(reasons).toEqual([]);
  });

  it('gives the same gradients as the field run as written (checkpointed adjoint)', () => {
    const grads = (compile: boolean) => {
      const p = { k: tf.scalar(0.7), w: tf.tensor1d([0.3, -0.2]), y0: tf.tensor2d([1, 2, -0.5, 0.25], [2, 2]) };
      const { value, grads: g } = valueAndGrad((q: typeof p) => {
        const sol = diffeqsolve({
          term: smooth,
          solver: dopri5(),
          t0: 0,
          t1: 2,
          y0: q.y0,
          args: { k: q.k, w: q.w },
          saveat: saveAt({ ts: [0.5, 1, 2] }),
          stepsizeController: pidController({ rtol: 1e-5, atol: 1e-7 }),
          compile,
        });
        return tf.sum(tf.square(sol.ys as tf.Tensor));
      })(p);
      const out = [value, g.k, g.w, g.y0].map((x) => Array.from(x.dataSync()));
      tf.dispose([value, g.k, g.w, g.y0, p.k, p.w, p.y0]);
      return out;
    };
    const want = grads(false);
    grads(true).forEach((g, i) => {
      expect(g).toBeAllclose(want[i] as number[], { rtol: 1e-5, atol: 1e-6 });
    });
  });

  it('leaks no tensors', async () => {
    await expectNoLeak(() => {
      solve(smooth);
    });
  });
});

describe('what cannot be compiled falls back, reported, to the same solution as written', () => {
  const cases: [string, Field, RegExp][] = [
    [
      'a field that reads tensor values (a branch on the state)',
      (t, y, a) => ((y.dataSync()[0] as number) > 0 ? smooth(t, y, a) : tf.neg(y)),
      /^compileField: it reads tensor values \(dataSync\/arraySync\)$/,
    ],
    [
      'a JavaScript branch on t that switches inside [t0, t1]',
      (t, y, a) => (t < 1.2 ? smooth(t, y, a) : tf.mul(smooth(t, y, a), 0.5)),
      /^compileField: its ops change with t$/,
    ],
    [
      'a constant computed from t other than t itself',
      (t, y, a) => tf.mul(smooth(t, y, a), Math.exp(-t)),
      /^compileField: its constants change with t other than as t itself$/,
    ],
  ];
  for (const [name, field, why] of cases) {
    it(name, () => {
      const reasons: string[] = [];
      const got = solve(field, { onFallback: (r) => reasons.push(r) });
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(why);
      expect(got.stats.fallbacks).toEqual(reasons);
      // not silently different: the tensor field ran, to the bit
      expect(got.ys).toEqual(solve(field, false).ys);
      expect(() => solve(field, { strict: true })).toThrow(/compile\.strict.*: compileField: /);
    });
  }

  it('a state of several leaves is reported', () => {
    const y0 = { a: tf.tensor1d([1]), b: tf.tensor1d([2]) };
    const sol = diffeqsolve({
      term: (_t: number, y: typeof y0) => ({ a: tf.neg(y.a), b: tf.neg(y.b) }),
      solver: tsit5(),
      t0: 0,
      t1: 1,
      dt0: 0.1,
      y0,
    });
    expect(sol.stats.fallbacks).toEqual(['the state has 2 leaves; host fields take a single-leaf state']);
    sol.dispose();
    tf.dispose(Object.values(y0));
  });

  it('rejects a bad compile option, naming the fix', () => {
    expect(() => solve(smooth, 'yes' as never)).toThrow(/'compile' must be a boolean or an object/);
    expect(() => solve(smooth, { strikt: true } as never)).toThrow(/unknown 'compile' option 'strikt'; pass true/);
    expect(() => solve(smooth, { onFallback: 1 } as never)).toThrow(/'compile.onFallback' must be a function/);
    expect(() => solve(smooth, { precision: 'float16' } as never)).toThrow(
      /'compile.precision' must be 'float32' or 'float64', got float16/,
    );
  });
});

describe("compile: { precision: 'float64' }", () => {
  // Van der Pol μ = 1000 for 200 time units at rtol 1e-6 with rodas5p: the float64 program is the
  // one compileField(f, { precision: 'float64' }) makes, step for step
  const vdp = (_t: number, y: tf.Tensor) => {
    const [x, v] = tf.unstack(y, -1) as [tf.Tensor, tf.Tensor];
    return tf.stack([v, tf.sub(tf.mul(tf.mul(1000, tf.sub(1, tf.square(x))), v), x)], -1);
  };
  const run = (term: typeof vdp, compile?: CompileOption) => {
    const y0 = tf.tensor1d([2, 0]);
    const sol = diffeqsolve({
      term,
      solver: rodas5p(),
      t0: 0,
      t1: 200,
      y0,
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10 }),
      ...(compile === undefined ? {} : { compile }),
    });
    const out = { nfe: sol.stats.numFnEvals, y: Array.from((sol.ys as tf.Tensor).dataSync()) };
    sol.dispose();
    y0.dispose();
    return out;
  };
  it('solves as compileField(f, { precision: "float64" }) does, and differently from float32', () => {
    const f64 = run(vdp, { precision: 'float64' });
    expect(f64).toEqual(run(compileField(vdp, { precision: 'float64' })));
    expect(run(vdp).nfe).not.toBe(f64.nfe);
  });
  it('leaks no tensors (rodas5p and kvaerno5 on the float64 program)', async () => {
    await expectNoLeak(() => {
      run(vdp, { precision: 'float64' });
    });
    const field = compileField(vdp, { precision: 'float64' });
    await expectNoLeak(() => {
      const y0 = tf.tensor1d([2, 0]);
      const sol = diffeqsolve({
        term: field,
        solver: kvaerno5(),
        t0: 0,
        t1: 20,
        y0,
        saveat: saveAt({ ts: [5, 10, 20] }),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10 }),
      });
      sol.dispose();
      y0.dispose();
    });
  });
});

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatArray } from '../host-ops/float-array.js';
import { HOST_OPS_WASM_BASE64 } from '../host-wasm/host-ops-wasm.js';
import { hostWasmModule } from '../host-wasm/module.js';
import {
  compileField,
  type HostFieldSession,
  hostImplementationOf,
  mulberry32,
  setHostWasmEnabled,
  treeFlatten,
  treeUnflatten,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Field = (t: number, y: tf.Tensor, a: Record<string, tf.Tensor>) => tf.Tensor;

const rand = mulberry32(11);
/** A float32 tensor of `shape` with values in [lo, hi). */
function uniform(shape: number[], lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()),
    shape,
  );
}

function open(f: Field, args: Record<string, tf.Tensor>, yShape: number[], onFallback?: (r: string) => void) {
  const cf = compileField(f, onFallback ? { onFallback } : {});
  const argTensors = treeFlatten<tf.Tensor>(args).leaves;
  return { session: hostImplementationOf(cf)?.open(args, yShape, argTensors), argTensors };
}

/** The tensor field's value and VJP (for y and every args leaf) at (t, y) with cotangent ct. */
function reference(f: Field, t: number, y: tf.Tensor, args: Record<string, tf.Tensor>, ct: tf.Tensor) {
  const { leaves, treedef } = treeFlatten<tf.Tensor>(args);
  // int32 leaves (gather indices) are constants: tfjs refuses their gradients
  const float = leaves.map((l) => l.dtype === 'float32');
  return tf.tidy(() => {
    const value = f(t, y, args).dataSync().slice();
    const g = tf.grads((yy: tf.Tensor, ...ls: tf.Tensor[]) => {
      let next = 0;
      const all = leaves.map((l, j) => (float[j] ? (ls[next++] as tf.Tensor) : l));
      return f(t, yy, treeUnflattenArgs(treedef, all));
    })([y, ...leaves.filter((_, j) => float[j])], ct);
    let next = 1;
    const grads = [g[0], ...leaves.map((_, j) => (float[j] ? g[next++] : undefined))];
    return { value, grads: grads.map((x) => x?.dataSync().slice()) };
  });
}

function treeUnflattenArgs(treedef: ReturnType<typeof treeFlatten>['treedef'], leaves: tf.Tensor[]) {
  return treeUnflatten(treedef, leaves) as Record<string, tf.Tensor>;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i] as number));
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    if (!(Math.abs(g - w) <= tol * scale)) throw new Error(`${what}[${i}]: ${g} against ${w} (scale ${scale})`);
  }
}

/** Compiled value and VJP against tfjs's at two (t, y) points. */
function checkField(f: Field, args: Record<string, tf.Tensor>, yShape: number[], tol = 2e-5) {
  const { session, argTensors } = open(f, args, yShape, (r) => {
    throw new Error(`fell back: ${r}`);
  });
  expect(session).toBeDefined();
  const s = session as HostFieldSession;
  for (const t of [0.25, 1.7]) {
    const y = uniform(yShape, 0.5, 1.5);
    const ct = uniform(yShape);
    const yv = Float64Array.from(y.dataSync());
    const ref = reference(f, t, y, args, ct);
    expectClose(s.evaluate(t, yv), ref.value, tol, 'value');
    const argGrads = argTensors.map((a) => new Float64Array(a.size));
    let seen: FloatArray | undefined;
    const gy = s.vjp(t, yv, ct.dataSync(), argGrads, (v) => {
      seen = v;
    });
    expectClose(seen as FloatArray, ref.value, tol, 'onValue');
    expectClose(gy, ref.grads[0] as Float32Array, tol * 5, 'dy');
    argGrads.forEach((g, j) => {
      const want = ref.grads[j + 1];
      if (want !== undefined) expectClose(g, want, tol * 5, `d args #${j}`);
      else expect(g.every((v) => v === 0)).toBe(true);
    });
    tf.dispose([y, ct]);
  }
}

describe('the host-ops WebAssembly module', () => {
  it('is what assembly/host-ops.ts compiles to', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    expect(() =>
      execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('loads in Node (WebAssembly with SIMD)', () => {
    expect(hostWasmModule()).not.toBeNull();
  });

  it('stays under the 4 KiB a browser main thread compiles synchronously', () => {
    expect(atob(HOST_OPS_WASM_BASE64).length).toBeLessThan(4096);
  });

  it('computes tanh within 8 float32 ulp of Math.tanh, saturation included (2 ulp in JavaScript)', () => {
    const n = 20001;
    const bits = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0] as number;
    for (const [wasm, limit] of [
      [true, 8],
      [false, 2],
    ] as const) {
      const was = setHostWasmEnabled(wasm);
      try {
        const { session } = open((_t, y) => tf.tanh(y), {}, [n]);
        const xs = Float64Array.from({ length: n }, (_, i) => Math.fround(-10 + (20 * i) / (n - 1)));
        const ys = (session as HostFieldSession).evaluate(0, xs);
        let worst = 0;
        xs.forEach((x, i) => {
          worst = Math.max(worst, Math.abs(bits(ys[i] as number) - bits(Math.fround(Math.tanh(x)))));
        });
        expect(worst).toBeLessThanOrEqual(limit);
      } finally {
        setHostWasmEnabled(was);
      }
    }
  });
});

// every case twice: with the WebAssembly kernels, and with the JavaScript loops alone
describe.each([
  ['WebAssembly kernels', true],
  ['JavaScript loops', false],
])('compileField with %s: values and VJPs against tfjs', (_name, wasm) => {
  let was = true;
  beforeAll(() => {
    was = setHostWasmEnabled(wasm);
  });
  afterAll(() => {
    setHostWasmEnabled(was);
  });

  it('an MLP field (matMul with transposeB, bias broadcast, tanh)', () => {
    const args = { W1: uniform([5, 3]), b1: uniform([5]), W2: uniform([3, 5]), b2: uniform([3]) };
    const f: Field = (_t, y, a) =>
      tf.add(
        tf.matMul(
          tf.tanh(tf.add(tf.matMul(y, a.W1 as tf.Tensor, false, true), a.b1 as tf.Tensor)),
          a.W2 as tf.Tensor,
          false,
          true,
        ),
        a.b2 as tf.Tensor,
      );
    checkField(f, args, [7, 3]);
    tf.dispose(Object.values(args));
  });

  it('every unary kernel', () => {
    const args = { k: uniform([4], 0.5, 1.5) };
    const unary: ((x: tf.Tensor) => tf.Tensor)[] = [
      tf.neg,
      tf.exp,
      tf.log,
      tf.log1p,
      tf.expm1,
      tf.tanh,
      tf.sigmoid,
      tf.softplus,
      (x) => tf.relu(tf.sub(x, 1)),
      (x) => tf.relu6(tf.mul(tf.sub(x, 1), 8)),
      (x) => tf.elu(tf.sub(x, 1)),
      (x) => tf.leakyRelu(tf.sub(x, 1), 0.3),
      (x) => tf.clipByValue(x, 0.8, 1.2),
      tf.square,
      tf.sqrt,
      tf.rsqrt,
      tf.reciprocal,
      tf.sin,
      tf.cos,
      (x) => tf.abs(tf.sub(x, 1)),
    ];
    for (const u of unary) {
      checkField((_t, y, a) => u(tf.mul(y, a.k as tf.Tensor)), args, [3, 4]);
    }
    tf.dispose(args.k);
  });

  it('every binary kernel, with broadcasting both ways', () => {
    const row = { row: uniform([4], 0.5, 1.5) };
    const col = { col: uniform([3, 1], 0.5, 1.5) };
    const s = { s: uniform([], 0.5, 1.5) };
    const binary: ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor)[] = [
      tf.add,
      tf.sub,
      tf.mul,
      tf.div,
      tf.maximum,
      tf.minimum,
      tf.squaredDifference,
      tf.pow,
    ];
    for (const op of binary) {
      // tfjs's own gradients of maximum and minimum do not reduce broadcast inputs
      if (op === tf.maximum || op === tf.minimum || op === tf.squaredDifference) continue;
      checkField((_t, y, a) => op(y, a.row as tf.Tensor), row, [3, 4]);
      checkField((_t, y, a) => op(a.col as tf.Tensor, y), col, [3, 4]);
    }
    for (const op of binary) {
      checkField((_t, y, a) => op(tf.mul(y, a.s as tf.Tensor), y), s, [3, 4]);
    }
    tf.dispose([row.row, col.col, s.s]);
  });

  it('layout kernels: concat, slice, stack, unstack, split, transpose, tile, gather, broadcastTo, addN', () => {
    const args = { w: uniform([2, 4], 0.5, 1.5), idx: tf.tensor1d([3, 0, 0, 2], 'int32') };
    const f: Field = (_t, y, a) => {
      const [p, q] = tf.split(y, [1, 3], 1) as [tf.Tensor, tf.Tensor];
      const parts = tf.unstack(y, 1);
      const stacked = tf.stack(
        [parts[1] as tf.Tensor, parts[0] as tf.Tensor, parts[3] as tf.Tensor, parts[2] as tf.Tensor],
        1,
      );
      const sl = tf.slice(y, [0, 1], [-1, 2]);
      const tiled = tf.tile(sl, [1, 2]);
      const tr = tf.transpose(tf.matMul(a.w as tf.Tensor, y, false, true));
      const gathered = tf.gather(y, a.idx as tf.Tensor, 1);
      const joined = tf.concat([q, p], 1);
      const bc = tf.broadcastTo(tf.reshape(tf.sum(y, 0), [1, 4]), y.shape);
      return tf.addN([stacked, tiled, tf.concat([tr, tr], 1), gathered, joined, tf.mul(bc, 0.1)]);
    };
    checkField(f, args, [5, 4]);
    tf.dispose(Object.values(args));
  });

  it('reductions over every axis choice, with and without keepDims', () => {
    const args = { k: uniform([2, 3, 4], 0.5, 1.5) };
    const reductions: ((x: tf.Tensor) => tf.Tensor)[] = [
      (x) => tf.sum(x, 1, true),
      (x) => tf.mean(x, [0, 2], true),
      (x) => tf.prod(x, 2, true),
      (x) => tf.sum(x, -1, true),
      (x) => tf.max(x, 2, true),
      (x) => tf.min(x, [0, 1], true),
      (x) => tf.expandDims(tf.sum(x), 0),
      (x) => tf.expandDims(tf.prod(x, 0), 0),
    ];
    for (const r of reductions) {
      checkField((_t, y, a) => tf.mul(y, r(tf.mul(y, a.k as tf.Tensor))), args, [2, 3, 4]);
    }
    tf.dispose(args.k);
  });

  it('batched and fused matMuls', () => {
    const args = { w: uniform([3, 3]), b: uniform([3]) };
    const m = { m: uniform([2, 3, 3]) };
    checkField((_t, y, a) => tf.matMul(y, a.w as tf.Tensor, true, false), { w: args.w }, [3, 3]);
    checkField((_t, y, a) => tf.matMul(a.m as tf.Tensor, y), m, [2, 3, 3]);
    checkField((_t, y, a) => tf.matMul(y, a.m as tf.Tensor, false, true), m, [2, 3, 3]);
    m.m.dispose();
    for (const activation of ['linear', 'relu', 'elu', 'sigmoid'] as const) {
      checkField(
        (_t, y, a) =>
          tf.fused.matMul({ a: y, b: a.w as tf.Tensor, bias: a.b as tf.Tensor, activation, transposeB: true }),
        args,
        [4, 3],
      );
    }
    tf.dispose(Object.values(args));
  });

  it('work that depends only on args runs once per session and still gets its gradient', () => {
    const args = { p: uniform([2], 0.5, 1.5) };
    const f: Field = (_t, y, a) => tf.mul(y, tf.exp(tf.mul(a.p as tf.Tensor, 2)));
    checkField(f, args, [3, 2]);
    tf.dispose(args.p);
  });

  it('time enters through tensors made from t', () => {
    const args = { k: uniform([2]) };
    const f: Field = (t, y, a) =>
      tf.add(tf.mul(y, t), tf.add(tf.mul(tf.scalar(t), a.k as tf.Tensor), tf.fill([3, 2], t)));
    checkField(f, args, [3, 2]);
    tf.dispose(args.k);
  });
});

describe('compileField on the wasm backend', () => {
  it('traces through the wasm backend and gives the values and VJPs of tfjs', async () => {
    await tf.setBackend('wasm');
    try {
      const args = { W1: uniform([5, 3]), b1: uniform([5]), W2: uniform([3, 5]) };
      const f: Field = (_t, y, a) =>
        tf.matMul(
          tf.tanh(tf.add(tf.matMul(y, a.W1 as tf.Tensor, false, true), a.b1 as tf.Tensor)),
          a.W2 as tf.Tensor,
          false,
          true,
        );
      checkField(f, args, [6, 3], 1e-4);
      tf.dispose(Object.values(args));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('compileField: when it falls back', () => {
  const args = { k: tf.tensor1d([1, 2]) };
  const cases: [string, Field, RegExp][] = [
    ['reads values', (_t, y) => ((y.dataSync()[0] as number) > 0 ? tf.neg(y) : y), /reads tensor values/],
    ['a constant made from sin(t)', (t, y) => tf.mul(y, Math.sin(t)), /constants change with t/],
    ['ops that change with t', (t, y) => (t < 0.5 ? tf.neg(y) : tf.exp(y)), /ops change with t/],
    ['an unknown kernel', (_t, y) => tf.cumsum(y, 1), /kernel Cumsum/],
    [
      'a customGrad op',
      (_t, y) =>
        tf.customGrad((x) => ({ value: tf.neg(x as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.neg(dy) }))(
          y,
        ) as tf.Tensor,
      /customGrad/,
    ],
    ['a wrong output shape', (_t, y) => tf.sum(y), /shape/],
  ];
  for (const [name, f, why] of cases) {
    it(name, () => {
      const reasons: string[] = [];
      const eng = tf.engine() as unknown as Record<string, unknown>;
      const { session } = open(f, args, [3, 2], (r) => reasons.push(r));
      expect(session).toBeUndefined();
      expect(reasons.join()).toMatch(why);
      // the engine is as it was
      for (const m of ['runKernelFunc', 'readSync', 'read']) expect(Object.hasOwn(eng, m)).toBe(false);
      expect(() => hostImplementationOf(compileField(f, { strict: true }))?.open(args, [3, 2], [args.k])).toThrow(why);
    });
  }

  it('rejects unknown options and non-functions', () => {
    expect(() => compileField((_t: number, y: tf.Tensor) => y, { strit: true } as never)).toThrow(
      /unknown option 'strit'/,
    );
    expect(() => compileField(3 as never)).toThrow(/must be a function/);
  });

  it('the engine is restored when the field throws', () => {
    const reasons: string[] = [];
    const { session } = open(
      () => {
        throw new Error('boom');
      },
      args,
      [3, 2],
      (r) => reasons.push(r),
    );
    expect(session).toBeUndefined();
    expect(reasons[0]).toMatch(/threw while traced: boom/);
    expect(Object.hasOwn(tf.engine(), 'runKernelFunc')).toBe(false);
  });
});

describe('compileField: tensor ownership', () => {
  it('open, evaluate and vjp leave no tensors behind', async () => {
    const args = { W: uniform([2, 2]), b: uniform([2]) };
    const f: Field = (t, y, a) => tf.add(tf.tanh(tf.matMul(y, a.W as tf.Tensor)), tf.mul(a.b as tf.Tensor, t));
    await expectNoLeak(() => {
      const { session, argTensors } = open(f, args, [4, 2]);
      const y = new Float64Array(8).fill(0.3);
      (session as HostFieldSession).evaluate(0.1, y);
      (session as HostFieldSession).vjp(
        0.1,
        y,
        new Float32Array(8).fill(1),
        argTensors.map((a) => new Float64Array(a.size)),
      );
    });
    tf.dispose(Object.values(args));
  });

  it('the compiled field still runs as the tensor field', () => {
    const f = compileField((_t: number, y: tf.Tensor, _a: unknown) => tf.neg(y));
    const y = tf.tensor1d([1, 2]);
    const out = f(0, y, undefined);
    expect(Array.from(out.dataSync())).toEqual([-1, -2]);
    tf.dispose([y, out]);
  });
});

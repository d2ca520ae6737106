import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { HostFieldSession } from '../host-implementation.js';
import { compileField, hostImplementationOf, treeFlatten } from '../index.js';
import { checkValues, checkVjp } from './verify.js';

const field = (_t: number, y: tf.Tensor, a: { w: tf.Tensor; b: tf.Tensor }) =>
  tf.tanh(tf.add(tf.matMul(y, a.w), a.b)) as tf.Tensor;

function openReal(): { session: HostFieldSession; args: { w: tf.Tensor; b: tf.Tensor }; argTensors: tf.Tensor[] } {
  const args = { w: tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]), b: tf.tensor1d([0.1, -0.2]) };
  const argTensors = treeFlatten<tf.Tensor>(args).leaves;
  const session = hostImplementationOf(compileField(field))?.open(args, [3, 2], argTensors);
  if (session === undefined) throw new Error('the field should compile');
  return { session, args, argTensors };
}

describe('the checks a compiled program passes when it opens', () => {
  it("accept the program's own values and VJPs", () => {
    const { session, args, argTensors } = openReal();
    expect(checkVjp(session, field as never, args, [3, 2], argTensors, (l) => l, 0.7)).toBe(true);
    tf.dispose(argTensors);
  });

  it('reject a session whose VJP is off, for the state and for an args leaf, saying where', () => {
    const { session, args, argTensors } = openReal();
    const stateOff: HostFieldSession = {
      evaluate: (t, y) => session.evaluate(t, y),
      vjp: (t, y, ct, g, onValue) => session.vjp(t, y, ct, g, onValue).map((v, i) => (i === 4 ? v * 1.01 : v)),
    };
    expect(checkVjp(stateOff, field as never, args, [3, 2], argTensors, (l) => l, 0.7)).toMatch(
      /VJP disagrees with tfjs's gradient for the state .* at element 4/,
    );
    const argOff: HostFieldSession = {
      evaluate: (t, y) => session.evaluate(t, y),
      vjp: (t, y, ct, g, onValue) => {
        const gy = session.vjp(t, y, ct, g, onValue);
        (g[1] as Float64Array)[0] = ((g[1] as Float64Array)[0] as number) + 0.01;
        return gy;
      },
    };
    expect(checkVjp(argOff, field as never, args, [3, 2], argTensors, (l) => l, 0.7)).toMatch(/for args leaf #1 /);
    tf.dispose(argTensors);
  });

  it('reject values that differ from what tfjs computed', () => {
    const { session, argTensors } = openReal();
    const right = session.evaluate(0.7182818284590452, new Float32Array(6).fill(0));
    expect(checkValues(session, [3, 2], right, 0.7182818284590452)).toMatch(/disagrees with tfjs/);
    tf.dispose(argTensors);
  });
});

describe('what a compiled field remembers across solves of one structure', () => {
  it('traces once when the structure and its constants are known, twice when a constant changed', () => {
    let scale = tf.scalar(2);
    let calls = 0;
    const f = compileField((_t: number, y: tf.Tensor) => {
      calls++;
      return tf.mul(scale, y) as tf.Tensor;
    });
    const open = () => hostImplementationOf(f)?.open({}, [3], []);
    const y = [1, 2, 3];
    expect(Array.from(open()?.evaluate(0, y) ?? [])).toEqual([2, 4, 6]);
    expect(calls).toBe(3); // two traces and tfjs's gradient for the VJP check
    expect(Array.from(open()?.evaluate(0, y) ?? [])).toEqual([2, 4, 6]);
    expect(calls).toBe(4); // one trace
    scale.dispose();
    scale = tf.scalar(-1);
    expect(Array.from(open()?.evaluate(0, y) ?? [])).toEqual([-1, -2, -3]);
    expect(calls).toBe(6); // a changed constant: two traces again (the VJP verdict is kept)
    scale.dispose();
  });

  it("traces at both ends of the solve's interval, again only when t1 is new", () => {
    let calls = 0;
    const f = compileField((t: number, y: tf.Tensor) => {
      calls++;
      return tf.mul(y, t) as tf.Tensor;
    });
    const open = (span: [number, number]) => hostImplementationOf(f)?.open({}, [2], [], undefined, undefined, span);
    expect(Array.from(open([0, 10])?.evaluate(3, [1, 2]) ?? [])).toEqual([3, 6]);
    expect(calls).toBe(3); // at 0 and at 10, and the VJP check
    open([0, 10]);
    expect(calls).toBe(4); // at 0 only
    open([0, 5]);
    expect(calls).toBe(6); // a new t1: at 0 and 5 (the VJP verdict is kept)
    open([0, 5]);
    open([0, 10]);
    expect(calls).toBe(8); // both t1 known
  });
});

describe("what the trace at the interval's ends catches", () => {
  const openWith = (f: (t: number, y: tf.Tensor) => tf.Tensor, span: [number, number]) => {
    const reasons: string[] = [];
    const session = hostImplementationOf(compileField(f))?.open({}, [2], [], undefined, (r) => reasons.push(r), span);
    return { session, reasons };
  };

  it('a JavaScript branch on t that switches inside the interval', () => {
    const f = (t: number, y: tf.Tensor) => (t < 5 ? tf.neg(y) : tf.exp(y));
    expect(openWith(f, [0, 10]).reasons).toEqual(['compileField: its ops change with t']);
    // the branch does not switch inside [0, 1]: compiled, and right there
    const { session } = openWith(f, [0, 1]);
    expect(Array.from(session?.evaluate(0.5, [1, 2]) ?? [])).toEqual([-1, -2]);
  });

  it('an index computed from t (say of a covariate table)', () => {
    const table = tf.tensor2d([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const f = (t: number, y: tf.Tensor) => tf.mul(y, tf.gather(table, Math.min(2, Math.floor(t))));
    expect(openWith(f, [0, 2]).reasons).toEqual(['compileField: its constants change with t other than as t itself']);
    table.dispose();
  });

  it('an interval of one float32 time traces at the fixed times instead', () => {
    const { session, reasons } = openWith((t, y) => tf.mul(y, t), [1, 1]);
    expect(reasons).toEqual([]);
    expect(Array.from(session?.evaluate(1, [1, 2]) ?? [])).toEqual([1, 2]);
  });
});

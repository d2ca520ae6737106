import { compileField } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { diffeqsolve, tsit5 } from './index.js';

const solve = (term: (t: number, y: never, a: never) => unknown, y0: tf.Tensor | Record<string, tf.Tensor>) => {
  const k = tf.scalar(0.5);
  const sol = diffeqsolve({ term: term as never, solver: tsit5(), t0: 0, t1: 1, dt0: 0.1, y0, args: { k } });
  k.dispose();
  return sol;
};

describe('fallbacks from the fast host path are reported on the solution', () => {
  it('says nothing when the compiled field runs', () => {
    const y0 = tf.tensor1d([1, 2]);
    const sol = solve(
      compileField((_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y)),
      y0,
    );
    expect(sol.stats.fallbacks).toBeUndefined();
    sol.dispose();
    y0.dispose();
  });

  it("gives compileField's reason when the field cannot be compiled (it reads values)", () => {
    const y0 = tf.tensor1d([1, 2]);
    const reads = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) =>
      y.dataSync()[0] !== undefined ? tf.mul(tf.neg(a.k), y) : y;
    const sol = solve(compileField(reads), y0);
    expect(sol.stats.fallbacks).toEqual(['compileField: it reads tensor values (dataSync/arraySync)']);
    sol.dispose();
    y0.dispose();
  });

  it('says why a host field was not used for a state of several leaves', () => {
    const y0 = { a: tf.tensor1d([1]), b: tf.tensor1d([2]) };
    const f = compileField((_t: number, y: { a: tf.Tensor; b: tf.Tensor }) => ({ a: tf.neg(y.a), b: tf.neg(y.b) }));
    const sol = solve(f as never, y0);
    expect(sol.stats.fallbacks).toEqual(['the state has 2 leaves; host fields take a single-leaf state']);
    sol.dispose();
    tf.dispose(Object.values(y0));
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController, type StepSizeController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { rk4 } from './runge-kutta/solvers.js';
import type { SaveAt } from './save-at.js';

const y0 = tf.tensor1d([1]);
afterAll(() => y0.dispose());
const base = { term: (_t: number, y: tf.Tensor) => tf.neg(y), solver: rk4(), t0: 0, t1: 1, dt0: 0.25, y0 };

describe('a plain-object saveat is validated and completed like saveAt(...)', () => {
  it('saves the requested ts (no t1 unless asked), as saveAt({ ts }) does', () => {
    const sol = diffeqsolve({ ...base, saveat: { ts: [0.5, 1] } as unknown as SaveAt });
    expect(sol.ts).toEqual([0.5, 1]);
    sol.dispose();
  });
  it('rejects a bad plain-object saveat naming the argument (not a TypeError)', () => {
    expect(() => diffeqsolve({ ...base, saveat: { ts: [0.5, 0.2, 0.9] } as unknown as SaveAt })).toThrow(
      /diffeqsolve: 'saveat' is invalid: saveAt: 'ts' must be monotone/,
    );
    expect(() => diffeqsolve({ ...base, saveat: { steps: false } as unknown as SaveAt })).toThrow(
      /diffeqsolve: 'saveat' is invalid: saveAt: nothing to save/,
    );
    expect(() => diffeqsolve({ ...base, saveat: { tss: [1] } as unknown as SaveAt })).toThrow(
      /diffeqsolve: 'saveat' is invalid: saveAt: unknown option 'tss'/,
    );
  });
});

describe('an uncalled controller or adjoint factory is named, not a TypeError', () => {
  it('stepsizeController', () => {
    expect(() => diffeqsolve({ ...base, stepsizeController: pidController as unknown as StepSizeController })).toThrow(
      /diffeqsolve: 'stepsizeController' must be a controller/,
    );
  });
  it('adjoint', () => {
    expect(() => diffeqsolve({ ...base, adjoint: recursiveCheckpointAdjoint as unknown as Adjoint })).toThrow(
      /diffeqsolve: 'adjoint' must be an adjoint/,
    );
  });
});

describe('a vector field returning a non-float32 dtype is named', () => {
  const intField = (_t: number, y: tf.Tensor) => tf.cast(tf.neg(y), 'int32');
  it('without a tape (host path)', () => {
    expect(() => diffeqsolve({ ...base, term: intField })).toThrow(/leaf #0 with dtype int32; return float32/);
  });
  it('under a tape (tensor path)', () => {
    const k = tf.scalar(1);
    expect(() =>
      tf.grad((x: tf.Tensor) => {
        const sol = diffeqsolve({ ...base, term: intField, y0: tf.mul(x, y0), adjoint: directAdjoint() });
        return tf.sum(sol.ys as tf.Tensor);
      })(k),
    ).toThrow(/leaf #0 with dtype int32; return float32/);
    k.dispose();
  });
});

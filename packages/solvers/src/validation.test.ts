import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { constantStepSize, pidController } from './controllers.js';
import { type DiffeqsolveOptions, diffeqsolve } from './diffeqsolve.js';
import { euler, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { odeTerm } from './term.js';

let calls = 0;
const counted = (_t: number, y: tf.Tensor) => {
  calls++;
  return tf.neg(y);
};
const y0 = tf.tensor1d([1, 2]);
afterAll(() => y0.dispose());

const base = (): DiffeqsolveOptions<tf.Tensor, unknown> => ({
  term: counted,
  solver: tsit5(),
  t0: 0,
  t1: 1,
  y0,
  stepsizeController: pidController(),
});

/** Expects `diffeqsolve(options)` to throw `pattern` before evaluating the vector field. */
function rejects(options: unknown, pattern: RegExp): void {
  calls = 0;
  const before = tf.memory().numTensors;
  expect(() => diffeqsolve(options as DiffeqsolveOptions<tf.Tensor, unknown>)).toThrow(pattern);
  expect(calls, 'the vector field must not be evaluated').toBe(0);
  expect(tf.memory().numTensors).toBe(before);
}

describe('diffeqsolve rejects bad input before any work, naming the argument', () => {
  it('non-finite y0 (NaN and Infinity, in any leaf)', () => {
    const nan = tf.tensor1d([1, Number.NaN]);
    const inf = { a: tf.tensor1d([1]), b: tf.tensor1d([Number.POSITIVE_INFINITY]) };
    rejects({ ...base(), y0: nan }, /diffeqsolve: y0.*NaN.*finite/);
    rejects({ ...base(), y0: inf }, /diffeqsolve: y0.*'b'.*finite/);
    tf.dispose([nan, inf.a, inf.b]);
  });

  it('y0 that is missing, not a tensor, empty, or not float32', () => {
    const int = tf.tensor1d([1, 2], 'int32');
    rejects({ ...base(), y0: undefined }, /'y0' is required/);
    rejects({ ...base(), y0: [1, 2] }, /y0: leaf #0 .* is number, not a tf\.Tensor/);
    rejects({ ...base(), y0: {} }, /y0: the state has no leaves/);
    rejects({ ...base(), y0: int }, /y0: leaf #0 has dtype int32; states must be float32/);
    int.dispose();
  });

  it('non-finite or non-number t0 / t1', () => {
    rejects({ ...base(), t0: Number.NaN }, /'t0' must be a finite number, got NaN/);
    rejects({ ...base(), t1: Number.POSITIVE_INFINITY }, /'t1' must be a finite number, got Infinity/);
    rejects({ ...base(), t1: '1' }, /'t1' must be a finite number/);
  });

  it('dt0 of the wrong sign, zero or non-finite', () => {
    rejects(
      { ...base(), dt0: -0.1 },
      /'dt0' = -0\.1 has the wrong sign for integrating from t0 = 0 to t1 = 1; use 0\.1/,
    );
    rejects({ ...base(), t0: 1, t1: 0, dt0: 0.1 }, /'dt0' = 0\.1 has the wrong sign/);
    rejects({ ...base(), dt0: 0 }, /'dt0' must be a non-zero finite number, got 0/);
    rejects({ ...base(), dt0: Number.NaN }, /'dt0' must be a non-zero finite number/);
  });

  it('ts outside [t0, t1] or against the direction of integration', () => {
    rejects({ ...base(), saveat: saveAt({ ts: [0, 0.5, 1.5] }) }, /saveat\.ts\[2\] = 1\.5 is outside \[0, 1\]/);
    rejects({ ...base(), saveat: saveAt({ ts: [-0.1, 0.5] }) }, /saveat\.ts\[0\] = -0\.1 is outside/);
    rejects({ ...base(), t0: 1, t1: 0, saveat: saveAt({ ts: [0.2, 0.8] }) }, /saveat\.ts runs against the direction/);
    rejects({ ...base(), saveat: saveAt({ ts: [0.8, 0.2] }) }, /saveat\.ts runs against the direction/);
  });

  it('unknown options, with a suggestion', () => {
    rejects({ ...base(), rtol: 1e-3 }, /diffeqsolve: unknown option 'rtol';.* known options: term, solver, t0/);
    rejects({ ...base(), maxstep: 10 }, /diffeqsolve: unknown option 'maxstep'; did you mean 'maxSteps'\?/);
    rejects(null, /diffeqsolve: options must be an object, got null/);
  });

  it('a missing or wrong term / solver, bad maxSteps / progress, and controller–solver mismatches', () => {
    rejects({ ...base(), term: 3 }, /'term' must be odeTerm\(f\) or a function/);
    rejects({ ...base(), solver: undefined }, /'solver' is required/);
    rejects({ ...base(), maxSteps: 0 }, /'maxSteps' must be a positive integer, got 0/);
    rejects({ ...base(), maxSteps: 2.5 }, /'maxSteps' must be a positive integer/);
    rejects({ ...base(), progress: 'yes' }, /'progress' must be a function/);
    rejects({ ...base(), stepsizeController: constantStepSize() }, /'dt0' is required with constantStepSize\(\)/);
    rejects(
      { ...base(), solver: euler() },
      /solver 'euler' has no error estimate, so 'stepsizeController' must be constantStepSize\(\)/,
    );
  });

  it('a vector field whose output tree or shapes differ from y (on its first call)', () => {
    const state: { a: tf.Tensor; b: tf.Tensor } = { a: tf.tensor1d([1, 2]), b: tf.tensor2d([[1], [2]]) };
    const tree = (options: Partial<DiffeqsolveOptions<typeof state, unknown>>) =>
      diffeqsolve({
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0: state,
        stepsizeController: pidController(),
        ...options,
      } as DiffeqsolveOptions<typeof state, unknown>);
    const before = tf.memory().numTensors;
    expect(() => tree({ term: (_t, y) => ({ a: tf.neg(y.a) }) as typeof state })).toThrow(
      /diffeqsolve: the vector field returned structure .* but y has .*; return dy shaped like y/,
    );
    expect(() => tree({ term: (_t, y) => ({ a: tf.neg(y.a), b: tf.zeros([2]) }) })).toThrow(
      /the vector field returned leaf #1 with shape \[2\] but y's leaf has \[2, 1\]/,
    );
    expect(() => tree({ term: (_t, y) => ({ a: tf.neg(y.a), b: 0 as unknown as tf.Tensor }) })).toThrow(
      /the vector field returned leaf #1 with shape number/,
    );
    expect(() =>
      diffeqsolve({ term: (_t, y: tf.Tensor) => tf.reshape(y, [2, 1]), solver: tsit5(), t0: 0, t1: 1, dt0: 0.1, y0 }),
    ).toThrow(/leaf #0 with shape \[2, 1\] but y's leaf has \[2\]/);
    // with and without a tape (host and tensor paths) and on a constant step
    expect(() =>
      diffeqsolve({ term: (_t, y: tf.Tensor) => tf.concat([y, y]), solver: tsit5(), t0: 0, t1: 1, dt0: 0.1, y0 }),
    ).toThrow(/leaf #0 with shape \[4\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([state.a, state.b]);
  });

  it('odeTerm of a non-function', () => {
    expect(() => odeTerm(3 as never)).toThrow(/odeTerm: 'vectorField' must be a function/);
  });
});

describe('saveAt rejects bad input', () => {
  it('an empty saveAt, non-finite or non-monotone ts, unknown options', () => {
    expect(() => saveAt({ t1: false })).toThrow(
      /saveAt: nothing to save; set at least one of t0, t1, ts, steps or dense/,
    );
    expect(() => saveAt({ ts: [] })).toThrow(/nothing to save/);
    expect(() => saveAt({ ts: [0, Number.NaN] })).toThrow(/saveAt: 'ts\[1\]' is NaN/);
    expect(() => saveAt({ ts: [0, 0.5, 0.3, 1] })).toThrow(
      /saveAt: 'ts' must be monotone in one direction; ts\[1\] = 0\.5, ts\[2\] = 0\.3/,
    );
    expect(() => saveAt({ ts: [1, 2, 1] })).toThrow(/'ts' must be monotone/);
    expect(() => saveAt({ ts: [1, 1, 2, 1] })).toThrow(/'ts' must be monotone/);
    // repeated times are fine, also when all are equal
    expect(saveAt({ ts: [1, 1] }).ts).toEqual([1, 1]);
    expect(saveAt({ ts: [2, 1, 1, 0] }).ts).toEqual([2, 1, 1, 0]);
    expect(() => saveAt({ tss: [0] } as never)).toThrow(/saveAt: unknown option 'tss'; did you mean 'ts'\?/);
    expect(() => saveAt({ dense: true, step: true } as never)).toThrow(/unknown option 'step'; did you mean 'steps'\?/);
  });
});

describe('pidController rejects bad input', () => {
  it('unknown options and invalid values, naming the option', () => {
    expect(() => pidController({ rtoll: 1e-3 } as never)).toThrow(
      /pidController: unknown option 'rtoll'; did you mean 'rtol'\?/,
    );
    expect(() => pidController({ jumpts: [1] } as never)).toThrow(/unknown option 'jumpts'; did you mean 'jumpTs'\?/);
    expect(() => pidController({ rtol: -1 })).toThrow(/'rtol' must be a non-negative finite number, got -1/);
    expect(() => pidController({ atol: Number.NaN })).toThrow(/'atol' must be a non-negative finite number/);
    expect(() => pidController({ rtol: 0, atol: 0 })).toThrow(/'rtol' and 'atol' cannot both be 0/);
    expect(() => pidController({ dtmin: 0 })).toThrow(/'dtmin' must be a positive finite number, got 0/);
    expect(() => pidController({ dtmin: 1, dtmax: 0.5 })).toThrow(/'dtmin' \(1\) exceeds 'dtmax' \(0\.5\)/);
    expect(() => pidController({ factormin: 1.5 })).toThrow(/'factormin' must be in \(0, 1\), got 1\.5/);
    expect(() => pidController({ safety: 0 })).toThrow(/'safety' must be a positive/);
    expect(() => pidController({ pcoeff: Number.POSITIVE_INFINITY })).toThrow(/'pcoeff' must be finite/);
    expect(() => pidController({ stepTs: [0, Number.NaN] })).toThrow(/'stepTs' must be an array of finite times/);
  });
});

// W1: Lotka–Volterra forward solve, rtol = atol = 1e-6, 100 save points (see workloads.json).
import { compileField } from '@odekit/core';
import { diffeqsolve, dopri5, pidController, saveAt, tsit5 } from '@odekit/solvers';
import { loadWorkloads } from '@odekit/testing';
import { emit, medianMs, setup, tf } from './common.js';

const backend = await setup();
const w = loadWorkloads().W1;
// dy = y ⊙ [a, −c] + (r·c) ⊙ [−b, d]: four tensor ops per evaluation
const lin = tf.tensor1d([w.a, -w.c]);
const quad = tf.tensor1d([-w.b, w.d]);
const f = (_t: number, y: tf.Tensor) => tf.add(tf.mul(y, lin), tf.mul(tf.prod(y), quad));
const y0 = tf.tensor1d(w.y0);
// The default controller is Diffrax's integral one (pcoeff 0, icoeff 1). The `-pi` cases use the
// PI controller of Hairer's DOPRI5 code (β = 0.04 ⇒ pcoeff 0.2, icoeff 0.65; Hairer, Nørsett &
// Wanner, Solving ODEs I, §II.4), which needs fewer steps on this problem.
// The plain cases are diffeqsolve's default: the field compiled for host arrays (strict here, so
// a fallback would fail the run); `compile:false` runs the same field as tfjs ops (the opt-out);
// `compileField` compiles it explicitly (the same path as the default).
const compiled = compileField(f, { strict: true });
const controllers = [
  ['', {}, f, { strict: true }],
  [' compile:false', {}, f, false],
  ['-pi', { pcoeff: 0.2, icoeff: 0.65 }, f, { strict: true }],
  [' compileField', {}, compiled, true],
] as const;
for (const [suffix, pid, term, compile] of controllers)
  for (const solver of [dopri5(), tsit5()]) {
    const solve = () =>
      diffeqsolve({
        term,
        compile,
        solver,
        t0: w.t0,
        t1: w.t1,
        y0,
        saveat: saveAt({ ts: w.ts }),
        stepsizeController: pidController({ rtol: w.rtol, atol: w.atol, ...pid }),
      });
    const ms = medianMs(() => solve().dispose(), 20, 10);
    const sol = solve();
    const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
    let maxAbsErr = 0;
    ys.forEach((row, i) => {
      row.forEach((v, j) => {
        maxAbsErr = Math.max(maxAbsErr, Math.abs(v - (w.reference_ys[i]?.[j] as number)));
      });
    });
    emit({
      workload: 'W1',
      case: `${solver.name}${suffix}`,
      backend,
      msMedian: Number(ms.toFixed(3)),
      nfe: sol.stats.numFnEvals,
      steps: sol.stats.numSteps,
      maxAbsErr: Number(maxAbsErr.toExponential(3)),
    });
    sol.dispose();
  }

// W4: batch scaling of the W2 model's forward solve, B = 1, 16, 256, 4096 (dopri5 1e-3/1e-6),
// with the tfjs-op field as diffeqsolve runs it by default (case `B=…`: compiled for host arrays,
// traced once per solve), with `compile: false` (case `B=… compile:false`: tfjs ops, the opt-out)
// and through an explicit compileField (case `B=… compileField`).
import { compileField } from '@odekit/core';
import { diffeqsolve, dopri5, dopri8, pidController, saveAt } from '@odekit/solvers';
import { loadWorkloads, lvHybridArgs, lvHybridFieldFused, lvHybridParams } from '@odekit/testing';
import { emit, medianMs, setup, tf } from './common.js';

const backend = await setup();
const all = loadWorkloads();
const params = lvHybridArgs(lvHybridParams(all.W2.init));
const compiled = compileField(lvHybridFieldFused, { strict: true });
const cases = all.W4.batches.flatMap((B) => [
  { B, name: `B=${B}`, term: lvHybridFieldFused, compile: { strict: true } },
  { B, name: `B=${B} compile:false`, term: lvHybridFieldFused, compile: false },
  { B, name: `B=${B} compileField`, term: compiled, compile: true },
]);
for (const { B, name, term, compile } of cases) {
  const y0 = tf.tensor2d(all.W4.y0_rows.slice(0, B));
  const solve = () =>
    diffeqsolve({
      term,
      compile,
      solver: dopri5(),
      t0: 0,
      t1: all.W2.ts[all.W2.ts.length - 1] as number,
      y0,
      args: params,
      saveat: saveAt({ ts: all.W2.ts }),
      stepsizeController: pidController({ rtol: all.W2.rtol, atol: all.W2.atol }),
    });
  const runs = B >= 4096 ? 10 : 15;
  const ms = medianMs(() => solve().dispose(), runs, B >= 4096 ? 3 : 20);
  const sol = solve();
  // reference: the same batch with dopri8 at rtol = atol = 1e-8 (float32's floor)
  const ref = diffeqsolve({
    term: lvHybridFieldFused,
    compile: false,
    solver: dopri8(),
    t0: 0,
    t1: all.W2.ts[all.W2.ts.length - 1] as number,
    y0,
    args: params,
    saveat: saveAt({ ts: all.W2.ts }),
    stepsizeController: pidController({ rtol: 1e-8, atol: 1e-8 }),
  });
  const a = (sol.ys as tf.Tensor).dataSync();
  const b = (ref.ys as tf.Tensor).dataSync();
  let maxAbsErr = 0;
  for (let i = 0; i < a.length; i++) maxAbsErr = Math.max(maxAbsErr, Math.abs((a[i] as number) - (b[i] as number)));
  emit({
    workload: 'W4',
    case: name,
    backend,
    msMedian: Number(ms.toFixed(3)),
    nfe: sol.stats.numFnEvals,
    steps: sol.stats.numSteps,
    maxAbsErr: Number(maxAbsErr.toExponential(3)),
  });
  sol.dispose();
  ref.dispose();
  y0.dispose();
}

// One W5 case in this (fresh) process: forward + backward of the W2 model over [0, T], saving at
// linspace(0, T, 101), loss = mean(y²); prints seconds, peak RSS growth and tfjs peak bytes.
import { compileField, valueAndGrad } from '@odekit/core';
import {
  type Adjoint,
  diffeqsolve,
  directAdjoint,
  dopri5,
  pidController,
  recursiveCheckpointAdjoint,
  saveAt,
} from '@odekit/solvers';
import {
  type LvHybridArgs,
  type LvHybridParams,
  loadWorkloads,
  lvHybridArgs,
  lvHybridFieldFused,
  lvHybridParams,
} from '@odekit/testing';
import { emit, flag, setup, tf } from './common.js';

const backend = await setup();
const T = Number(flag('T', '10'));
const adjointName = flag('adjoint', 'recursive-checkpoint') as string;
const checkpoints = flag('checkpoints');
const makeAdjoint = (): Adjoint =>
  adjointName === 'direct'
    ? directAdjoint()
    : recursiveCheckpointAdjoint({
        ...(checkpoints ? { checkpoints: Number(checkpoints) } : {}),
        batchStages: adjointName === 'recursive-checkpoint-per-stage' ? false : 'auto',
      });
const w = loadWorkloads().W2;
const params = lvHybridParams(w.init);
const y0 = tf.tensor1d([2, 1]);
let steps = 0;
// tfjs's own peak: sampled at every vector-field evaluation (tf.profile records every kernel,
// which distorts both the time and the memory of long solves)
const engineState = (tf.engine() as unknown as { state: { numBytes: number } }).state;
let peakBytes = 0;
const field = (t: number, y: tf.Tensor, p: LvHybridArgs) => {
  if (engineState.numBytes > peakBytes) peakBytes = engineState.numBytes;
  return lvHybridFieldFused(t, y, p);
};
// `--field default` (the default): diffeqsolve's default, the field compiled for host arrays
// (strictly: a fallback fails the run); `--field tensor`: `compile: false`, tfjs ops (the
// opt-out); `--field compiled`: an explicit compileField (traced once per solve and backward pass)
const fieldKind = flag('field', 'default') as string;
if (!['default', 'tensor', 'compiled'].includes(fieldKind)) {
  throw new Error(`W5: --field must be default, tensor or compiled, got ${fieldKind}.`);
}
const compiled = fieldKind === 'compiled';
const term = compiled ? compileField(field, { strict: true }) : field;
const compile = fieldKind === 'tensor' ? false : { strict: true };
const gradAt = (horizon: number) => {
  const ts = Array.from({ length: 101 }, (_, i) => (horizon * i) / 100);
  const loss = (p: LvHybridParams) => {
    const sol = diffeqsolve({
      term,
      compile,
      solver: dopri5(),
      t0: 0,
      t1: horizon,
      y0,
      args: lvHybridArgs(p),
      saveat: saveAt({ ts }),
      stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6 }),
      adjoint: makeAdjoint(),
      maxSteps: 1_000_000,
    });
    steps = sol.stats.numSteps;
    return tf.mean(tf.square(sol.ys as tf.Tensor));
  };
  const { value, grads } = valueAndGrad(loss)(params);
  value.dispose();
  for (const g of Object.values(grads)) g.dispose();
};
gradAt(10); // warm up the JIT on a short horizon
const rss0 = process.memoryUsage().rss;
const bytes0 = engineState.numBytes;
peakBytes = bytes0;
const t0 = performance.now();
gradAt(T);
const seconds = (performance.now() - t0) / 1000;
const maxRss = process.resourceUsage().maxRSS * 1024;
emit({
  workload: 'W5',
  case: compiled
    ? `${adjointName} compileField`
    : fieldKind === 'tensor'
      ? `${adjointName} compile:false`
      : adjointName,
  backend,
  T,
  steps,
  seconds: Number(seconds.toFixed(3)),
  peakRssMiB: Number((Math.max(0, maxRss - rss0) / 2 ** 20).toFixed(2)),
  tfPeakMiB: Number(((peakBytes - bytes0) / 2 ** 20).toFixed(3)),
});

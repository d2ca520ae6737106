// W7: stiff problems. (a) Robertson to t = 40 and Van der Pol μ = 1000 to t = 3000 at rtol 1e-6,
// atol 1e-10: ms per solve of kvaerno5, rodas4 and rodas5p (field through compileField in float64
// and in float32; the plain tfjs field with `--fields float64,float32,tfjs`), against SciPy's LSODA on this machine (fixtures/peers-stiff.json, made by
// scripts/peers-stiff.py). (b) A small stiff neural ODE: the W2 hybrid model with the cat
// equation's rates × 1000, trained 20 Adam steps with kvaerno5 and with tsit5 in the same run
// (ms per step; failed solves counted by result code). `--steps N` changes the 20;
// `--part solves|node` runs one part; `--part accuracy` runs the accuracy and cost comparison with
// SciPy Radau on the four stiff reference problems (w7-accuracy.ts).
import { readFileSync } from 'node:fs';
import { compileField, disposeTree, valueAndGrad } from '@odekit/core';
import {
  type AbstractSolver,
  diffeqsolve,
  kvaerno5,
  pidController,
  radau5,
  rodas4,
  rodas5p,
  SolveError,
  saveAt,
  tsit5,
} from '@odekit/solvers';
import {
  type LvHybridParams,
  loadStiffProblems,
  loadWorkloads,
  lvHybridArgs,
  lvHybridFieldFused,
  lvHybridParams,
} from '@odekit/testing';
import { adam, applyUpdates } from '@odekit/train';
import { emit, flag, medianMs, setup, tf } from './common.js';

const backend = await setup();
const peers = JSON.parse(readFileSync(new URL('../fixtures/peers-stiff.json', import.meta.url), 'utf8')) as {
  results: Record<string, { msMedian: number }>;
};

const part = flag('part', 'all');
const fieldNames = (flag('fields', 'float64,float32') ?? '').split(',');
if (part === 'accuracy') await import('./w7-accuracy.js');
// (a) forward solves
for (const id of part === 'node' || part === 'accuracy' ? [] : ['ROBER', 'VDP1000']) {
  const p = loadStiffProblems().find((q) => q.id === id);
  if (p === undefined) throw new Error(`W7: no problem ${id}`);
  const lsoda = peers.results[`${id}/LSODA`]?.msMedian ?? Number.NaN;
  const plain = (t: number, y: tf.Tensor) => p.vectorField(t, y);
  const fields = {
    float64: ['compileField-float64', compileField(plain, { precision: 'float64' })],
    float32: ['compileField', compileField(plain)],
    tfjs: ['tfjs', plain],
  } as const;
  const y0 = tf.tensor1d(p.y0);
  for (const [name, make] of [
    ['kvaerno5', kvaerno5],
    ['rodas4', rodas4],
    ['rodas5p', rodas5p],
    ['radau5', radau5],
  ] as [string, () => AbstractSolver][]) {
    for (const key of fieldNames) {
      const entry = fields[key as keyof typeof fields];
      if (entry === undefined) throw new Error('W7: --fields takes float64, float32 and tfjs');
      const [fieldName, field] = entry;
      let stats: Record<string, number | string[] | undefined> = {};
      let relErr = 0;
      const solve = () => {
        const sol = diffeqsolve({
          term: field,
          compile: fieldName !== 'tfjs', // the plain case runs the tfjs ops (the opt-out)
          solver: make(),
          t0: p.t0,
          t1: p.t1,
          y0,
          saveat: saveAt({ ts: p.ts }),
          stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10 }),
          maxSteps: 100_000,
        });
        stats = { ...sol.stats };
        const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
        const scale = p.y0.map((_, j) => Math.max(...p.ys.map((r) => Math.abs(r[j] as number))));
        relErr = 0;
        p.ys.forEach((row, i) => {
          row.forEach((v, j) => {
            relErr = Math.max(relErr, Math.abs(((ys[i] as number[])[j] as number) - v) / (scale[j] as number));
          });
        });
        sol.dispose();
      };
      // compiled fields: steady state after V8 has compiled the host path (the first few solves
      // run 3–10× slower while it does; SciPy's figures are steady-state medians too)
      const runs = fieldName === 'tfjs' ? 3 : 20;
      const ms = medianMs(solve, runs, fieldName === 'tfjs' ? 1 : 10);
      emit({
        workload: 'W7',
        case: `${id}/${name}/${fieldName}`,
        backend,
        msMedian: Number(ms.toFixed(2)),
        lsodaMs: Number(lsoda.toFixed(2)),
        ratioToLsoda: Number((ms / lsoda).toFixed(2)),
        ...stats,
        maxRelErr: Number(relErr.toExponential(2)),
      });
    }
  }
  y0.dispose();
}

// (b) the stiff neural ODE: the cats' decay γ and the network's correction δ·r·NN × 1000,
// dc/dt = 1000·(δ·r·NN(r, c) − γ·c) + δ·r·c: c relaxes on a 1/(1000γ) time scale to its
// quasi-steady state δ·r·NN/γ, which the network learns (a singular-perturbation hybrid; stiff,
// eigenvalue ≈ −1000γ, and stable while r·∂NN/∂c < γ). Scaling the whole dc/dt (an earlier
// version) made c grow at 1000(δr − γ) once r > γ/δ: an ill-posed workload on which both solvers
// failed solves. maxSteps is raised so tsit5 (step ≈ 3.3/3000 by stability) finishes.
const w = loadWorkloads().W2;
const steps = Number(flag('steps', '20'));
const field = compileField(lvHybridFieldFused);
const data = tf.tensor2d(w.data);
const y0 = tf.tensor1d(w.y0);
const stiffScale = tf.tensor2d([1, 1, 1, 1000, 1, 1, 1, 1000], [4, 2]);
for (const [name, make] of (part === 'solves' || part === 'accuracy'
  ? []
  : [
      ['kvaerno5', kvaerno5],
      ['tsit5', tsit5],
    ]) as [string, () => AbstractSolver][]) {
  let params = lvHybridParams(w.init);
  const optimizer = adam({ learningRate: 1e-2 });
  let state = optimizer.init(params);
  const failures: Record<string, number> = {};
  let nfe = 0;
  const loss = (p: LvHybridParams) => {
    const args = lvHybridArgs(p);
    const stiffArgs = { ...args, out: tf.mul(args.out, stiffScale) as tf.Tensor2D };
    let sol: ReturnType<typeof diffeqsolve>;
    try {
      sol = diffeqsolve({
        term: field,
        solver: make(),
        t0: 0,
        t1: w.ts[w.ts.length - 1] as number,
        y0,
        args: stiffArgs,
        saveat: saveAt({ ts: w.ts }),
        stepsizeController: pidController({ rtol: w.rtol, atol: w.atol }),
        maxSteps: 100_000,
      });
    } catch (e) {
      if (!(e instanceof SolveError)) throw e;
      // a failed solve (maxSteps, or a non-finite state): train on the partial solution's loss,
      // what a user gets with throwOnFailure: false
      failures[e.result] = (failures[e.result] ?? 0) + 1;
      sol = e.solution;
    }
    nfe += sol.stats.numFnEvals;
    const ys = sol.ys as tf.Tensor;
    const n = ys.shape[0] ?? 0;
    const out = n === 0 ? tf.scalar(Number.NaN) : tf.mean(tf.square(tf.sub(ys, tf.slice(data, [0, 0], [n, 2]))));
    return out as tf.Scalar;
  };
  const vg = valueAndGrad(loss);
  const times: number[] = [];
  let last = Number.NaN;
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const out = tf.tidy(() => {
      const { value, grads } = vg(params);
      const [updates, next] = optimizer.update(grads, state, params);
      return { value, params: applyUpdates(params, updates), state: next } as unknown as tf.TensorContainer;
    }) as unknown as { value: tf.Tensor; params: LvHybridParams; state: typeof state };
    last = out.value.dataSync()[0] as number;
    times.push(performance.now() - t0);
    disposeTree([params as never, state as never, out.value]);
    params = out.params;
    state = out.state;
  }
  const sorted = [...times].sort((a, b) => a - b);
  emit({
    workload: 'W7',
    case: `stiff-node-train/${name}`,
    backend,
    steps,
    msPerStepMedian: Number((sorted[Math.floor(sorted.length / 2)] as number).toFixed(1)),
    msPerStepMean: Number((times.reduce((a, b) => a + b, 0) / steps).toFixed(1)),
    failures,
    nfePerStep: Math.round(nfe / steps),
    finalLoss: Number(last.toPrecision(6)),
  });
  disposeTree([params as never, state as never]);
}

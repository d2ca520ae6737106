// SR-suite workload: symbolic regression on ≥ 40 right-hand-side terms of published models
// (sr-suite-targets.ts), judged by sr-suite-judge.ts (symbolic equivalence by identity testing,
// constants within 1 %, no unused inputs; see the top of that file).
// Conditions per target: clean, 1 % and 5 % noise (Gaussian, σ = level × RMS of the target), and
// through a network: an MLP (2×32 tanh, @odekit/nn) trained by @odekit/train (Adam, full batch) on
// 600 states along a trajectory-shaped cloud in the target's box, then the search on the network's
// outputs at 10,000 fresh states of the same cloud (what the demo does). Data: 10,000 uniform states
// in the box for the other conditions. Operators + - * / ^ exp log sin cos sqrt, maxSize 30,
// `^` exponents of complexity 1, the SR workload's nesting limits, mini-batches of 50.
// `--search old,new` (or `--compare old`) runs the previous search ('old': main's defaults before
// session 8, pinned in sr-variants.ts) and the current one ('new') on the same data in the same run.
// Prints one JSON line per run and summaries per search × condition, per family, and old against new.
// Usage: npx tsx --conditions=@odekit/source bench/src/sr-suite.ts [--seconds 40] [--workers 2|0]
//   [--only E02,C0] [--family ecology] [--conditions clean,noise1,noise5,network] [--search old,new]
//   [--compare old|none] (old: --search old,new; none: --search new)
//   [--every 1 --offset 0] (every k-th target, a subset spread over the families)
//   [--max-evals N] (also stop after N candidate evaluations: budgets that do not depend on the load)
//   [--clock wall|cpu] (cpu: the budget counts the process's CPU seconds per search thread, the same
//     work however loaded the machine is; the default wall is the protocol's wall clock)
//   [--resume FILE] (append each run's line to FILE and skip the runs already there; the summaries
//     then cover every line of FILE) [--shard i/n] (the i-th of n interleaved parts of the targets,
//     i from 1; shards may share one FILE) [--summarize] (only print FILE's summaries)

import { createRng, disposeTree } from '@odekit/core';
import { mlp } from '@odekit/nn';
import { parseExpression } from '@odekit/symbolic';
import { symbolicRegression } from '@odekit/symbolic/node';
import { adam, fit } from '@odekit/train';
import * as tf from '@tensorflow/tfjs';
import { type Box, type Columns, sampleBox } from './sr-check.js';
import { judge } from './sr-suite-judge.js';
import { appendRun, keyOf, type Protocol, type RunRecord, readRuns, summaries } from './sr-suite-runs.js';
import { SUITE_TARGETS, type SuiteTarget } from './sr-suite-targets.js';
import { BENCH_SEARCH_SPACE, searchVariant } from './sr-variants.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const list = (name: string, dflt: string): string[] =>
  (arg(name) ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
const seconds = Number(arg('seconds') ?? 40);
// a budget in candidate evaluations instead of (with) time: comparisons that do not depend on the load
const maxEvals = arg('max-evals') !== undefined ? Number(arg('max-evals')) : undefined;
const workersArg = Number(arg('workers') ?? 2);
const only = arg('only')?.split(',');
const family = arg('family');
const every = Number(arg('every') ?? 1);
const offset = Number(arg('offset') ?? 0);
const conditions = list('conditions', 'clean,noise1,noise5,network');
const compare = arg('compare');
if (compare !== undefined && compare !== 'old' && compare !== 'none') {
  throw new Error(`sr-suite: --compare must be 'old' or 'none', got '${compare}'.`);
}
const searches = compare === 'none' ? ['new'] : compare === 'old' ? ['old', 'new'] : list('search', 'old,new');
for (const s of searches) searchVariant(s, undefined);
// --known-noise: the new search is told the noise variance of the noisy conditions (σ²·(1 + 3·√(2/N)))
const knownNoise = process.argv.includes('--known-noise');
const clock = arg('clock') ?? 'wall';
if (clock !== 'wall' && clock !== 'cpu') throw new Error(`sr-suite: --clock must be 'wall' or 'cpu', got '${clock}'.`);
const resume = arg('resume');
const shardArg = arg('shard');
const [shardI, shardN] = (shardArg ?? '1/1').split('/').map(Number);
if (
  !(
    Number.isInteger(shardN) &&
    Number.isInteger(shardI) &&
    (shardI as number) >= 1 &&
    (shardI as number) <= (shardN as number)
  )
) {
  throw new Error(`sr-suite: --shard must be i/n with 1 ≤ i ≤ n (e.g. 2/4), got '${shardArg}'.`);
}
const protocol: Protocol = {
  secondsPerTarget: seconds,
  workers: workersArg,
  clock,
  maxEvals: maxEvals ?? null,
  knownNoise,
};
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

const targets = SUITE_TARGETS.filter(
  (t, i) =>
    (only === undefined || only.some((p) => t.id.startsWith(p))) &&
    (family === undefined || t.family === family) &&
    (i - offset) % every === 0 &&
    i >= offset,
).filter((_, j) => j % (shardN as number) === (shardI as number) - 1);

/**
 * `n` states along a trajectory-shaped cloud: 8 closed curves through the box (drawn from
 * `curveSeed`) plus 3 % jitter, the points on them drawn from `pointSeed`. The network's training
 * states, its validation states and the states the search sees share the curves (the demo samples
 * a network where its data were), with points of their own.
 */
function trajectoryCloud(box: Box, n: number, curveSeed: number, pointSeed: number): Columns {
  const curveRng = createRng(curveSeed);
  const rng = createRng(pointSeed);
  const names = Object.keys(box);
  const curves = Array.from({ length: 8 }, () =>
    names.map(() => ({
      w: 1 + Math.floor(curveRng.nextFloat() * 3),
      phi: 2 * Math.PI * curveRng.nextFloat(),
      a: 0.25 + 0.2 * curveRng.nextFloat(),
      c: 0.3 + 0.4 * curveRng.nextFloat(),
    })),
  );
  const out: Columns = {};
  for (const name of names) out[name] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const curve = curves[i % curves.length] ?? [];
    const s = 2 * Math.PI * rng.nextFloat();
    names.forEach((name, j) => {
      const [lo, hi] = box[name] as [number, number];
      const p = curve[j] ?? { w: 1, phi: 0, a: 0.3, c: 0.5 };
      let u = p.c + p.a * Math.sin(p.w * s + p.phi) + 0.03 * rng.nextNormal();
      u = Math.min(1, Math.max(0, u));
      (out[name] as Float64Array)[i] = lo + (hi - lo) * u;
    });
  }
  return out;
}

/** Trains the small MLP on the truth along the cloud; returns its outputs at `at` and its validation MSE. */
async function throughNetwork(truth: ReturnType<typeof parseExpression>, box: Box, at: Columns, seed: number) {
  const names = Object.keys(box);
  const train = trajectoryCloud(box, 600, seed, seed);
  const yTrain = truth.evaluate(train);
  const mean = yTrain.reduce((a, b) => a + b, 0) / yTrain.length;
  const std = Math.sqrt(yTrain.reduce((a, b) => a + (b - mean) ** 2, 0) / yTrain.length) || 1;
  const toInput = (cols: Columns, n: number): tf.Tensor2D => {
    const flat = new Float32Array(n * names.length);
    for (let i = 0; i < n; i++) {
      names.forEach((name, j) => {
        const [lo, hi] = box[name] as [number, number];
        flat[i * names.length + j] = (2 * (((cols[name] as Float64Array)[i] as number) - lo)) / (hi - lo) - 1;
      });
    }
    return tf.tensor2d(flat, [n, names.length]);
  };
  const net = mlp({ inSize: names.length, outSize: 1, widthSize: 32, depth: 2, activation: 'tanh', seed });
  const xT = toInput(train, 600);
  const yT = tf.tensor2d(
    Float32Array.from(yTrain, (v) => (v - mean) / std),
    [600, 1],
  );
  const res = await fit({
    params: net.params,
    loss: (p) => tf.mean(tf.square(tf.sub(net.apply(p, xT), yT))),
    optimizer: adam({ learningRate: 3e-3 }),
    steps: 3000,
  });
  const n = (Object.values(at)[0] as Float64Array).length;
  const xA = toInput(at, n);
  const pred = net.apply(res.params, xA);
  const y = Float64Array.from(await pred.data(), (v) => v * std + mean);
  // the network's error on 200 held-out states of the cloud (a validation split, as the demo has)
  const val = trajectoryCloud(box, 200, seed, seed + 1);
  const yVal = truth.evaluate(val);
  const xV = toInput(val, 200);
  const predVal = net.apply(res.params, xV);
  const pv = await predVal.data();
  let mse = 0;
  for (let i = 0; i < 200; i++) mse += ((pv[i] as number) * std + mean - (yVal[i] as number)) ** 2;
  disposeTree([xT, yT, xA, xV, pred, predVal, res.params]);
  return { y, valMse: mse / 200 };
}

async function prepare(t: SuiteTarget, k: number, condition: string) {
  const truth = parseExpression(t.expr);
  if (condition === 'network') {
    // the network's curves (seed 6000 + k), new points on them
    const X = trajectoryCloud(t.vars, 10000, 6000 + k, 5000 + k);
    const { y, valMse } = await throughNetwork(truth, t.vars, X, 6000 + k);
    // selection within the network's own error (1.5× its validation MSE: a margin for the estimate)
    return { X, y, noiseVariance: 1.5 * valMse };
  }
  const X = sampleBox(t.vars, 10000, 1000 + k);
  const clean = truth.evaluate(X);
  const level = condition === 'noise1' ? 0.01 : condition === 'noise5' ? 0.05 : 0;
  const rms = Math.sqrt(clean.reduce((a, b) => a + b * b, 0) / clean.length);
  const rng = createRng(2000 + k);
  const y = clean.map((v) => v + level * rms * rng.nextNormal());
  const known = knownNoise && level > 0 ? (level * rms) ** 2 * (1 + 3 * Math.sqrt(2 / y.length)) : undefined;
  return { X, y, noiseVariance: known };
}

const previous = resume !== undefined ? readRuns(resume, protocol) : [];
const done = new Set(previous.map(keyOf));
const runs: RunRecord[] = [...previous];
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
if (process.argv.includes('--summarize')) {
  if (resume === undefined) throw new Error('sr-suite: --summarize needs --resume FILE.');
  // the best expressions of the file judged again by the current judge (rule (5) came after some
  // files were made); the front's verdicts (`recoveredOnFront`) stay as recorded
  let changed = 0;
  runs.forEach((r, i) => {
    const target = SUITE_TARGETS.find((x) => x.id === r.case);
    if (target === undefined || typeof r.best !== 'string') return;
    const v = judge(parseExpression(r.best), parseExpression(target.expr), target.vars);
    if (v.recovered !== r.recovered) {
      changed++;
      emit({ workload: 'SR-suite', case: r.case, condition: r.condition, search: r.search, best: r.best, rejudged: v });
    }
    runs[i] = { ...r, recovered: v.recovered, reason: v.reason };
  });
  emit({ workload: 'SR-suite', case: 'rejudged', runs: runs.length, changed });
} else {
  for (const condition of conditions) {
    for (const t of targets) {
      const todo = searches.filter((s) => !done.has(keyOf({ case: t.id, condition, search: s })));
      if (todo.length === 0) continue;
      const k = SUITE_TARGETS.indexOf(t);
      const data = await prepare(t, k, condition);
      const truth = parseExpression(t.expr);
      for (const search of todo) {
        const t0 = performance.now();
        const c0 = cpuNow();
        const result = await symbolicRegression({
          X: data.X,
          y: data.y,
          seed: 0,
          ...BENCH_SEARCH_SPACE,
          batching: true,
          batchSize: 50,
          iterations: 1_000_000,
          timeoutSeconds: seconds,
          clock,
          ...(maxEvals !== undefined ? { maxEvals } : {}),
          ...(workersArg > 0 ? { workers: workersArg } : {}),
          ...searchVariant(search, data.noiseVariance),
        });
        const verdict = judge(result.best.expr, truth, t.vars);
        const onFront = result.hallOfFame.some((e) => judge(e.expr, truth, t.vars).recovered);
        const record: RunRecord = {
          workload: 'SR-suite',
          case: t.id,
          family: t.family,
          condition,
          search,
          knownNoise: knownNoise && condition.startsWith('noise'),
          best: result.best.expr.toString(),
          recovered: verdict.recovered,
          reason: verdict.reason,
          recoveredOnFront: onFront,
          seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
          cpuSeconds: Number((cpuNow() - c0).toFixed(1)),
          stopReason: result.stopReason,
          islandRestarts: result.islandRestarts ?? 0,
          evaluations: result.evaluations,
          protocol,
        };
        runs.push(record);
        if (resume !== undefined) appendRun(resume, record);
        emit(record);
      }
    }
  }
}
emit({
  workload: 'SR-suite',
  case: 'protocol',
  ...protocol,
  budget:
    clock === 'cpu'
      ? `${seconds} CPU seconds per search thread (process CPU time / ${Math.max(1, workersArg)}): the same work whatever the load`
      : `${seconds} s of wall-clock time per search (depends on the machine's load)`,
  runs: runs.length,
  file: resume ?? null,
});
for (const line of summaries(runs)) emit(line);

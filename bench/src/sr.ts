// SR workload: PySR-style symbolic regression on the 10 targets of fixtures/sr-bench.json.
// Protocol (one for all targets): 10,000 uniform samples in the target's box, 75/25 train/test
// split, noise 0 and 1 % of the target's RMS (Gaussian, on the train targets only), operators
// + - * / ^ exp log sin cos sqrt, maxSize 30, 60 s per run (--seconds to change), seed 0;
// search settings shared by all targets: mini-batches of 50 rows (PySR's default size), `^` exponents of complexity 1, no
// nesting of exp/log, sin/cos, sqrt or ^ inside themselves, no early stop.
// Prints one JSON line per target and noise level, a summary per noise level, and the SR-eval
// line (candidate evaluations per CPU second for 10-node expressions on 1,000 rows, one core).
// `recovered` is the rule of sr-check.ts (constants rounded to 3 decimals); `judged` the SR-suite's
// judge (sr-suite-judge.ts: symbolic identity, constants within 1 %).
// `--search old` runs the previous search (main's defaults before session 8, as sr-suite.ts's 'old';
// presets in sr-variants.ts); `--search pysr` the search of session 6 (no seeding, no tidying);
// `--search pysr-select` the current one with PySR's selection rule. `--clock cpu` counts the budget
// in CPU seconds of the process; `--front` prints every front entry with its loss and verdicts.
// Usage: npx tsx --conditions=@odekit/source bench/src/sr.ts [--seconds 60] [--only P05] [--noise 0|0.01] [--seed 0] [--batch-size 50] [--parsimony 0] [--search new|old] [--eval-only] [--no-eval] [--no-wasm]
// (`pnpm bench --workload SR --noise 0.01 --no-eval` runs the 1 % condition only, without the SR-eval line)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRng } from '@odekit/core';
import {
  binary,
  ColumnEvaluator,
  constant,
  type ExprNode,
  parseExpression,
  setSymbolicWasmEnabled,
  symbolicRegression,
  unary,
  variable,
} from '@odekit/symbolic';
import { type Box, isRecovered, r2, sampleBox, slice } from './sr-check.js';
import { judge } from './sr-suite-judge.js';
import { BENCH_SEARCH_SPACE, searchVariant } from './sr-variants.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('seconds') ?? 60);
const only = arg('only');
const searchSeed = Number(arg('seed') ?? 0);
const batchSize = Number(arg('batch-size') ?? 50);
const parsimony = Number(arg('parsimony') ?? 0);
const search = arg('search') ?? 'new';
searchVariant(search, undefined);
// --clock cpu: the budget in CPU seconds of this process (the same work however loaded the machine is)
const clock = arg('clock') === 'cpu' ? 'cpu' : 'wall';
// --known-noise: the search is told the noise level (noiseVariance = σ²·(1 + 3·√(2/N)), the margin of
// the loss of the true model over N rows), as a scientist who knows the measurement noise would be
const knownNoise = process.argv.includes('--known-noise');
const noises = arg('noise') !== undefined ? [Number(arg('noise'))] : [0, 0.01];
// --no-wasm: the evaluator's JavaScript loops instead of its WebAssembly kernels (for before/after)
const wasm = !process.argv.includes('--no-wasm');
setSymbolicWasmEnabled(wasm);
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

interface Target {
  id: string;
  expr: string;
  vars: Box;
}
const allTargets = JSON.parse(readFileSync(new URL('../fixtures/sr-bench.json', import.meta.url), 'utf8')) as Target[];
const targets = allTargets.filter((t) => only === undefined || t.id.startsWith(only));

const BINARY = ['+', '-', '*', '/', '^'] as const;
const UNARY = ['exp', 'log', 'sin', 'cos', 'sqrt'] as const;

async function runOne(t: Target, k: number, noise: number) {
  const truth = parseExpression(t.expr);
  const all = sampleBox(t.vars, 10000, 1000 + k);
  const yAll = truth.evaluate(all);
  const train = { X: slice(all, 0, 7500), y: yAll.slice(0, 7500) };
  const test = { X: slice(all, 7500, 10000), y: yAll.slice(7500) };
  const rms = Math.sqrt(train.y.reduce((a, b) => a + b * b, 0) / train.y.length);
  const rng = createRng(2000 + k);
  const yNoisy = train.y.map((v) => v + noise * rms * rng.nextNormal());
  const t0 = performance.now();
  const result = await symbolicRegression({
    X: train.X,
    y: yNoisy,
    seed: searchSeed,
    ...BENCH_SEARCH_SPACE,
    batching: true,
    batchSize,
    parsimony,
    iterations: 1_000_000,
    timeoutSeconds: seconds,
    clock,
    ...searchVariant(
      search,
      knownNoise && noise > 0 ? (noise * rms) ** 2 * (1 + 3 * Math.sqrt(2 / train.y.length)) : undefined,
    ),
  });
  const elapsed = (performance.now() - t0) / 1000;
  const recovered = isRecovered(result.best.expr, truth, t.vars, train, test);
  const recoveredOnFront = recovered || result.hallOfFame.some((e) => isRecovered(e.expr, truth, t.vars, train, test));
  // the SR-suite's judge (symbolic identity, constants within 1 %), for comparison with the suite
  const judged = judge(result.best.expr, truth, t.vars).recovered;
  // --front: every front entry with its loss (in units of the noise variance) and both verdicts
  if (process.argv.includes('--front')) {
    const sigma2 = (noise * rms) ** 2;
    for (const e of result.hallOfFame) {
      emit({
        workload: 'SR',
        case: `${t.id}:front`,
        complexity: e.complexity,
        loss: e.loss,
        lossOverNoise: sigma2 > 0 ? Number((e.loss / sigma2).toFixed(5)) : null,
        constants: e.expr.constants.length,
        expr: e.expr.toString(),
        chosen: e === result.best,
        recovered: isRecovered(e.expr, truth, t.vars, train, test),
        judged: judge(e.expr, truth, t.vars).recovered,
      });
    }
  }
  emit({
    workload: 'SR',
    case: t.id,
    noise,
    search,
    knownNoise,
    best: result.best.expr.toString(),
    recovered,
    recoveredOnFront,
    judged,
    r2: r2(result.best.expr.evaluate(test.X), test.y),
    seconds: Number(elapsed.toFixed(2)),
    evaluations: result.evaluations,
  });
  return { recovered, recoveredOnFront, judged };
}

/** A random tree with exactly `size` nodes over the given operators. */
function randomTree(size: number, next: () => number, names: string[], unaryOps: readonly string[]): ExprNode {
  if (size === 1) {
    return next() < 0.5 ? variable(names[Math.floor(next() * names.length)] as string) : constant(0.1 + 2 * next());
  }
  const op = unaryOps[Math.floor(next() * unaryOps.length)] as (typeof UNARY)[number] | undefined;
  if (op !== undefined && (size === 2 || next() < 0.3)) return unary(op, randomTree(size - 1, next, names, unaryOps));
  if (size === 2) return randomTree(3, next, names, unaryOps);
  const left = 1 + Math.floor(next() * (size - 2));
  const bin = unaryOps.length > 0 ? BINARY : (['+', '-', '*', '/'] as const);
  return binary(
    bin[Math.floor(next() * bin.length)] ?? '+',
    randomTree(left, next, names, unaryOps),
    randomTree(size - 1 - left, next, names, unaryOps),
  );
}

/**
 * Candidate evaluations (evaluate + MSE, the search's abort-on-non-finite mode) per CPU second, one
 * core, over `trees`, interleaved in 3 CPU seconds of rounds.
 */
function rate(ev: ColumnEvaluator, trees: readonly ExprNode[], y: Float64Array): number {
  const n = ev.length;
  // the MSE as the search's objective computes it (objective.ts lossOn: the squared error fused
  // into the evaluation, summed as mseOf does)
  const loss = (t: ExprNode): number => ev.sumSquaredError(t, y) / n;
  for (let w = 0; w < 5; w++) for (const t of trees) loss(t);
  let count = 0;
  // this thread's CPU time (user + system), not the wall clock: on a shared machine the wall clock
  // counts the time other processes hold the core; on an idle one the two agree
  const c0 = process.cpuUsage();
  const cpuSeconds = (): number => {
    const u = process.cpuUsage(c0);
    return (u.user + u.system) / 1e6;
  };
  while (cpuSeconds() < 3) {
    for (const t of trees) loss(t);
    count += trees.length;
  }
  return Math.round(count / cpuSeconds());
}

/**
 * Evaluation speed over 200 random 10-node trees (operators drawn uniformly, 30 % unary at inner
 * nodes, constants in [0.1, 2.1], x and y uniform in [0.1, 5]) on 1,000 rows: all of them (a third
 * are invalid — log/sqrt/^ of negatives — and abort early, as in the search), and the valid ones
 * only (the slower, conservative figure; a search on the SR targets sees about 7–11 % invalid).
 */
function evalsPerSecond(unaryOps: readonly string[]): { all: number; valid: number; invalidFraction: number } {
  const n = 1000;
  const X = sampleBox({ x: [0.1, 5], y: [0.1, 5] }, n, 7);
  const y = X.x as Float64Array;
  const rng = createRng(11);
  const trees = Array.from({ length: 200 }, () => randomTree(10, () => rng.nextFloat(), ['x', 'y'], unaryOps));
  const ev = new ColumnEvaluator(X, n, { abortOnNonFinite: true });
  const out = new Float64Array(n);
  const valid = trees.filter((t) => !Number.isNaN(ev.evaluate(t, out)[0]));
  return {
    all: rate(ev, trees, y),
    valid: rate(ev, valid, y),
    invalidFraction: Number((1 - valid.length / trees.length).toFixed(3)),
  };
}

function evalSpeed(): Record<string, unknown> {
  const mixed = evalsPerSecond(UNARY);
  const arithmetic = evalsPerSecond([]);
  return {
    workload: 'SR-eval',
    wasm,
    clock: 'cpu',
    evalsPerSecond: mixed.all,
    evalsPerSecondValidOnly: mixed.valid,
    invalidFraction: mixed.invalidFraction,
    evalsPerSecondArithmetic: arithmetic.all,
    nodes: 10,
    rows: 1000,
    expressions: 200,
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

if (process.argv.includes('--eval-only')) {
  emit(evalSpeed());
} else {
  for (const noise of noises) {
    let recovered = 0;
    let recoveredOnFront = 0;
    let judged = 0;
    for (const t of targets) {
      // the target's index in the whole list: the same data with --only as in the full run
      const r = await runOne(t, allTargets.indexOf(t), noise);
      recovered += r.recovered ? 1 : 0;
      recoveredOnFront += r.recoveredOnFront ? 1 : 0;
      judged += r.judged ? 1 : 0;
    }
    emit({
      workload: 'SR',
      case: 'summary',
      search,
      noise,
      recovered,
      recoveredOnFront,
      judged,
      total: targets.length,
    });
  }
  if (!process.argv.includes('--no-eval')) emit(evalSpeed());
}

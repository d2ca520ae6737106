// `pnpm bench --workload demo`: the command end to end on its embedded example (`pnpm demo`),
// as a user runs it: wall seconds per stage and in all, the recovered term, its constants against
// the stated truth, and the extrapolation error to twice the time span. With `--repeat 2` (and
// `--workers 0`, the default here) it also checks that report.json is the same byte for byte,
// timings aside. Flags: --budget (default 30), --workers (default 0), --repeat (default 1).
// Runs the app as a child process (nothing here imports from apps/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, flag } from './common.js';
import { extrapolationSums } from './extrapolation.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const budget = flag('budget', '30') as string;
const workers = flag('workers', '0') as string;
const repeat = Number(flag('repeat', '1'));
const reports: string[] = [];
for (let k = 0; k < repeat; k++) {
  const out = mkdtempSync(join(tmpdir(), 'odekit-bench-demo-'));
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, 'apps/demo/bin/odekit-demo.mjs'), '--out', out, '--budget', budget, '--workers', workers, '--json'],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const done = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { cpuSeconds?: number };
  const text = readFileSync(join(out, 'report.json'), 'utf8');
  reports.push(text.replace(/"seconds": [\d.e+-]+/g, '"seconds": 0'));
  const report = JSON.parse(text) as {
    stages: { name: string; seconds: number; loss: number | null; stopReason: string }[];
    discovered: Record<string, { expression: string }>;
    parameters: { final: Record<string, number> };
    predictions: { extrapolation: { trajectory: number; t: number[]; values: Record<string, (number | null)[]> }[] };
  };
  const truth = JSON.parse(readFileSync(join(root, 'apps/demo/scenarios/lotka-volterra/truth.json'), 'utf8')) as {
    parameters: Record<string, number>;
    initial: number[][];
    states: string[];
  };
  // Extrapolation: the final model against the truth (integrated here in float64) on [0, 2 t1].
  const p = truth.parameters as {
    alpha: number;
    beta: number;
    gamma: number;
    delta: number;
    kappa: number;
    mu: number;
  };
  const f = ([r0, c0]: number[]) => {
    const r1 = r0 as number;
    const c1 = c0 as number;
    return [p.alpha * r1 - p.beta * r1 * c1, -p.gamma * c1 + p.delta * r1 * c1 + p.kappa * c1 * c1 - p.mu * c1 ** 3];
  };
  const { se, ss } = extrapolationSums(report.predictions.extrapolation, truth.initial, truth.states, f, 1e-3);
  const fp = report.parameters.final;
  const constErr = (a: number | undefined, b: number) => (a === undefined ? null : Math.abs(Math.abs(a) - b) / b);
  emit({
    workload: 'demo',
    case: `budget ${budget}, workers ${workers}, run ${k + 1}`,
    wallSeconds: Number(wall.toFixed(1)),
    // CPU seconds of the command's process (main thread and search workers): the wall time on an idle machine, roughly, with --workers 0.
    cpuSeconds: done.cpuSeconds === undefined ? null : Number(done.cpuSeconds.toFixed(1)),
    stageSeconds: Object.fromEntries(report.stages.map((s) => [s.name, Number(s.seconds.toFixed(1))])),
    stopReasons: Object.fromEntries(report.stages.map((s) => [s.name, s.stopReason])),
    discovered: Object.fromEntries(Object.entries(report.discovered).map(([n, d]) => [n, d.expression])),
    parameters: fp,
    physicsRelErr: Object.fromEntries(
      ['alpha', 'beta', 'gamma', 'delta'].map((k2) => [k2, constErr(fp[k2], p[k2 as 'alpha'])]),
    ),
    extrapolationRelRms: Number(Math.sqrt(se / ss).toPrecision(3)),
  });
}
if (repeat > 1)
  emit({ workload: 'demo', case: 'determinism', identicalReportJson: reports.every((r) => r === reports[0]) });

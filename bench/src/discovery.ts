// `pnpm bench --workload discovery`: discovery success rates of the command.
// (1) The UDE paper's Lotka–Volterra scenario (Rackauckas et al. 2020): 31 points on [0, 3], the
//     prey's growth and the predator's death known, a network per equation; noise 0.5 %, 1 %, 5 %
//     of each state's mean; success = each network read back as exactly one r*c term with its
//     constant within 5 % of −0.9 and 0.8 after the refit.
// (2) Diffrax's symbolic-regression example: success = both fields recovered as x1/(x1 + 1) and
//     x0/(-x0 - 1) up to algebra (checked numerically on a grid) after the refit.
// (3) Held-out Lotka–Volterra variants (`--scenario variants`, not part of `all`): variant `seed`
//     of apps/demo/src/scenarios/variants.ts (its kind cycles through 8: bilinear, Holling II
//     shared/both/prey, Holling III, Beddington–DeAngelis, logistic prey, cubic predator; 1–5 %
//     noise, 30–100 points); success = every final equation in the truth's family with every
//     constant within 5 % (see discovery-judge.ts); also the extrapolation error to twice the span,
//     and `networksOk`: each network read back as its missing term with its constants within 5 %
//     (the UDE scenario's criterion, the known rates not judged; `networksRate` in the summary).
//     `--family lv` draws the variants from the Lotka–Volterra kinds only (the truth always a·r·c;
//     a network for both equations' interaction terms, the prey's only or the predator's only).
// Flags: --seeds N (default 10), --from S (first seed, default 0), --budget S (default 10),
// --family all|lv|units (variants only; `units`: the lv kinds in other units, populations × 0.1–40
// and time × 0.25–20, as a user's own data come),
// --noise a,b,c, --scenario ude|diffrax|variants|all.
// Data come from the scenarios' generator scripts; the command runs as a child process per case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExpression } from '@odekit/symbolic';
import { emit, flag } from './common.js';
import { judgeEquation, termFamily } from './discovery-judge.js';
import { extrapolationSums } from './extrapolation.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const seeds = Number(flag('seeds', '10'));
const budget = flag('budget', '10') as string;
const noises = (flag('noise', '0.005,0.01,0.05') as string).split(',').map(Number);
const which = flag('scenario', 'all') as string;
const from = Number(flag('from', '0'));
const family = flag('family', 'all') as string;
if (!['all', 'lv', 'units'].includes(family))
  throw new Error(`discovery: --family must be 'all', 'lv' or 'units', got '${family}'.`);
const tsx = ['--import', 'tsx', '--conditions=@odekit/source'];

interface CaseReport {
  discovered: Record<string, { expression: string }>;
  equations: Record<string, string>;
  predictions: { extrapolation: { trajectory: number; t: number[]; values: Record<string, (number | null)[]> }[] };
}

/** The command's found expressions by network (undefined when it failed), its report, its data folder and wall seconds. */
function runCase(
  scenario: string,
  noise: number,
  seed: number,
): { found: Record<string, string> | undefined; report?: CaseReport; dir: string; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), `odekit-discovery-${scenario}-`));
  const gen = spawnSync(
    process.execPath,
    [
      ...tsx,
      join(root, `apps/demo/scenarios/${scenario}/generate.ts`),
      ...(scenario === 'variants' ? ['--family', family] : ['--noise', String(noise)]),
      '--seed',
      String(seed),
      '--out',
      dir,
    ],
    { encoding: 'utf8' },
  );
  if (gen.status !== 0) throw new Error(gen.stderr);
  const out = join(dir, 'out');
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'apps/demo/bin/odekit-demo.mjs'),
      '--model',
      join(dir, 'model.json'),
      '--data',
      join(dir, 'data.csv'),
      '--out',
      out,
      '--seed',
      String(seed),
      '--budget',
      budget,
      '--workers',
      '0',
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const seconds = Math.round((performance.now() - started) / 1000);
  if (r.status !== 0) return { found: undefined, dir, seconds };
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CaseReport;
  return {
    found: Object.fromEntries(Object.entries(report.discovered).map(([n, d]) => [n, d.expression])),
    report,
    dir,
    seconds,
  };
}

/** Exactly one r*c term (any order) with its constant within 5 % of `k`. */
function oneRc(e: string | undefined, k: number): boolean {
  const m = /^(-?[\d.]+(?:e-?\d+)?)\*(?:r\*c|c\*r)$/.exec((e ?? '').replace(/\s/g, ''));
  return m !== null && Math.abs(Number(m[1]) - k) / Math.abs(k) <= 0.05;
}

/** The expression equals `truth` on a grid (relative RMS ≤ 5 %) and is as small as one of its exact forms. */
function sameFunction(e: string | undefined, truth: (a: number, b: number) => number, vars: [string, string]): boolean {
  if (e === undefined || /NN|F\d\(/.test(e)) return false;
  // Exact form: as few nodes as `a*x1/(x1 + b)` or `c/(x0 + d) - 1` (7), allowing 2 more; a
  // polynomial that only approximates the field on the grid has more.
  const nodes = (e.match(/[\d.]+(?:e-?\d+)?|[a-z]\w*|[-+*/^]/g) ?? []).length;
  if (nodes > 9) return false;
  const js = e.replace(/\^/g, '**');
  let fn: (a: number, b: number) => number;
  try {
    fn = new Function(vars[0], vars[1], `return (${js});`) as (a: number, b: number) => number;
  } catch {
    return false;
  }
  let se = 0;
  let ss = 0;
  for (let i = 0; i <= 10; i++)
    for (let j = 0; j <= 10; j++) {
      const a = -0.5 + (1.4 * i) / 10;
      const b = -0.5 + (1.4 * j) / 10;
      se += (fn(a, b) - truth(a, b)) ** 2;
      ss += truth(a, b) ** 2;
    }
  return Number.isFinite(se) && Math.sqrt(se / ss) <= 0.05;
}

if (which === 'all' || which === 'ude') {
  for (const noise of noises) {
    let ok = 0;
    const found: string[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const { found: d, seconds } = runCase('ude-lotka-volterra', noise, seed);
      const success = d !== undefined && oneRc(d.NN1, -0.9) && oneRc(d.NN2, 0.8);
      if (success) ok++;
      found.push(d === undefined ? 'failed' : `${d.NN1} | ${d.NN2}`);
      emit({
        workload: 'discovery',
        scenario: 'ude-lotka-volterra',
        noise,
        seed,
        success,
        found: found[found.length - 1],
        seconds,
      });
    }
    emit({ workload: 'discovery', scenario: 'ude-lotka-volterra', noise, seeds, successRate: ok / seeds });
  }
}
if (which === 'all' || which === 'diffrax') {
  let ok = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const { found: d, seconds } = runCase('diffrax-sr', 0.01, seed);
    const success =
      d !== undefined &&
      sameFunction(d.F0, (_a, b) => b / (1 + b), ['x0', 'x1']) &&
      sameFunction(d.F1, (a) => -a / (1 + a), ['x0', 'x1']);
    if (success) ok++;
    emit({
      workload: 'discovery',
      scenario: 'diffrax-sr',
      noise: 0.01,
      seed,
      success,
      found: d === undefined ? 'failed' : `${d.F0} | ${d.F1}`,
      seconds,
    });
  }
  emit({ workload: 'discovery', scenario: 'diffrax-sr', noise: 0.01, seeds, successRate: ok / seeds });
}

if (which === 'variants') {
  const byKind = new Map<string, { ok: number; n: number }>();
  let okNetworks = 0;
  for (let seed = from; seed < from + seeds; seed++) {
    const { found, report, dir, seconds } = runCase('variants', 0, seed);
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as {
      kind: string;
      equations: Record<string, string>;
      parameters: Record<string, number>;
      missing: Record<string, string>;
      initial: number[][];
      noise: number;
      times: { t1: number; points: number };
    };
    // The box of states to compare on: the data's range, widened by half on each side.
    const rows = readFileSync(join(dir, 'data.csv'), 'utf8').trim().split('\n');
    const head = (rows[0] as string).split(',');
    const box: Record<string, [number, number]> = {};
    for (const s of ['r', 'c']) {
      const j = head.indexOf(s);
      const col = rows.slice(1).map((l) => Number(l.split(',')[j]));
      box[s] = [0.5 * Math.min(...col), 1.5 * Math.max(...col)];
    }
    const judged = Object.fromEntries(
      Object.entries(truth.equations).map(([s, family]) => [
        s,
        judgeEquation({ found: report?.equations[s] ?? 'NN(r)', family, truth: truth.parameters, box }),
      ]),
    );
    const success = report !== undefined && Object.values(judged).every((j) => j.ok);
    // The networks alone, as the UDE scenario is judged: each read back as the term it stands in
    // for, with its constants within 5 % (the known rates not judged).
    const terms = Object.fromEntries(
      Object.entries(truth.missing).map(([name, term]) => [
        name,
        judgeEquation({ found: found?.[name] ?? 'NN(r)', ...termFamily(term), box }),
      ]),
    );
    const networksOk = found !== undefined && Object.values(terms).every((j) => j.ok);
    if (networksOk) okNetworks++;
    const k = byKind.get(truth.kind) ?? { ok: 0, n: 0 };
    byKind.set(truth.kind, { ok: k.ok + (success ? 1 : 0), n: k.n + 1 });
    emit({
      workload: 'discovery',
      scenario: 'variants',
      family,
      kind: truth.kind,
      seed,
      noise: truth.noise,
      points: truth.times.points * truth.initial.length,
      success,
      missing: truth.missing,
      found: found ?? 'failed',
      equations: report?.equations ?? null,
      judged: Object.fromEntries(
        Object.entries(judged).map(([s, j]) => [
          s,
          {
            ok: j.ok,
            residual: Number(j.residual.toPrecision(2)),
            constantError: Number(j.constantError.toPrecision(2)),
            fitted: j.fitted,
          },
        ]),
      ),
      networksOk,
      networkConstantError: Object.fromEntries(
        Object.entries(terms).map(([n, j]) => [n, Number(j.constantError.toPrecision(2))]),
      ),
      extrapolationRelRms: report === undefined ? null : extrapolationError(report, truth),
      seconds,
    });
  }
  let ok = 0;
  for (const v of byKind.values()) ok += v.ok;
  emit({
    workload: 'discovery',
    scenario: 'variants',
    family,
    seeds: `${from}..${from + seeds - 1}`,
    successRate: ok / seeds,
    networksRate: okNetworks / seeds,
    byKind: Object.fromEntries([...byKind].map(([kind, v]) => [kind, `${v.ok}/${v.n}`])),
  });
}

/**
 * Relative RMS of the final model's extrapolation (to twice the span) against the truth from its
 * true starts; null when the final model has no prediction at some of those times (its solve
 * failed there: the report holds nulls), which would otherwise count as no error at all.
 */
function extrapolationError(
  report: CaseReport,
  truth: {
    equations: Record<string, string>;
    parameters: Record<string, number>;
    initial: number[][];
    times: { t1: number };
  },
): number | null {
  const eqs = ['r', 'c'].map((s) => parseExpression(truth.equations[s] as string));
  const consts = Object.fromEntries(Object.entries(truth.parameters).map(([k, v]) => [k, Float64Array.of(v)]));
  const f = (y: number[]) =>
    eqs.map(
      (e) =>
        e.evaluate({ ...consts, r: Float64Array.of(y[0] as number), c: Float64Array.of(y[1] as number) })[0] as number,
    );
  // Steps of 1/2000 of the data's span (5e-3 on a span of 10), whatever the units of time.
  const h = 5e-4 * truth.times.t1;
  const { se, ss, missing } = extrapolationSums(report.predictions.extrapolation, truth.initial, ['r', 'c'], f, h);
  if (missing > 0 || ss === 0) return null;
  return Number(Math.sqrt(se / ss).toPrecision(3));
}

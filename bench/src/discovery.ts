// `pnpm bench --workload discovery`: discovery success rates of the command.
// (1) The UDE paper's Lotka–Volterra scenario (Rackauckas et al. 2020): 31 points on [0, 3], the
//     prey's growth and the predator's death known, a network per equation; noise 0.5 %, 1 %, 5 %
//     of each state's mean; success = each network read back as exactly one r*c term with its
//     constant within 5 % of −0.9 and 0.8 after the refit.
// (2) Diffrax's symbolic-regression example: success = both fields recovered as x1/(x1 + 1) and
//     x0/(-x0 - 1) up to algebra (checked numerically on a grid) after the refit.
// Flags: --seeds N (default 10), --budget S (default 10), --noise a,b,c, --scenario ude|diffrax|all.
// Data come from the scenarios' generator scripts; the command runs as a child process per case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, flag } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const seeds = Number(flag('seeds', '10'));
const budget = flag('budget', '10') as string;
const noises = (flag('noise', '0.005,0.01,0.05') as string).split(',').map(Number);
const which = flag('scenario', 'all') as string;
const tsx = ['--import', 'tsx', '--conditions=@odekit/source'];

/** The command's found expressions by network (undefined when it failed) and its wall seconds. */
function runCase(
  scenario: string,
  noise: number,
  seed: number,
): { found: Record<string, string> | undefined; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), `odekit-discovery-${scenario}-`));
  const gen = spawnSync(
    process.execPath,
    [
      ...tsx,
      join(root, `apps/demo/scenarios/${scenario}/generate.ts`),
      '--noise',
      String(noise),
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
  if (r.status !== 0) return { found: undefined, seconds };
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    discovered: Record<string, { expression: string }>;
  };
  return { found: Object.fromEntries(Object.entries(report.discovered).map(([n, d]) => [n, d.expression])), seconds };
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

// Diffrax's symbolic-regression example (docs: examples/symbolic_regression): a neural ODE learns
// the field dy0/dt = y1/(1 + y1), dy1/dt = −y0/(1 + y0); PySR then reads the network back as
// `x1/(x1 + 1)` and `x0/(-x0 - 1)`. Here: 8 trajectories from starts uniform in [−0.6, 1]²
// (Diffrax's range), 40 points each on [0, 10], noise σ = `--noise` × each state's mean absolute
// value (default 0.01), starts known exactly; the model is a network per equation.
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/diffrax-sr/generate.ts [--noise 0.01 --seed 0 --out DIR]
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '@odekit/core';
import { flag, outDir } from '../lib/args.js';
import { type Rhs, writeScenario } from '../lib/generate.js';

const f: Rhs = (_t, [y0 = 0, y1 = 0]) => [y1 / (1 + y1), -y0 / (1 + y0)];
const seed = Number(flag('seed', '0'));
const u = mulberry32(seed + 1000);
const dir = outDir(import.meta.url);
writeScenario(dir, f, {
  states: ['x0', 'x1'],
  equations: { x0: 'x1/(1 + x1)', x1: '-x0/(1 + x0)' },
  missing: { F0: 'x1/(x1 + 1)', F1: 'x0/(-x0 - 1)' },
  parameters: {},
  initial: Array.from({ length: 8 }, () => [-0.6 + 1.6 * u(), -0.6 + 1.6 * u()]),
  times: { t0: 0, t1: 10, points: 40 },
  noise: Number(flag('noise', '0.01')),
  exactStart: true,
  seed,
});
const model = {
  states: ['x0', 'x1'],
  equations: { x0: 'F0(x0, x1)', x1: 'F1(x0, x1)' },
  initial: { x0: 'data', x1: 'data' },
  networks: {
    F0: { width: 8, depth: 1, activation: 'tanh' },
    F1: { width: 8, depth: 1, activation: 'tanh' },
  },
};
writeFileSync(new URL('model.json', dir), `${JSON.stringify(model, null, 2)}\n`);

// A saturating predator (Holling type II): a cat eats fewer rabbits each when rabbits abound
// (handling time). The model knows logistic prey growth but leaves the functional response to one
// network F(r, c), shared by both equations:
//   dr/dt = r − 0.2 r² − F,  dc/dt = −0.6 c + 0.5 F,  F = r c/(1 + 0.5 r)     (F's truth)
// Two trajectories, 60 points each on [0, 15], noise 2 % of each state's mean, starts known.
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/saturating-predator/generate.ts [--noise 0.02 --seed 5 --out DIR]
import { writeFileSync } from 'node:fs';
import { flag, outDir } from '../lib/args.js';
import { type Rhs, writeScenario } from '../lib/generate.js';

const F = (r: number, c: number) => (r * c) / (1 + 0.5 * r);
const f: Rhs = (_t, [r = 0, c = 0]) => [r - 0.2 * r * r - F(r, c), -0.6 * c + 0.5 * F(r, c)];
const dir = outDir(import.meta.url);
writeScenario(dir, f, {
  states: ['r', 'c'],
  equations: { r: 'alpha*r - kappa*r^2 - F', c: '-gamma*c + delta*F' },
  missing: { F: 'r*c/(1 + 0.5*r)' },
  parameters: { alpha: 1, kappa: 0.2, gamma: 0.6, delta: 0.5 },
  initial: [
    [1, 1],
    [3, 2],
  ],
  times: { t0: 0, t1: 15, points: 60 },
  noise: Number(flag('noise', '0.02')),
  exactStart: true,
  seed: Number(flag('seed', '5')),
});
const model = {
  states: ['r', 'c'],
  parameters: { alpha: 1, kappa: 0.1, gamma: 1, delta: 1 },
  equations: { r: 'alpha*r - kappa*r^2 - F(r, c)', c: '-gamma*c + delta*F(r, c)' },
  initial: { r: 'data', c: 'data' },
  networks: { F: { width: 8, depth: 1, activation: 'tanh' } },
};
writeFileSync(new URL('model.json', dir), `${JSON.stringify(model, null, 2)}\n`);

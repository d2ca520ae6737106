// Logistic prey: the rabbits' growth levels off (carrying capacity K = 3), which the
// Lotka–Volterra model does not know; a network in the rabbits' equation stands in for it:
//   dr/dt = 1.2 r (1 − r/3) − 0.8 r c = 1.2 r − 0.8 r c − 0.4 r²     (NN's truth: −0.4 r²)
//   dc/dt = −0.9 c + 0.7 r c
// Two trajectories, 60 points each on [0, 12], noise 2 % of each state's mean, starts known.
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/logistic-prey/generate.ts [--noise 0.02 --seed 4 --out DIR]
import { writeFileSync } from 'node:fs';
import { flag, outDir } from '../lib/args.js';
import { type Rhs, writeScenario } from '../lib/generate.js';

const f: Rhs = (_t, [r = 0, c = 0]) => [1.2 * r * (1 - r / 3) - 0.8 * r * c, -0.9 * c + 0.7 * r * c];
const dir = outDir(import.meta.url);
writeScenario(dir, f, {
  states: ['r', 'c'],
  equations: { r: 'alpha*r*(1 - r/K) - beta*r*c', c: '-gamma*c + delta*r*c' },
  missing: { NN: '-0.4*r^2' },
  parameters: { alpha: 1.2, K: 3, beta: 0.8, gamma: 0.9, delta: 0.7 },
  initial: [
    [0.5, 1],
    [2.5, 0.4],
  ],
  times: { t0: 0, t1: 12, points: 60 },
  noise: Number(flag('noise', '0.02')),
  exactStart: true,
  seed: Number(flag('seed', '4')),
});
const model = {
  states: ['r', 'c'],
  parameters: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
  equations: { r: 'alpha*r - beta*r*c + NN(r, c)', c: '-gamma*c + delta*r*c' },
  initial: { r: 'data', c: 'data' },
  networks: { NN: { width: 8, depth: 1, activation: 'tanh' } },
};
writeFileSync(new URL('model.json', dir), `${JSON.stringify(model, null, 2)}\n`);

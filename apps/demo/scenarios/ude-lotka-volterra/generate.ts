// The UDE paper's Lotka–Volterra scenario (Rackauckas et al. 2020, "Universal Differential
// Equations for Scientific Machine Learning", arXiv:2001.04385, section 2.1): p = [1.3, 0.9, 0.8,
// 1.8], u0 = [0.44249296, 4.6280594], 31 points on [0, 3]; the prey's growth (1.3 r) and the
// predator's death (−1.8 c) known, a network for the unknown part of each equation:
//   dr/dt = 1.3 r − 0.9 r c      (NN1's truth: −0.9 r c)
//   dc/dt = 0.8 r c − 1.8 c      (NN2's truth:  0.8 r c)
// Noise: σ = `--noise` × each state's mean (default 0.01); the start u0 is known exactly.
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/ude-lotka-volterra/generate.ts [--noise 0.05 --seed 2 --out DIR]
import { writeFileSync } from 'node:fs';
import { flag, outDir } from '../lib/args.js';
import { type Rhs, writeScenario } from '../lib/generate.js';

const f: Rhs = (_t, [r = 0, c = 0]) => [1.3 * r - 0.9 * r * c, 0.8 * r * c - 1.8 * c];
const dir = outDir(import.meta.url);
writeScenario(dir, f, {
  states: ['r', 'c'],
  equations: { r: '1.3*r - 0.9*r*c', c: '0.8*r*c - 1.8*c' },
  missing: { NN1: '-0.9*r*c', NN2: '0.8*r*c' },
  parameters: { alpha: 1.3, beta: 0.9, gamma: 0.8, delta: 1.8 },
  initial: [[0.44249296, 4.6280594]],
  times: { t0: 0, t1: 3, points: 31 },
  noise: Number(flag('noise', '0.01')),
  exactStart: true,
  seed: Number(flag('seed', '0')),
});
const model = {
  states: ['r', 'c'],
  equations: { r: '1.3*r + NN1(r, c)', c: '-1.8*c + NN2(r, c)' },
  initial: { r: 'data', c: 'data' },
  networks: {
    NN1: { width: 8, depth: 1, activation: 'tanh' },
    NN2: { width: 8, depth: 1, activation: 'tanh' },
  },
};
writeFileSync(new URL('model.json', dir), `${JSON.stringify(model, null, 2)}\n`);

// The embedded dataset of `pnpm demo`: rabbits r and cats c. The known physics (Lotka–Volterra)
// is right; the cats also help each other at moderate numbers and crowd each other out at high
// ones, a term the model does not know and leaves to the network NN(r, c):
//   dr/dt = 1.3 r − 0.9 r c
//   dc/dt = −0.8 c + 0.6 r c + 0.3 c² − 0.1 c³        (NN's truth: 0.3 c² − 0.1 c³)
// The missing term is far from the known terms c and r c on the visited states (its least-squares
// projection on them leaves ~100 % of its variance), so the physics fit does not absorb it.
// Three trajectories, 80 points each on [0, 10], noise 2 % of each state's mean; the initial
// numbers (t = 0) are known exactly (the animals released), so the model starts from the data.
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/lotka-volterra/generate.ts
import { type Rhs, writeScenario } from '../lib/generate.js';

const p = { alpha: 1.3, beta: 0.9, gamma: 0.8, delta: 0.6, kappa: 0.3, mu: 0.1 };
const f: Rhs = (_t, [r = 0, c = 0]) => [
  p.alpha * r - p.beta * r * c,
  -p.gamma * c + p.delta * r * c + p.kappa * c * c - p.mu * c * c * c,
];
writeScenario(new URL('./', import.meta.url), f, {
  states: ['r', 'c'],
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c + kappa*c^2 - mu*c^3' },
  missing: { NN: '0.3*c^2 - 0.1*c^3' },
  parameters: p,
  initial: [
    [1, 0.5],
    [2.5, 0.8],
    [0.6, 1.8],
  ],
  times: { t0: 0, t1: 10, points: 80 },
  noise: 0.02,
  exactStart: true,
  seed: 1,
});

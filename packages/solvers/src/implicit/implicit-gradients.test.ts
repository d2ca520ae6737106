import { valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from '../adjoint.js';
import { backsolveAdjoint } from '../backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from '../checkpoint-adjoint.js';
import { constantStepSize, pidController, type StepSizeController } from '../controllers.js';
import { diffeqsolve } from '../diffeqsolve.js';
import { saveAt } from '../save-at.js';
import type { AbstractSolver } from '../solver.js';
import { implicitEuler, kvaerno3, kvaerno5, rodas4, rodas5p } from './implicit-solvers.js';
import { radau5 } from './radau.js';
import { StartStates } from './start-states.js';

/** Robertson's kinetics with its three rates as trainable args (log-rates, so gradients are relative sensitivities). */
const robertson = (_t: number, y: tf.Tensor, a: { logk: tf.Tensor }) =>
  tf.tidy(() => {
    const [k1, k2, k3] = tf.unstack(tf.exp(a.logk)) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [y1, y2, y3] = tf.unstack(y, y.rank - 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const r1 = tf.mul(k1, y1);
    const r2 = tf.mul(k2, tf.mul(y2, y3));
    const r3 = tf.mul(k3, tf.square(y2));
    return tf.stack([tf.sub(r2, r1), tf.sub(tf.sub(r1, r2), r3), r3], y.rank - 1);
  });
const LOGK = [Math.log(0.04), Math.log(1e4), Math.log(3e7)];
const weights = tf.tensor1d([1, 1e4, 1]);

function loss(logk: tf.Tensor, solver: AbstractSolver, controller: StepSizeController, adjoint?: Adjoint): tf.Scalar {
  const sol = diffeqsolve({
    term: robertson,
    solver,
    t0: 0,
    t1: 2,
    dt0: 0.05,
    // on the slow manifold: a constant step's simplified Newton (Jacobian at the step's start)
    // cannot follow the initial transient from (1, 0, 0), where the quadratic term's Jacobian is 0
    y0: tf.tensor1d([0.99, 3e-5, 0.00997]),
    args: { logk },
    saveat: saveAt({ ts: [0.5, 1, 2] }),
    stepsizeController: controller,
    ...(adjoint ? { adjoint } : {}),
  });
  const out = tf.sum(tf.mul(sol.ys as tf.Tensor, weights)) as tf.Scalar;
  sol.dispose();
  return out;
}

function gradOf(solver: AbstractSolver, controller: StepSizeController, adjoint: Adjoint): number[] {
  const { value, grads } = valueAndGrad((p: { logk: tf.Tensor }) => loss(p.logk, solver, controller, adjoint))({
    logk: tf.tensor1d(LOGK),
  });
  const g = Array.from(grads.logk.dataSync());
  tf.dispose([value, grads.logk]);
  return g;
}

function fdGrad(solver: AbstractSolver, controller: StepSizeController, d = 1e-2): number[] {
  return LOGK.map((_, i) => {
    const at = (s: number) => {
      const k = tf.tensor1d(LOGK.map((v, j) => (j === i ? v + s * d : v)));
      const l = loss(k, solver, controller);
      const v = l.dataSync()[0] as number;
      tf.dispose([k, l]);
      return v;
    };
    return (at(1) - at(-1)) / (2 * d);
  });
}

const relErr = (a: number[], b: number[]) => {
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)))) / scale;
};

describe('gradients through implicit steps (implicit function theorem), Robertson with its rates as args', () => {
  const fixed = constantStepSize();
  for (const [name, make] of [
    ['kvaerno5', kvaerno5],
    ['kvaerno3', kvaerno3],
    ['implicitEuler', implicitEuler],
    ['radau5', radau5],
  ] as const) {
    it(`${name}, constant steps: the direct and checkpointed adjoints equal central finite differences of the discrete solution (≤ 2e-3)`, () => {
      const solver = make();
      const fd = fdGrad(solver, fixed);
      const g = gradOf(solver, fixed, directAdjoint());
      expect(relErr(g, fd), `direct ${g} vs FD ${fd}`).toBeLessThan(2e-3);
      const c = gradOf(solver, fixed, recursiveCheckpointAdjoint());
      expect(relErr(c, fd), `checkpointed ${c} vs FD ${fd}`).toBeLessThan(2e-3);
    });
  }

  it('kvaerno5, adaptive steps: direct and recursive-checkpoint adjoints agree (≤ 2e-3) and match finite differences (≤ 5e-3)', () => {
    const solver = kvaerno5();
    const pid = pidController({ rtol: 1e-6, atol: 1e-10 });
    const direct = gradOf(solver, pid, directAdjoint());
    const checkpoint = gradOf(solver, pid, recursiveCheckpointAdjoint());
    // two implementations of the same IFT gradient: the tape (direct) and the host backward pass
    expect(relErr(checkpoint, direct), `checkpointed ${checkpoint} vs direct ${direct}`).toBeLessThan(2e-3);
    // FD of adaptive solves: the steps move with the parameters, so the bar is looser
    const fd = fdGrad(solver, pid, 2e-2);
    expect(relErr(direct, fd), `direct ${direct} vs FD ${fd}`).toBeLessThan(5e-3);
  });

  it('radau5, adaptive steps: direct (tape) and recursive-checkpoint (host backward pass) adjoints agree (≤ 2e-3) and match finite differences (≤ 5e-3)', () => {
    const solver = radau5();
    const pid = pidController({ rtol: 1e-6, atol: 1e-10 });
    const direct = gradOf(solver, pid, directAdjoint());
    const checkpoint = gradOf(solver, pid, recursiveCheckpointAdjoint());
    expect(relErr(checkpoint, direct), `checkpointed ${checkpoint} vs direct ${direct}`).toBeLessThan(2e-3);
    const fd = fdGrad(solver, pid, 2e-2);
    expect(relErr(direct, fd), `direct ${direct} vs FD ${fd}`).toBeLessThan(5e-3);
    expect(relErr(checkpoint, fd), `checkpointed ${checkpoint} vs FD ${fd}`).toBeLessThan(5e-3);
  });

  it('rodas4, adaptive steps: the checkpointed adjoint (host backward pass, a transposed solve per stage) agrees with the tape (≤ 2e-2) and finite differences (≤ 5e-2)', () => {
    // Both passes hold each step's Jacobian constant (rodas4's gradient is exact only to the
    // method's order; measured at rtol 1e-5: host pass 2.3e-2 and tape 1.0e-2 from central
    // differences, 1.2e-2 apart; the host pass takes its Jacobians by differences, the tape by VJPs)
    const solver = rodas4();
    const pid = pidController({ rtol: 1e-5, atol: 1e-9 });
    const checkpoint = gradOf(solver, pid, recursiveCheckpointAdjoint());
    const direct = gradOf(solver, pid, directAdjoint());
    expect(relErr(checkpoint, direct), `checkpointed ${checkpoint} vs direct ${direct}`).toBeLessThan(2e-2);
    const fd = fdGrad(solver, pid, 2e-2);
    expect(relErr(checkpoint, fd), `checkpointed ${checkpoint} vs FD ${fd}`).toBeLessThan(5e-2);
  });

  it('rodas5p, adaptive steps: the checkpointed adjoint (three dense rows in the host backward pass) agrees with the tape (≤ 2e-2) and finite differences (≤ 5e-2)', () => {
    const solver = rodas5p();
    const pid = pidController({ rtol: 1e-5, atol: 1e-9 });
    const checkpoint = gradOf(solver, pid, recursiveCheckpointAdjoint());
    const direct = gradOf(solver, pid, directAdjoint());
    expect(relErr(checkpoint, direct), `checkpointed ${checkpoint} vs direct ${direct}`).toBeLessThan(2e-2);
    const fd = fdGrad(solver, pid, 2e-2);
    expect(relErr(checkpoint, fd), `checkpointed ${checkpoint} vs FD ${fd}`).toBeLessThan(5e-2);
  });

  it('under the checkpointed adjoint a plain tfjs field takes the steps it takes without a tape (Jacobians by differences in the customGrad forward)', () => {
    const pid = pidController({ rtol: 1e-5, atol: 1e-9 });
    for (const solver of [rodas4(), kvaerno5({ jacobian: 'vjp' })]) {
      const solve = (logk: tf.Tensor) =>
        diffeqsolve({
          term: robertson,
          solver,
          t0: 0,
          t1: 2,
          y0: tf.tensor1d([0.99, 3e-5, 0.00997]),
          args: { logk },
          stepsizeController: pid,
          adjoint: recursiveCheckpointAdjoint(),
        });
      const plain = solve(tf.tensor1d(LOGK));
      const steps = plain.stats.numSteps;
      plain.dispose();
      let taped = 0;
      const { value, grads } = valueAndGrad((p: { logk: tf.Tensor }) => {
        const sol = solve(p.logk);
        taped = sol.stats.numSteps;
        const l = tf.sum(sol.ys as tf.Tensor) as tf.Scalar;
        sol.dispose();
        return l;
      })({ logk: tf.tensor1d(LOGK) });
      tf.dispose([value, grads.logk]);
      // (a taped VJP inside customGrad's forward returned zeros: rodas4 took 3186 steps, not ~20)
      expect(taped, solver.name).toBeLessThanOrEqual(1.5 * steps);
    }
  });

  it('recursiveCheckpointAdjoint({ checkpoints }) keeps fewer start states, recomputes the rest, and gives the same gradients (kvaerno5, rodas4)', () => {
    const pid = pidController({ rtol: 1e-5, atol: 1e-9 });
    for (const solver of [kvaerno5(), rodas4()]) {
      const all = gradOf(solver, pid, recursiveCheckpointAdjoint());
      const few = gradOf(solver, pid, recursiveCheckpointAdjoint({ checkpoints: 3 }));
      // replayed states differ from the forward pass's by the Newton tolerance at most
      expect(relErr(few, all), `${solver.name}: ${few} vs ${all}`).toBeLessThan(1e-5);
    }
    // the store itself: at most `capacity` states at a doubling stride, segments replayed in reverse
    const store = new StartStates(3);
    for (let k = 0; k < 10; k++) store.push(Float64Array.from([k]));
    expect(store.held).toBeLessThanOrEqual(3);
    const steps = Array.from({ length: 10 }, (_, k) => ({ t0: k, h: 1 }));
    const visited: [number, number][] = [];
    let replays = 0;
    store.backward(
      steps,
      (_t0, _h, y) => {
        replays++;
        return Float64Array.from([(y[0] as number) + 1]);
      },
      (k, y0) => visited.push([k, y0[0] as number]),
    );
    expect(visited).toEqual(Array.from({ length: 10 }, (_, i) => [9 - i, 9 - i]));
    expect(replays).toBe(10 - 3);
  });

  it('backsolveAdjoint runs kvaerno5 backwards on a mildly stiff problem and agrees with the direct adjoint (≤ 1e-3)', () => {
    // (on Robertson the backward reconstruction of y is ill-posed — its fast decaying modes grow
    // backwards in time — and the backward solve stops at dt_min: use the other adjoints there)
    const field = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), tf.sub(y, tf.sin(y)));
    const solveLoss = (k: tf.Tensor, adjoint: Adjoint) => {
      const sol = diffeqsolve({
        term: field,
        solver: kvaerno5(),
        t0: 0,
        t1: 1,
        y0: tf.tensor1d([1, 2]),
        args: { k },
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
        adjoint,
      });
      const l = tf.sum(sol.ys as tf.Tensor) as tf.Scalar;
      sol.dispose();
      return l;
    };
    const grad = (adjoint: Adjoint) => {
      const { value, grads } = valueAndGrad((p: { k: tf.Tensor }) => solveLoss(p.k, adjoint))({ k: tf.scalar(20) });
      const g = grads.k.dataSync()[0] as number;
      tf.dispose([value, grads.k]);
      return g;
    };
    const direct = grad(directAdjoint());
    const back = grad(backsolveAdjoint());
    expect(Math.abs(back - direct) / Math.abs(direct), `backsolve ${back} vs direct ${direct}`).toBeLessThan(1e-3);
  });
});

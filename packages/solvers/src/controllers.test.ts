import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constantStepSize, pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

describe('pidController.adapt', () => {
  const c = pidController({ rtol: 1e-6, atol: 1e-6 });
  const s0 = c.initialState();

  it('accepts errors ≤ 1 and grows by safety·err^(−1/q), clipped to factormax', () => {
    const r = c.adapt(0.1, 0.5, 5, s0);
    expect(r.accept).toBe(true);
    expect(r.dtNext).toBeCloseTo(0.1 * 0.9 * 0.5 ** (-1 / 5), 12);
    expect(c.adapt(0.1, 1e-12, 5, s0).dtNext).toBeCloseTo(1, 12); // factormax = 10
    expect(c.adapt(0.1, 0, 5, s0).dtNext).toBeCloseTo(1, 12);
  });

  it('rejects errors > 1 and shrinks, at most by factormin', () => {
    const r = c.adapt(0.1, 2, 5, s0);
    expect(r.accept).toBe(false);
    expect(r.dtNext).toBeCloseTo(0.1 * 0.9 * 2 ** (-1 / 5), 12);
    expect(c.adapt(0.1, 1e9, 5, s0).dtNext).toBeCloseTo(0.02, 12);
  });

  it('rejects non-finite errors with factormin', () => {
    for (const e of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = c.adapt(0.1, e, 5, s0);
      expect(r.accept).toBe(false);
      expect(r.dtNext).toBeCloseTo(0.02, 12);
    }
  });

  it('lets an accepted step shrink the next one, and does not grow right after a rejection', () => {
    const near = c.adapt(0.1, 0.95, 5, s0);
    expect(near.accept).toBe(true);
    expect(near.dtNext).toBeLessThan(0.1);
    const rej = c.adapt(0.1, 3, 5, s0);
    const after = c.adapt(rej.dtNext, 1e-3, 5, rej.state);
    expect(after.accept).toBe(true);
    expect(after.dtNext).toBe(rej.dtNext);
    // and grows again on the step after that
    expect(c.adapt(after.dtNext, 1e-3, 5, after.state).dtNext).toBeGreaterThan(after.dtNext);
  });

  it('uses the previous errors in the P and D terms (Diffrax β coefficients)', () => {
    const pid = pidController({ pcoeff: 0.4, icoeff: 0.3, dcoeff: 0.1 });
    const a = pid.adapt(0.1, 0.5, 5, pid.initialState());
    const b = pid.adapt(0.1, 0.5, 5, a.state);
    const b1 = (0.4 + 0.3 + 0.1) / 5;
    const b2 = -(0.4 + 0.2) / 5;
    const b3 = 0.1 / 5;
    expect(a.dtNext).toBeCloseTo(0.1 * 0.9 * 2 ** b1, 12);
    expect(b.dtNext).toBeCloseTo(0.1 * 0.9 * 2 ** b1 * 2 ** b2 * 1 ** b3, 12);
    const d = pid.adapt(0.1, 0.5, 5, b.state);
    expect(d.dtNext).toBeCloseTo(0.1 * 0.9 * 2 ** b1 * 2 ** b2 * 2 ** b3, 12);
  });

  it('clamps to dtmax and dtmin, and fails at dtmin when still rejected', () => {
    const lim = pidController({ dtmin: 0.01, dtmax: 0.2 });
    expect(lim.adapt(0.1, 1e-9, 5, lim.initialState()).dtNext).toBe(0.2);
    expect(lim.adapt(0.011, 1e6, 5, lim.initialState()).dtNext).toBe(0.01);
    const fail = lim.adapt(0.01, 2, 5, lim.initialState());
    expect(fail.accept).toBe(false);
    expect(fail.failure).toBe('dt_min_reached');
  });

  it('constantStepSize keeps dt and accepts every finite step', () => {
    const k = constantStepSize();
    expect(k.adaptive).toBe(false);
    expect(k.adapt(0.1, 0, 1, k.initialState())).toMatchObject({ accept: true, dtNext: 0.1 });
    expect(k.adapt(0.1, Number.POSITIVE_INFINITY, 1, k.initialState()).accept).toBe(false);
  });
});

describe('stepTs and jumpTs', () => {
  it('lands steps exactly on stepTs (in either direction)', () => {
    const stepTs = [0.3, 0.77, 1.5, 2.2];
    const f = (_t: number, y: tf.Tensor) => tf.neg(y);
    const fwd = diffeqsolve({
      term: f,
      solver: tsit5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([1]),
      saveat: saveAt({ steps: true }),
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6, stepTs: [2.2, 0.3, 1.5, 0.77, 5] }),
    });
    for (const t of stepTs) expect(fwd.ts).toContain(t);
    expect(fwd.ys).toBeAllclose(
      fwd.ts.map((t) => [Math.exp(-t)]),
      { atol: 1e-4, rtol: 0 },
    );
    fwd.dispose();
    const back = diffeqsolve({
      term: f,
      solver: tsit5(),
      t0: 3,
      t1: 0,
      y0: tf.tensor1d([1]),
      saveat: saveAt({ steps: true }),
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6, stepTs }),
    });
    for (const t of stepTs) expect(back.ts).toContain(t);
    back.dispose();
  });

  it('lands on jumpTs and resolves a discontinuous field', () => {
    // y′ = 1 before t = 1.234 and −2 after: y = t, then 1.234 − 2(t − 1.234)
    const tj = 1.234;
    const f = (t: number, y: tf.Tensor) => tf.fill(y.shape, t < tj ? 1 : -2);
    const exact = (t: number) => (t < tj ? t : tj - 2 * (t - tj));
    const solve = (jumpTs: number[]) =>
      diffeqsolve({
        term: f,
        solver: dopri5(),
        t0: 0,
        t1: 3,
        y0: tf.tensor1d([0]),
        saveat: saveAt({ steps: true, ts: [1, 2, 3] }),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6, jumpTs }),
      });
    const withJump = solve([tj]);
    const without = solve([]);
    // the step before the jump ends at prevbefore(tj) and the next starts just after it (as
    // Diffrax does), so no stage evaluates the field on the far side of the jump
    expect(withJump.ts.some((t) => t < tj && tj - t <= 1e-12)).toBe(true);
    expect(without.ts.some((t) => Math.abs(t - tj) <= 1e-12)).toBe(false);
    expect(withJump.stats.numRejectedSteps).toBeLessThan(without.stats.numRejectedSteps);
    expect(withJump.ys).toBeAllclose(
      withJump.ts.map((t) => [exact(t)]),
      { atol: 1e-5, rtol: 0 },
    );
    const early = withJump.ts.filter((t) => t < 1.2).length;
    const head = (withJump.ys as tf.Tensor).slice(0, early);
    expect(head).toBeAllclose(
      withJump.ts.slice(0, early).map((t) => [exact(t)]),
      { atol: 1e-6, rtol: 0 },
    );
    head.dispose();
    withJump.dispose();
    without.dispose();
  });
});

describe('progress', () => {
  for (const [t0, t1] of [
    [0, 2],
    [2, -1],
  ] as const) {
    it(`reports increasing fractions ending at 1 (t0 = ${t0}, t1 = ${t1})`, () => {
      const seen: { t: number; fraction: number; numSteps: number }[] = [];
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor) => tf.neg(y),
        solver: rk4(),
        t0,
        t1,
        dt0: (t1 - t0) / 10,
        y0: tf.tensor1d([1]),
        progress: (p) => seen.push(p),
      });
      expect(seen.length).toBe(sol.stats.numAcceptedSteps);
      expect(seen.length).toBeGreaterThanOrEqual(10);
      for (let i = 1; i < seen.length; i++) {
        expect((seen[i] as { fraction: number }).fraction).toBeGreaterThan(
          (seen[i - 1] as { fraction: number }).fraction,
        );
        expect((seen[i] as { numSteps: number }).numSteps).toBeGreaterThan(
          (seen[i - 1] as { numSteps: number }).numSteps,
        );
      }
      expect(seen[0]?.fraction).toBeGreaterThan(0);
      expect(seen[seen.length - 1]?.fraction).toBe(1);
      expect(seen[seen.length - 1]?.t).toBe(t1);
      sol.dispose();
    });
  }
});

describe("pidController({ predictive: true }) (Gustafsson's rule, Hairer & Wanner IV.8)", () => {
  it('after an accepted step, a rising error caps the next step below the integral rule', () => {
    const plain = pidController({ rtol: 1e-6, atol: 1e-6 });
    const pred = pidController({ rtol: 1e-6, atol: 1e-6, predictive: true });
    const q = 4;
    // first step: no history, both rules agree
    const a1 = plain.adapt(1, 0.1, q, plain.initialState());
    const b1 = pred.adapt(1, 0.1, q, pred.initialState());
    expect(b1.dtNext).toBeCloseTo(a1.dtNext, 12);
    // second step, same size, error up from 0.1 to 0.5: h·0.9·(h/h_prev)·(0.1/0.25)^(1/4)
    const a2 = plain.adapt(1, 0.5, q, a1.state);
    const b2 = pred.adapt(1, 0.5, q, b1.state);
    expect(a2.dtNext).toBeCloseTo(0.9 * 0.5 ** -0.25, 12);
    expect(b2.dtNext).toBeCloseTo(0.9 * (0.1 / 0.25) ** 0.25, 12);
    expect(b2.dtNext).toBeLessThan(a2.dtNext);
    // a falling error: the integral rule is the smaller one and is kept
    const b3 = pred.adapt(1, 0.05, q, b2.state);
    expect(b3.dtNext).toBeCloseTo(Math.min(10, 0.9 * 0.05 ** -0.25), 12);
    expect(() => pidController({ predictive: 'yes' as unknown as boolean })).toThrow(/predictive/);
  });
});

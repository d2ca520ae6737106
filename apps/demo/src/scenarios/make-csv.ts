// Sampling a stated truth into a noisy CSV (pure, browser-safe): classic RK4 in float64 with a fine
// fixed step, a grid of times, seeded Gaussian noise. The scenarios' generator scripts
// (scenarios/lib/generate.ts) write their files with it; tests build their data with it.
import { mulberry32 } from '@odekit/core';

/** A right-hand side in float64: dy/dt = f(t, y). */
export type Rhs = (t: number, y: readonly number[]) => number[];

/** What a generator states about its data. */
export interface Truth {
  /** The states and their true right-hand sides as text (for readers; the rhs function is the truth). */
  readonly states: readonly string[];
  readonly equations: Readonly<Record<string, string>>;
  /** The term a network stands in for in model.json, by network name, as text. */
  readonly missing: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, number>>;
  readonly initial: readonly (readonly number[])[];
  readonly times: { readonly t0: number; readonly t1: number; readonly points: number };
  /** Noise standard deviation as a fraction of each state's mean over the data. */
  readonly noise: number;
  /** Leave the first row of each trajectory without noise (the initial numbers are known, e.g. released). */
  readonly exactStart?: boolean;
  readonly seed: number;
}

/** Classic RK4 from t0 to each of `ts` with at most `h` per step. Returns [ts.length][dim]. */
export function integrate(f: Rhs, y0: readonly number[], ts: readonly number[], h = 1e-3): number[][] {
  let y = [...y0];
  let t = ts[0] as number;
  const out: number[][] = [];
  for (const target of ts) {
    while (t < target - 1e-12) {
      const dt = Math.min(h, target - t);
      const k1 = f(t, y);
      const k2 = f(
        t + dt / 2,
        y.map((v, i) => v + (dt / 2) * (k1[i] as number)),
      );
      const k3 = f(
        t + dt / 2,
        y.map((v, i) => v + (dt / 2) * (k2[i] as number)),
      );
      const k4 = f(
        t + dt,
        y.map((v, i) => v + dt * (k3[i] as number)),
      );
      y = y.map(
        (v, i) =>
          v + (dt / 6) * ((k1[i] as number) + 2 * (k2[i] as number) + 2 * (k3[i] as number) + (k4[i] as number)),
      );
      t += dt;
    }
    out.push([...y]);
  }
  return out;
}

/** Standard normal draws from a seeded Mulberry32 stream (Box–Muller). */
export function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Evenly spaced times t0..t1, `points` of them. */
export function grid(t0: number, t1: number, points: number): number[] {
  return Array.from({ length: points }, (_, i) => t0 + ((t1 - t0) * i) / (points - 1));
}

/**
 * Noisy samples of the truth as CSV text: `trajectory,t,<states...>`, noise σ = `noise` × the
 * state's mean absolute value over all trajectories (its mean for positive states), values with 5
 * significant digits.
 */
export function makeCsv(f: Rhs, truth: Truth): string {
  const ts = grid(truth.times.t0, truth.times.t1, truth.times.points);
  const clean = truth.initial.map((y0) => integrate(f, y0, ts));
  const dim = truth.states.length;
  const means = Array.from({ length: dim }, (_, j) => {
    let s = 0;
    let n = 0;
    for (const traj of clean)
      for (const row of traj) {
        s += Math.abs(row[j] as number);
        n++;
      }
    return s / n;
  });
  const normal = gaussian(truth.seed);
  const lines = [['trajectory', 't', ...truth.states].join(',')];
  clean.forEach((traj, k) => {
    traj.forEach((row, i) => {
      const noisy = row.map((v, j) => {
        const e = truth.noise * Math.abs(means[j] as number) * normal();
        return i === 0 && truth.exactStart ? v : v + e;
      });
      lines.push(
        [k, Number((ts[i] as number).toPrecision(6)), ...noisy.map((v) => Number(v.toPrecision(5)))].join(','),
      );
    });
  });
  return `${lines.join('\n')}\n`;
}

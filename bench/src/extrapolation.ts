// The final model's extrapolation against the truth, for the demo and discovery workloads: the
// truth integrated here in float64 by classical RK4 from its true starts to the report's times.

/** One trajectory of a report's `predictions.extrapolation` (null where the model did not solve). */
export interface ExtrapolationTrack {
  readonly trajectory: number;
  readonly t: readonly number[];
  readonly values: Record<string, readonly (number | null)[]>;
}

/** Sums of the squared error and of the squared truth over every predicted value, and the values missing. */
export interface ExtrapolationSums {
  readonly se: number;
  readonly ss: number;
  readonly missing: number;
}

/**
 * Compares `tracks` with the truth `f` (a field of the states in `states` order) integrated by
 * RK4 with steps of at most `h` from `initial[track.trajectory]` at t = 0.
 */
export function extrapolationSums(
  tracks: readonly ExtrapolationTrack[],
  initial: readonly (readonly number[])[],
  states: readonly string[],
  f: (y: number[]) => number[],
  h: number,
): ExtrapolationSums {
  let se = 0;
  let ss = 0;
  let missing = 0;
  const axpy = (y: number[], a: number, k: number[]) => y.map((v, j) => v + a * (k[j] as number));
  for (const tr of tracks) {
    let y = [...(initial[tr.trajectory] as number[])];
    let t = 0;
    tr.t.forEach((target, i) => {
      while (t < target - 1e-12) {
        const dt = Math.min(h, target - t);
        const k1 = f(y);
        const k2 = f(axpy(y, dt / 2, k1));
        const k3 = f(axpy(y, dt / 2, k2));
        const k4 = f(axpy(y, dt, k3));
        y = y.map(
          (v, j) =>
            v + (dt / 6) * ((k1[j] as number) + 2 * (k2[j] as number) + 2 * (k3[j] as number) + (k4[j] as number)),
        );
        t += dt;
      }
      states.forEach((s, j) => {
        const pred = tr.values[s]?.[i];
        if (typeof pred === 'number') {
          se += (pred - (y[j] as number)) ** 2;
          ss += (y[j] as number) ** 2;
        } else missing++;
      });
    });
  }
  return { se, ss, missing };
}

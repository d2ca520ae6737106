import type { HallOfFameEntry } from './search-options.js';

/**
 * The nearest other row of each row (Euclidean distance over the columns, each scaled by its
 * standard deviation), by brute force: O(n²·d), meant for the at most 1,000 screening rows.
 */
export function nearestNeighbours(columns: readonly Float64Array[], n: number): Int32Array {
  const scaled = columns.map((c) => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += c[i] as number;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = (c[i] as number) - mean;
      v += d * d;
    }
    const s = Math.sqrt(v / n) || 1;
    return Float64Array.from({ length: n }, (_, i) => (c[i] as number) / s);
  });
  const nn = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Number.POSITIVE_INFINITY;
    let arg = i === 0 ? 1 : 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (const c of scaled) {
        const e = (c[i] as number) - (c[j] as number);
        d += e * e;
      }
      if (d < best) {
        best = d;
        arg = j;
      }
    }
    nn[i] = arg;
  }
  return nn;
}

/**
 * The variance of the part of the residual `r` that varies from a row to its nearest neighbour:
 * mean((r_i − r_nn(i))²)/2, a difference-based estimator (Rice 1984, Ann. Statist. 12(4),
 * doi:10.1214/aos/1176346788; Gasser, Sroka & Jennen-Steinmetz 1986, Biometrika 73(3),
 * doi:10.1093/biomet/73.3.625, for the idea; here over nearest neighbours in several inputs). For a
 * residual that is measurement noise it estimates the noise variance; for a smooth residual (a
 * wrong form, the error of a trained network) it is near 0.
 */
export function residualNoise(r: Float64Array, nn: Int32Array): number {
  let s = 0;
  for (let i = 0; i < nn.length; i++) {
    const d = (r[i] as number) - (r[nn[i] as number] as number);
    s += d * d;
  }
  return s / (2 * nn.length);
}

/**
 * Model selection when the residual of the most accurate entry is mostly noise (its estimated noise
 * variance `noise` at least half its loss): the entry minimising a Bayesian information criterion
 * with σ² the most accurate entry's loss, n·loss/σ² + k·ln n + complexity, k the number of
 * constants (Schwarz 1978, Ann. Statist. 6(2), doi:10.1214/aos/1176344136), the complexity added
 * as a price on the structure the search chose among many. At the noise level PySR's score
 * (−Δ ln loss/Δ complexity) barely tells a form that is right from a simpler one that is off by a
 * fraction of the noise (`0.44*y^2.04 + 0.06` against `y^0.9 - y + 0.5*y^2` at 1 % noise, 0.3–0.6 %
 * apart in loss); the criterion weighs the same loss difference by the n rows that measured it.
 * Undefined (the caller keeps PySR's rule) when the residual is mostly smooth, e.g. fitting a
 * network's samples.
 */
export function selectByNoise(
  entries: readonly HallOfFameEntry[],
  noise: number,
  n: number,
  lossFloor: number,
): HallOfFameEntry | undefined {
  if (entries.length === 0) return undefined;
  const minLoss = Math.min(...entries.map((e) => e.loss));
  if (!(minLoss > lossFloor) || !(noise >= 0.5 * minLoss)) return undefined;
  const logN = Math.log(n);
  let best: HallOfFameEntry | undefined;
  let bestIc = Number.POSITIVE_INFINITY;
  for (const e of entries) {
    const k = e.expr.constants.length;
    const ic = (n * Math.max(e.loss, lossFloor)) / minLoss + k * logN + e.complexity;
    if (ic < bestIc) {
      bestIc = ic;
      best = e;
    }
  }
  return best;
}

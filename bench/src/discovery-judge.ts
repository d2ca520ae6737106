// The judge of the discovery bench's held-out variants: is a found equation the truth's form with
// the truth's constants? The truth is a family `alpha*r - a*r*c/(1 + h*r)` with its parameter
// values; the found equation (report.json's text, numbers in place) is in the family when the
// family, its parameters fitted to the found equation on a grid of states (Levenberg–Marquardt,
// float64), reproduces it within `residualTolerance` (relative RMS, default 1e-4: a found
// equation of the true form is in the family exactly, whatever its constants; an extra term of
// 0.01 % of the equation's size is not). Its constants are within `constantTolerance` when every
// fitted parameter is within that of the truth's value. A look-alike of another form (e.g.
// `0.405*c + 0.326*c*r` for `r*c/(1 + 0.5*r)`) cannot be fitted by the family on a box wider than
// the data's, so it fails the first test.
import { constantsOf, parseExpression, variablesOf } from '@odekit/symbolic';

/** What {@link judgeEquation} decided, with its numbers. */
export interface Judgement {
  readonly ok: boolean;
  /** The family fitted to the found equation: relative RMS of what it misses on the grid. */
  readonly residual: number;
  /** Largest relative error of the fitted parameters against the truth's. */
  readonly constantError: number;
  /** Free (non-integer) constants of the found equation, and parameters of the family (for the record). */
  readonly found: number;
  readonly family: number;
  readonly fitted: Readonly<Record<string, number>>;
}

/** Options of {@link judgeEquation}. */
export interface JudgeOptions {
  /** The found equation, e.g. `r - c*r/(0.495*r + 0.994) - 0.2*r^2`. */
  readonly found: string;
  /** The truth's family, e.g. `alpha*r - k*r^2 - a*r*c/(1 + h*r)`. */
  readonly family: string;
  /** The truth's parameter values (extra names are ignored). */
  readonly truth: Readonly<Record<string, number>>;
  /** The box of states to compare on, per state variable: [lo, hi]. */
  readonly box: Readonly<Record<string, readonly [number, number]>>;
  readonly residualTolerance?: number;
  readonly constantTolerance?: number;
}

/**
 * Judges a found equation against the truth's family (see the file's comment).
 *
 * @example
 * ```ts
 * import { judgeEquation } from './discovery-judge.js';
 * const j = judgeEquation({
 *   found: 'r - c*r/(0.495*r + 0.994) - 0.2*r^2',
 *   family: 'alpha*r - k*r^2 - a*r*c/(1 + h*r)',
 *   truth: { alpha: 1, k: 0.2, a: 1, h: 0.5 },
 *   box: { r: [0.2, 5], c: [0.2, 3] },
 * });
 * if (!j.ok) throw new Error(JSON.stringify(j));
 * ```
 */
export function judgeEquation(o: JudgeOptions): Judgement {
  const states = Object.keys(o.box);
  const family = parseExpression(o.family);
  const names = variablesOf(family.root).filter((v) => !states.includes(v));
  const fail = (why: number) => ({
    ok: false,
    residual: why,
    constantError: Number.POSITIVE_INFINITY,
    found: Number.NaN,
    family: names.length,
    fitted: {},
  });
  let found: ReturnType<typeof parseExpression>;
  try {
    found = parseExpression(o.found);
  } catch {
    return fail(Number.POSITIVE_INFINITY);
  }
  if (variablesOf(found.root).some((v) => !states.includes(v))) return fail(Number.POSITIVE_INFINITY);
  const side = 16;
  const n = side ** states.length;
  const X: Record<string, Float64Array> = {};
  states.forEach((s, k) => {
    const [lo, hi] = o.box[s] as readonly [number, number];
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = lo + ((hi - lo) * (Math.floor(i / side ** k) % side)) / (side - 1);
    X[s] = col;
  });
  const target = found.evaluate(X);
  const at = (theta: readonly number[]) =>
    family.evaluate({
      ...X,
      ...Object.fromEntries(names.map((k, i) => [k, new Float64Array(n).fill(theta[i] as number)])),
    });
  const residualOf = (theta: readonly number[]) => {
    const v = at(theta);
    return Float64Array.from(v, (x, i) => x - (target[i] as number));
  };
  const sq = (r: Float64Array) => r.reduce((s, x) => s + x * x, 0);
  const truth = names.map((k) => o.truth[k] as number);
  if (truth.some((x) => !Number.isFinite(x)))
    throw new Error(`judgeEquation: the truth lacks one of ${names.join(', ')}.`);
  const scale = Math.sqrt(sq(Float64Array.from(at(truth))) / n);
  // Levenberg–Marquardt from the truth's values (Marquardt 1963), finite-difference Jacobian.
  let theta = [...truth];
  let r = residualOf(theta);
  let cost = sq(r);
  let lambda = 1e-3;
  for (let it = 0; it < 100 && Number.isFinite(cost); it++) {
    const J = names.map((_, j) => {
      const h = 1e-6 * Math.max(1, Math.abs(theta[j] as number));
      const up = theta.slice();
      up[j] = (up[j] as number) + h;
      const dn = theta.slice();
      dn[j] = (dn[j] as number) - h;
      const a = at(up);
      const b = at(dn);
      return Float64Array.from(a, (x, i) => (x - (b[i] as number)) / (2 * h));
    });
    const m = names.length;
    const JtJ = J.map((a) => J.map((b) => a.reduce((s, x, i) => s + x * (b[i] as number), 0)));
    const Jtr = J.map((a) => a.reduce((s, x, i) => s + x * (r[i] as number), 0));
    let improved = false;
    for (let tries = 0; tries < 20 && !improved; tries++) {
      const A = JtJ.map((row, i) => row.map((x, j) => (i === j ? x * (1 + lambda) + 1e-15 : x)));
      const step = solve(
        A,
        Jtr.map((x) => -x),
      );
      if (step === undefined) break;
      const next = theta.map((t, i) => t + (step[i] as number));
      const rn = residualOf(next);
      const cn = sq(rn);
      if (Number.isFinite(cn) && cn < cost) {
        theta = next;
        r = rn;
        const drop = cost - cn;
        cost = cn;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (drop < 1e-14 * Math.max(cost, 1e-300) || m === 0) break;
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  const residual = Math.sqrt(cost / n) / Math.max(scale, 1e-300);
  const constantError = Math.max(
    0,
    ...theta.map((t, i) => Math.abs(t - (truth[i] as number)) / Math.abs(truth[i] as number)),
  );
  const free = constantsOf(found.root).filter((c) => !Number.isInteger(c)).length;
  return {
    ok: residual <= (o.residualTolerance ?? 1e-4) && constantError <= (o.constantTolerance ?? 0.05),
    residual,
    constantError,
    found: free,
    family: names.length,
    fitted: Object.fromEntries(names.map((k, i) => [k, Number((theta[i] as number).toPrecision(4))])),
  };
}

/** Gaussian elimination with partial pivoting; undefined when singular. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(M[k]?.[c] as number) > Math.abs(M[p]?.[c] as number)) p = k;
    if (!(Math.abs(M[p]?.[c] as number) > 1e-300)) return undefined;
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    for (let k = 0; k < n; k++) {
      if (k === c) continue;
      const f = (M[k]?.[c] as number) / (M[c]?.[c] as number);
      for (let j = c; j <= n; j++) (M[k] as number[])[j] = (M[k]?.[j] as number) - f * (M[c]?.[j] as number);
    }
  }
  const x = M.map((row, i) => (row[n] as number) / (row[i] as number));
  return x.every(Number.isFinite) ? x : undefined;
}

/**
 * A network's missing term as a family for {@link judgeEquation}: each number (not an integer
 * exponent) named `p0`, `p1`, …, its value the truth (`-0.616*c*r` → `-p0*c*r`, p0 = 0.616).
 */
export function termFamily(term: string): { family: string; truth: Record<string, number> } {
  const truth: Record<string, number> = {};
  let k = 0;
  const family = term.replace(/(?<![\^\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?/g, (m) => {
    const name = `p${k++}`;
    truth[name] = Number(m);
    return name;
  });
  return { family, truth };
}

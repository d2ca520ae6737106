import { disposeTree, type TensorTree, treeFlatten, treeUnflatten, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link lbfgs}. */
export interface LbfgsOptions<P extends TensorTree> {
  /** The scalar objective of the parameters. */
  loss: (params: P) => tf.Tensor;
  /** The starting point (borrowed; not modified). */
  params: P;
  /** Iteration limit (default 100). */
  maxIterations?: number;
  /** Number of correction pairs kept (default 10). */
  historySize?: number;
  /** Stop when the largest gradient entry is at most this (default 1e-5). */
  gradTolerance?: number;
  /** Stop when the loss changes by at most this relative amount in an iteration (default 1e-10). */
  valueTolerance?: number;
  /** Sufficient-decrease constant c1 of the Wolfe conditions (default 1e-4). */
  c1?: number;
  /** Curvature constant c2 of the strong Wolfe conditions (default 0.9). */
  c2?: number;
  /** Loss evaluations allowed per line search (default 25). */
  maxLineSearchEvaluations?: number;
  /** Called after each iteration. */
  onIteration?: (info: LbfgsIteration) => void;
}

/** What {@link lbfgs}'s `onIteration` receives after each iteration. */
export interface LbfgsIteration {
  /** 1-based iteration count. */
  readonly iteration: number;
  /** The loss at the new iterate. */
  readonly value: number;
  /** The largest gradient entry at the new iterate. */
  readonly gradNorm: number;
}

/** Options of {@link lbfgsAsync}: those of {@link lbfgs}, with an awaited `onIteration` and a `signal`. */
export interface LbfgsAsyncOptions<P extends TensorTree> extends Omit<LbfgsOptions<P>, 'onIteration'> {
  /** Called after each iteration and awaited before the next (a page may pause the run here). */
  onIteration?: (info: LbfgsIteration) => void | Promise<void>;
  /**
   * Checked after each iteration (after `onIteration`): when aborted, the run stops with reason
   * `'aborted'` and the last iterate's parameters (the last good state).
   */
  signal?: AbortSignal;
}

/** Why {@link lbfgs} stopped. */
export type LbfgsReason =
  | 'gradient_tolerance'
  | 'value_tolerance'
  | 'max_iterations'
  | 'line_search_failed'
  | 'nonfinite'
  | 'aborted';

/** The result of {@link lbfgs}; the caller owns `params`. */
export interface LbfgsResult<P extends TensorTree> {
  params: P;
  value: number;
  gradNorm: number;
  iterations: number;
  numEvaluations: number;
  converged: boolean;
  reason: LbfgsReason;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Minimises a smooth loss of a small parameter tree with L-BFGS and a strong-Wolfe line search
 * (Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithms 7.4 and 7.5 for the
 * two-loop recursion, 3.5 and 3.6 for the line search). Meant for fitting a handful of physical
 * parameters: the iterate lives in float64 JavaScript arrays; each evaluation builds the tensors,
 * runs `valueAndGrad(loss)` and reads the value and gradient back (one sync). A trial point
 * where the loss throws a `SolveError` (a solve that failed as the dynamics blew up) counts as
 * an infinite loss, so the line search backs off.
 *
 * @throws Error naming the option when an option is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { lbfgs } from '@odekit/train';
 * const res = lbfgs({
 *   params: { x: tf.tensor([3, -1]) },
 *   loss: (p) => tf.sum(tf.square(tf.sub(p.x, tf.tensor([1, 2])))),
 * });
 * if (!res.converged || Math.abs((res.params.x.dataSync()[1] ?? 0) - 2) > 1e-4) throw new Error('bad');
 * ```
 */
export function lbfgs<P extends TensorTree>(options: LbfgsOptions<P>): LbfgsResult<P> {
  const run = iterate(options);
  for (;;) {
    const next = run.next(false);
    if (next.done) return next.value;
    options.onIteration?.(next.value);
  }
}

/**
 * {@link lbfgs} for a run that must stay responsive: the same iterates (one shared
 * implementation), with `onIteration` awaited after each iteration and `signal` checked after it,
 * so a caller can pause, step or stop the run between iterations. An abort returns the last
 * iterate with reason `'aborted'`.
 *
 * @throws Error naming the option when an option is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { lbfgsAsync } from '@odekit/train';
 * const stop = new AbortController();
 * const res = await lbfgsAsync({
 *   params: { x: tf.tensor([3, -1]) },
 *   loss: (p) => tf.sum(tf.square(tf.sub(p.x, tf.tensor([1, 2])))),
 *   signal: stop.signal,
 *   onIteration: async ({ iteration }) => {
 *     if (iteration === 1) stop.abort();
 *   },
 * });
 * if (res.reason !== 'aborted' || res.iterations !== 1) throw new Error('bad');
 * ```
 */
export async function lbfgsAsync<P extends TensorTree>(options: LbfgsAsyncOptions<P>): Promise<LbfgsResult<P>> {
  const { onIteration, signal } = options;
  const run = iterate(options);
  let stop = false;
  for (;;) {
    const next = run.next(stop);
    if (next.done) return next.value;
    await onIteration?.(next.value);
    stop = signal?.aborted === true;
  }
}

/**
 * The L-BFGS iteration as a generator: yields after each iteration; `next(true)` stops it with
 * reason `'aborted'` and the current iterate. No tensor is alive between iterations.
 */
function* iterate<P extends TensorTree>(
  options: Omit<LbfgsOptions<P>, 'onIteration'>,
): Generator<LbfgsIteration, LbfgsResult<P>, boolean> {
  const {
    loss,
    params,
    maxIterations = 100,
    historySize = 10,
    gradTolerance = 1e-5,
    valueTolerance = 1e-10,
    c1 = 1e-4,
    c2 = 0.9,
    maxLineSearchEvaluations = 25,
  } = options;
  if (typeof loss !== 'function') throw new Error("lbfgs: 'loss' must be a function (params) => scalar tensor.");
  if (!Number.isInteger(maxIterations) || maxIterations < 0)
    throw new Error(`lbfgs: 'maxIterations' must be an integer >= 0, got ${maxIterations}.`);
  if (!Number.isInteger(historySize) || historySize < 1)
    throw new Error(`lbfgs: 'historySize' must be an integer >= 1, got ${historySize}.`);
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new Error(`lbfgs: need 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}.`);
  const { leaves, treedef } = treeFlatten<tf.Tensor>(params);
  const shapes = leaves.map((l) => l.shape);
  const sizes = leaves.map((l) => l.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const vg = valueAndGrad(loss);
  const toTree = (x: Float64Array): P => {
    let off = 0;
    return treeUnflatten(
      treedef,
      shapes.map((s, i) => {
        const size = sizes[i] as number;
        const t = tf.tensor(Float32Array.from(x.subarray(off, off + size)), s, 'float32');
        off += size;
        return t;
      }),
    ) as P;
  };
  let numEvaluations = 0;
  const evaluate = (x: Float64Array): { f: number; g: Float64Array } => {
    numEvaluations++;
    // A trial point that is not finite (a step along a direction that overflowed, or from a
    // gradient that was NaN) is never handed to the loss (whose inputs may be checked, e.g. a
    // solve's initial state): it counts as an infinite loss, and the line search backs off.
    if (numEvaluations > 1 && !x.every(Number.isFinite)) {
      return { f: Number.POSITIVE_INFINITY, g: new Float64Array(n).fill(Number.NaN) };
    }
    const p = toTree(x);
    let out: { value: tf.Tensor; grads: P };
    try {
      out = vg(p);
    } catch (e) {
      disposeTree(p);
      // A failed solve at a trial point (the dynamics blew up) counts as an infinite loss:
      // the line search backs off. Other errors propagate.
      if (e instanceof Error && e.name === 'SolveError' && numEvaluations > 1) {
        return { f: Number.POSITIVE_INFINITY, g: new Float64Array(n).fill(Number.NaN) };
      }
      throw e;
    }
    const { value, grads } = out;
    const f = value.dataSync()[0] as number;
    const g = new Float64Array(n);
    let off = 0;
    for (const leaf of treeFlatten<tf.Tensor>(grads).leaves) {
      g.set(leaf.dataSync(), off);
      off += leaf.size;
    }
    disposeTree([p, value, grads]);
    return { f, g };
  };

  let x: Float64Array = new Float64Array(n);
  {
    let off = 0;
    for (const leaf of leaves) {
      x.set(leaf.dataSync(), off);
      off += leaf.size;
    }
  }
  let { f, g }: { f: number; g: Float64Array } = evaluate(x);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  let iterations = 0;
  let reason: LbfgsReason = 'max_iterations';
  if (!Number.isFinite(f)) reason = 'nonfinite';
  else if (maxAbs(g) <= gradTolerance) reason = 'gradient_tolerance';
  else {
    for (; iterations < maxIterations; ) {
      // Two-loop recursion: d = −H g.
      const q = Float64Array.from(g);
      const alphas: number[] = [];
      for (let i = ss.length - 1; i >= 0; i--) {
        const rho = 1 / dot(ys[i] as Float64Array, ss[i] as Float64Array);
        const a = rho * dot(ss[i] as Float64Array, q);
        alphas[i] = a;
        const y = ys[i] as Float64Array;
        for (let k = 0; k < n; k++) q[k] = (q[k] as number) - a * (y[k] as number);
      }
      const last = ss.length - 1;
      const gamma =
        last >= 0
          ? dot(ss[last] as Float64Array, ys[last] as Float64Array) /
            dot(ys[last] as Float64Array, ys[last] as Float64Array)
          : 1;
      for (let k = 0; k < n; k++) q[k] = (q[k] as number) * gamma;
      for (let i = 0; i < ss.length; i++) {
        const rho = 1 / dot(ys[i] as Float64Array, ss[i] as Float64Array);
        const b = rho * dot(ys[i] as Float64Array, q);
        const s = ss[i] as Float64Array;
        for (let k = 0; k < n; k++) q[k] = (q[k] as number) + ((alphas[i] as number) - b) * (s[k] as number);
      }
      const d = q.map((v) => -v);
      let dg = dot(d, g);
      if (!(dg < 0)) {
        // Not a descent direction (bad curvature information): restart from steepest descent.
        ss.length = 0;
        ys.length = 0;
        for (let k = 0; k < n; k++) d[k] = -(g[k] as number);
        dg = dot(d, g);
      }
      const alpha0 = ss.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
      const ls = strongWolfe(evaluate, x, f, g, d, dg, alpha0, c1, c2, maxLineSearchEvaluations);
      iterations++;
      if (ls === undefined) {
        reason = 'line_search_failed';
        break;
      }
      const s = ls.x.map((v, k) => v - (x[k] as number));
      const y = ls.g.map((v, k) => v - (g[k] as number));
      const fPrev = f;
      x = ls.x;
      f = ls.f;
      g = ls.g;
      if (dot(s, y) > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
        ss.push(s);
        ys.push(y);
        if (ss.length > historySize) {
          ss.shift();
          ys.shift();
        }
      }
      const gradNorm = maxAbs(g);
      if (yield { iteration: iterations, value: f, gradNorm }) {
        reason = 'aborted';
        break;
      }
      if (!Number.isFinite(f)) {
        reason = 'nonfinite';
        break;
      }
      if (gradNorm <= gradTolerance) {
        reason = 'gradient_tolerance';
        break;
      }
      if (Math.abs(fPrev - f) <= valueTolerance * Math.max(1, Math.abs(f))) {
        reason = 'value_tolerance';
        break;
      }
    }
  }
  return {
    params: toTree(x),
    value: f,
    gradNorm: maxAbs(g),
    iterations,
    numEvaluations,
    converged: reason === 'gradient_tolerance' || reason === 'value_tolerance',
    reason,
  };
}

type Point = { x: Float64Array; f: number; g: Float64Array; a: number; dg: number };

/** Strong-Wolfe line search (Nocedal & Wright Alg. 3.5) with zoom by safeguarded cubic interpolation (Alg. 3.6). */
function strongWolfe(
  evaluate: (x: Float64Array) => { f: number; g: Float64Array },
  x0: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  dg0: number,
  alpha0: number,
  c1: number,
  c2: number,
  maxEvals: number,
): Point | undefined {
  let evals = 0;
  const at = (a: number): Point => {
    evals++;
    const x = x0.map((v, k) => v + a * (d[k] as number));
    const { f, g } = evaluate(x);
    return { x, f, g, a, dg: dot(g, d) };
  };
  const armijo = (p: Point) => p.f <= f0 + c1 * p.a * dg0;
  const curvature = (p: Point) => Math.abs(p.dg) <= -c2 * dg0;
  const zoom = (lo: Point, hi: Point): Point | undefined => {
    let best: Point | undefined;
    while (evals < maxEvals) {
      const a = cubicMin(lo, hi);
      const p = at(a);
      if (!Number.isFinite(p.f) || !armijo(p) || p.f >= lo.f) hi = p;
      else {
        if (curvature(p)) return p;
        if (p.dg * (hi.a - lo.a) >= 0) hi = lo;
        lo = p;
        best = p;
      }
      if (Math.abs(hi.a - lo.a) < 1e-12 * Math.max(1, Math.abs(lo.a))) break;
    }
    return best ?? (lo.a > 0 && lo.f < f0 ? lo : undefined);
  };
  let prev: Point = { x: x0, f: f0, g: g0, a: 0, dg: dg0 };
  let a = alpha0;
  while (evals < maxEvals) {
    const p = at(a);
    if (!Number.isFinite(p.f) || !armijo(p) || (prev.a > 0 && p.f >= prev.f)) return zoom(prev, p);
    if (curvature(p)) return p;
    if (p.dg >= 0) return zoom(p, prev);
    prev = p;
    a *= 2;
  }
  return prev.a > 0 ? prev : undefined;
}

/** The minimiser of the cubic through two points with slopes, kept inside the middle 80 % of the bracket. */
function cubicMin(p: Point, q: Point): number {
  const lo = Math.min(p.a, q.a);
  const hi = Math.max(p.a, q.a);
  let a = (p.a + q.a) / 2;
  if (Number.isFinite(p.f) && Number.isFinite(q.f)) {
    const d1 = p.dg + q.dg - (3 * (p.f - q.f)) / (p.a - q.a);
    const disc = d1 * d1 - p.dg * q.dg;
    if (disc >= 0) {
      const d2 = Math.sign(q.a - p.a) * Math.sqrt(disc);
      const c = q.a - (q.a - p.a) * ((q.dg + d2 - d1) / (q.dg - p.dg + 2 * d2));
      if (Number.isFinite(c)) a = c;
    }
  }
  const margin = 0.1 * (hi - lo);
  return Math.min(Math.max(a, lo + margin), hi - margin);
}

import { cloneTree, disposeTree } from '@odekit/core';
import type { EquationsModel, EquationsParams } from '@odekit/observables';
import {
  binary,
  constant,
  constantsOf,
  Expression,
  type ExprNode,
  simplify,
  unary,
  variablesOf,
} from '@odekit/symbolic';
import { fit } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { formOf, freeCount } from '../discover.js';
import { cancelMonomials } from '../expand-polynomial.js';
import { knownShares } from '../known-terms.js';
import { tidyNumbers } from '../numbers.js';
import { stageAdam } from '../parameter-scales.js';
import { type RateTable, rateMatcher, rateTable } from './collocation.js';
import { checkAborted, type StageContext, type StageOutcome, stepReporter } from './context.js';
import { seriesLoss } from './mechanistic.js';
import type { NetworkDiscovery } from './symbolic.js';

const isSolveError = (e: unknown): e is Error => e instanceof Error && e.name === 'SolveError';

/** A number for a message: four significant digits. */
const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

/** A candidate refit on the data. */
export interface Tried {
  readonly expr: Expression;
  readonly model: EquationsModel;
  readonly params: EquationsParams;
  readonly loss: number;
  /** Whether the refit that won started from the smoothed rates (see {@link briefRefitFromBoth}). */
  readonly fromRates?: boolean;
}

/** How many values the data hold (missing cells not counted). */
function observedCount(data: StageContext['data']): number {
  let n = 0;
  for (const tr of data.trajectories)
    for (const ch of data.channels) for (const v of tr.values[ch] ?? []) if (Number.isFinite(v)) n++;
  return n;
}

/**
 * The relative loss increase a model with `extra` fewer constants may have and still be preferred:
 * an F-test at about 5 % (F ≈ 4 per constant) on `observed` values, at least 5 %. With no fewer
 * constants, a smaller tree may have AIC's price of one constant (2 over the observed values;
 * Akaike 1974), at least 1 % (the brief refits' own spread): on 37 points at 5 % noise,
 * `-0.766*c*r` and `-1.05*c*r^2` differ by 1.1 % in loss, which the noise decides, not the data.
 */
export function margin(extra: number, observed: number, compared = 1): number {
  const n = Math.max(observed, 1);
  if (extra <= 0) return Math.max(0.01, 2 / n);
  // Chosen among `compared` candidates, the best of which fits the noise best: the test's level
  // divided among them (Bonferroni), where that is stricter than 4 per constant.
  return Math.max(0.05, Math.max(4 * extra, chiSquareQuantile(extra, 0.05 / Math.max(1, compared))) / n);
}

/**
 * erfc(x) for x ≥ 0, fractional error under 1.2e-7 (the Chebyshev fit of Press et al.,
 * Numerical Recipes, 2nd ed., §6.2, `erfcc`).
 */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(-x * x + poly);
}

/**
 * The upper tail P(X > x) of the chi-square distribution with `k` degrees of freedom (an integer
 * ≥ 1), by the recurrence Q(x; k + 2) = Q(x; k) + (x/2)^(k/2) e^(−x/2) / Γ(k/2 + 1) from
 * Q(x; 1) = erfc(√(x/2)) and Q(x; 2) = e^(−x/2) (Abramowitz & Stegun 26.4.4–26.4.5).
 */
export function chiSquareTail(x: number, k: number): number {
  if (!(x > 0)) return 1;
  const h = x / 2;
  const e = Math.exp(-h);
  let q = k % 2 === 1 ? erfc(Math.sqrt(h)) : e;
  // the term for the current k: (x/2)^(k/2) e^(−x/2) / Γ(k/2 + 1)
  let term = k % 2 === 1 ? (2 * Math.sqrt(h) * e) / Math.sqrt(Math.PI) : h * e;
  for (let j = k % 2 === 1 ? 1 : 2; j < k; j += 2) {
    q += term;
    term *= h / (j / 2 + 1);
  }
  return Math.min(1, q);
}

/** The x with {@link chiSquareTail}(x, k) = p (0 < p < 1), by bisection to 1e-9 relative. */
export function chiSquareQuantile(k: number, p: number): number {
  let lo = 0;
  let hi = 10 * k + 100;
  for (let i = 0; i < 100 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareTail(mid, k) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The choice among candidates refit on the data: those within the margin of the best for the
 * constants they save; of them, the ones with the fewest constants (the F-test's order); of
 * those, the lowest loss — or a smaller tree within {@link margin}`(0)` of it.
 * {@link simplestCombination}'s rule for one network.
 */
export function simplestAcceptable(tried: readonly Tried[], observed: number): Tried {
  return simplestCombination(
    tried.map((t) => ({ exprs: [t.expr], loss: t.loss, t })),
    observed,
  ).t;
}

/**
 * `params` (owned; returned, its replaced scalars freed) with the share of each known term that
 * `alt` leaves to the physics added to that term's parameter. A network that also learned a share
 * of a known term (`+1.18*r` beside `alpha*r`, when the physics fit was off) is read back without
 * it (the candidates are judged with the known terms free); put in place of the network with the
 * physics as it was, the candidate would start far from the trained model (and often from a solve
 * that fails: a state that blows up or dies out), not from where the network left it.
 */
export function withKnownShares(params: EquationsParams, d: NetworkDiscovery, alt: Expression): EquationsParams {
  const names = d.knownParameters ?? [];
  if (!names.some((n) => n !== undefined)) return params;
  const shares = knownShares(alt, d.X, d.y, d.knownValues);
  if (shares === undefined) return params;
  const physics = { ...params.physics };
  shares.forEach((k, j) => {
    const known = names[j];
    const old = known === undefined ? undefined : physics[known.name];
    if (known === undefined || old === undefined || k === 0) return;
    physics[known.name] = tf.tidy(() => old.add(tf.scalar(known.sign * k)));
    old.dispose();
  });
  return { ...params, physics };
}

/** L-BFGS iterations of each candidate's brief refit. */
const BRIEF_ITERATIONS = 30;

/**
 * A short L-BFGS refit on the whole data; a solve that fails at the start counts as an infinite loss.
 * Takes `start` (frees it, also when it throws: a stopped run's `AbortError`); the caller owns the result.
 */
async function briefRefit(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
): Promise<{ params: EquationsParams; loss: number }> {
  try {
    return await briefRefitBorrowing(model, start, ctx);
  } finally {
    disposeTree(start);
  }
}

async function briefRefitBorrowing(
  model: EquationsModel,
  start: EquationsParams,
  ctx: StageContext,
): Promise<{ params: EquationsParams; loss: number }> {
  try {
    const res = await ctx.lbfgs({
      params: start,
      loss: (q) => model.loss(q, ctx.data),
      maxIterations: BRIEF_ITERATIONS,
      gradTolerance: 1e-8,
    });
    return { params: res.params, loss: Number.isFinite(res.value) ? res.value : Number.POSITIVE_INFINITY };
  } catch (e) {
    if (!isSolveError(e)) throw e;
    return { params: cloneTree(start), loss: Number.POSITIVE_INFINITY };
  }
}

/** L-BFGS iterations of a candidate's rate-matched start. */
const RATE_ITERATIONS = 60;

/**
 * A start for a candidate that does not depend on the network it replaces: from `start`, the
 * physics (the candidate's constants and every parameter) fitted by L-BFGS so that the model's
 * rates at the smoothed states match the smoothed rates (gradient matching: no solve, so cheap).
 * Owned by the caller; `start` is borrowed. Undefined when the equations cannot be evaluated on
 * the table (they use `t`) or the fit is not finite.
 */
async function rateMatchedStart(
  model: EquationsModel,
  start: EquationsParams,
  table: RateTable,
  ctx: StageContext,
): Promise<EquationsParams | undefined> {
  const matcher = rateMatcher(model, table);
  try {
    try {
      matcher.matchLoss(start).dispose();
    } catch (e) {
      if (e instanceof Error && e.name === 'ObservablesError') return undefined;
      throw e;
    }
    const res = await ctx.lbfgs({
      params: start.physics,
      loss: (physics) => matcher.matchLoss({ ...start, physics }),
      maxIterations: RATE_ITERATIONS,
      gradTolerance: 1e-9,
      valueTolerance: 1e-12,
    });
    if (!Number.isFinite(res.value)) {
      disposeTree(res.params);
      return undefined;
    }
    return { physics: res.params, networks: cloneTree(start.networks), initial: cloneTree(start.initial) };
  } finally {
    matcher.dispose();
  }
}

/**
 * {@link briefRefit} from `start` (the constants fitted on the network's samples, the physics as
 * the hybrid stage left it), and, when the data's states are observed directly, from a
 * {@link rateMatchedStart} too if that start is already within twice the first refit's loss: the
 * better of the two. The network's samples come from the states the trained model visits, and a
 * network that learned a share of a known term (or a function that only matches the true term
 * along one orbit) can start the true form far from where it fits; the short refit then stalls
 * (a `0.715*c*r` at 5× the loss of a wrong `0.27*r`). Gradient matching places the candidate by
 * the data alone. Takes `start` (frees it, also when it throws); the caller owns the result.
 */
async function briefRefitFromBoth(
  model: EquationsModel,
  start: EquationsParams,
  table: RateTable | undefined,
  ctx: StageContext,
): Promise<{ params: EquationsParams; loss: number; fromRates: boolean }> {
  let second: EquationsParams | undefined;
  try {
    second = table === undefined ? undefined : await rateMatchedStart(model, start, table, ctx);
  } catch (e) {
    disposeTree(start);
    throw e;
  }
  let first: { params: EquationsParams; loss: number };
  try {
    first = await briefRefit(model, start, ctx);
  } catch (e) {
    if (second !== undefined) disposeTree(second);
    throw e;
  }
  if (second === undefined) return { ...first, fromRates: false };
  let other: { params: EquationsParams; loss: number };
  let handedOver = false;
  try {
    if (!(seriesLoss(model, second, ctx.data) < 2 * first.loss)) {
      disposeTree(second);
      return { ...first, fromRates: false };
    }
    handedOver = true;
    other = await briefRefit(model, second, ctx);
  } catch (e) {
    if (!handedOver) disposeTree(second);
    disposeTree(first.params);
    throw e;
  }
  if (other.loss < first.loss) {
    disposeTree(first.params);
    return { ...other, fromRates: true };
  }
  disposeTree(other.params);
  return { ...first, fromRates: false };
}

/**
 * `e` with its constants replaced by the refit values of `<name>_c0`, `<name>_c1`, … (the order in
 * which `substitute` lifted them: pre-order, integer exponents excluded).
 */
function withFittedConstants(e: Expression, params: EquationsParams, name: string): Expression {
  let k = 0;
  const fill = (n: ExprNode, exponent: boolean): ExprNode => {
    switch (n.kind) {
      case 'const': {
        if (exponent && Number.isInteger(n.value)) return n;
        const v = params.physics[`${name}_c${k++}`];
        return v === undefined ? n : constant(v.dataSync()[0] as number);
      }
      case 'var':
        return n;
      case 'unary':
        return unary(n.op, fill(n.arg, false));
      case 'binary':
        return binary(n.op, fill(n.left, false), fill(n.right, n.op === '^'));
      case 'call':
        return { kind: 'call', name: n.name, args: n.args.map((a) => fill(a, false)) };
    }
  };
  return new Expression(fill(e.root, false));
}

/** Each free constant of `e` set to 0 in turn, simplified; only the variants that got simpler and still use a variable. */
export function zeroedVariants(e: Expression): Expression[] {
  const out: Expression[] = [];
  const seen = new Set<string>();
  for (let target = 0; ; target++) {
    let k = 0;
    let hit = false;
    const zero = (n: ExprNode, exponent: boolean): ExprNode => {
      switch (n.kind) {
        case 'const':
          if (exponent && Number.isInteger(n.value)) return n;
          if (k++ === target) {
            hit = true;
            return constant(0);
          }
          return n;
        case 'var':
          return n;
        case 'unary':
          return unary(n.op, zero(n.arg, false));
        case 'binary':
          return binary(n.op, zero(n.left, false), zero(n.right, n.op === '^'));
        case 'call':
          return { kind: 'call', name: n.name, args: n.args.map((a) => zero(a, false)) };
      }
    };
    const z = zero(e.root, false);
    if (!hit) break;
    // `1.86*r*r/(r*r)` is a constant: cancelled, it is seen as one (and not kept)
    const s = cancelMonomials(simplify(new Expression(z)));
    const text = s.toString();
    if (
      s.complexity < e.complexity &&
      variablesOf(s.root).length > 0 &&
      constantsOf(s.root).every(Number.isFinite) &&
      !seen.has(text)
    ) {
      seen.add(text);
      out.push(s);
    }
  }
  return out;
}

/**
 * Drops what does not pay, on the data: each constant of `start`'s expression set to 0 in turn (a
 * whole term, or a leftover like the `- 0.000138` in `(1/(x + 1) - 0.000138)*x`), the rest refit
 * briefly; a variant is kept when its loss stays within the margin of one constant, for up to
 * `rounds` drops. `base` is the model with network `d` still in it. Takes `start.params`: they
 * are the result's, or freed when something is dropped; when it throws (a stopped run), it frees
 * everything it holds, `start.params` included. Says each drop in `said`.
 */
async function dropUnneeded(
  base: EquationsModel,
  d: NetworkDiscovery,
  start: Tried,
  observed: number,
  ctx: StageContext,
  rounds: number,
  said: string[],
): Promise<Tried> {
  let current = start;
  try {
    for (let round = 0; round < rounds; round++) {
      const fitted = withFittedConstants(current.expr, current.params, d.call.name);
      let better: Tried | undefined;
      for (const simpler of zeroedVariants(fitted)) {
        checkAborted(ctx.signal);
        const next = base.substitute(d.call.name, simpler, { params: current.params, variables: d.call.variables });
        const res = await briefRefit(next.model, next.params, ctx);
        if (res.loss <= current.loss * (1 + margin(1, observed))) {
          better = { expr: simpler, model: next.model, params: res.params, loss: res.loss };
          break;
        }
        disposeTree(res.params);
      }
      if (better === undefined) break;
      said.push(
        `${d.call.name}: dropped a constant the data does not need → ${better.expr.toString()} (loss ${fmt(better.loss)})`,
      );
      const replaced = current;
      current = better;
      disposeTree(replaced.params);
    }
  } catch (e) {
    // `current` is `start` or the last drop kept (whose predecessors are freed already)
    disposeTree(current.params);
    throw e;
  }
  return current;
}

/**
 * The choice among combinations of expressions (one per network) refit together: those within the
 * margin of the best for the constants they save (summed over the networks); of them, the ones
 * with the fewest constants; of those, the lowest loss — or a smaller tree (sizes summed) within
 * {@link margin}`(0)` of it, the first in `pool` on a tie.
 */
export function simplestCombination<T extends { readonly exprs: readonly Expression[]; readonly loss: number }>(
  pool: readonly T[],
  observed: number,
): T {
  const free = (r: T) => r.exprs.reduce((n, e) => n + freeCount(e), 0);
  const size = (r: T) => r.exprs.reduce((n, e) => n + e.complexity, 0);
  const best = pool.reduce((a, r) => (r.loss < a.loss ? r : a), pool[0] as T);
  const ok = pool.filter((r) => r.loss <= best.loss * (1 + margin(free(best) - free(r), observed, pool.length)));
  const fewest = Math.min(...ok.map(free));
  const order = ok.filter((r) => free(r) === fewest);
  const lowest = Math.min(...order.map((r) => r.loss));
  return (
    order
      .filter((r) => r.loss <= lowest * (1 + margin(0, observed)))
      .sort((a, b) => size(a) - size(b) || a.loss - b.loss)[0] ?? best
  );
}

/** How many of each network's simplest candidates enter the joint combinations, and at most how many combinations. */
const JOINT_PER_NETWORK = 3;
const JOINT_MAX = 16;

/**
 * The combinations of each network's {@link JOINT_PER_NETWORK} simplest candidates (fewest
 * constants, then lowest loss when judged alone; one per form), each substituted for its network
 * in `model` and refit briefly together; against the sequential choice (`sequential`, loss
 * `sequentialLoss`) by the rule of {@link simplestAcceptable} counted over all networks (constants
 * and tree sizes summed). Returns
 * what it compared (`said`) and, when a combination beats the sequential choice, that combination
 * (`choice`: model, owned parameters, the model before the last network's substitution);
 * undefined when there is nothing to combine. Frees every other refit, also when it throws.
 */
export async function jointChoice(
  model: EquationsModel,
  params: EquationsParams,
  found: readonly NetworkDiscovery[],
  triedBy: ReadonlyMap<string, readonly { expr: Expression; loss: number }[]>,
  sequential: ReadonlyMap<string, Expression>,
  sequentialLoss: number,
  observed: number,
  ctx: StageContext,
  table?: RateTable,
): Promise<
  | {
      said: string;
      choice?: {
        model: EquationsModel;
        params: EquationsParams;
        lastBase: EquationsModel;
        exprs: Map<string, Expression>;
      };
    }
  | undefined
> {
  const per = found.map((d) => {
    const list = [...(triedBy.get(d.call.name) ?? [])]
      .filter((t) => Number.isFinite(t.loss))
      .sort((a, b) => freeCount(a.expr) - freeCount(b.expr) || a.loss - b.loss);
    const out: Expression[] = [];
    for (const t of list) {
      if (out.length >= JOINT_PER_NETWORK) break;
      if (!out.some((e) => formOf(e) === formOf(t.expr))) out.push(t.expr);
    }
    return out;
  });
  if (per.some((l) => l.length === 0)) return undefined;
  const sequentialForms = found.map((d) => formOf(sequential.get(d.call.name) as Expression)).join(' | ');
  let combos: Expression[][] = [[]];
  for (const list of per) combos = combos.flatMap((c) => list.map((e) => [...c, e]));
  combos = combos.filter((c) => c.map(formOf).join(' | ') !== sequentialForms).slice(0, JOINT_MAX);
  const results: {
    exprs: Expression[];
    model: EquationsModel;
    lastBase: EquationsModel;
    params: EquationsParams;
    loss: number;
  }[] = [];
  try {
    for (const combo of combos) {
      checkAborted(ctx.signal);
      let m = model;
      let p: EquationsParams | undefined;
      let lastBase = model;
      try {
        for (const [i, d] of found.entries()) {
          const e = combo[i] as Expression;
          lastBase = m;
          const next = m.substitute(d.call.name, e, { params: p ?? params, variables: d.call.variables });
          if (p !== undefined) disposeTree(p);
          m = next.model;
          p = withKnownShares(next.params, d, e);
        }
      } catch (e) {
        if (p !== undefined) disposeTree(p);
        throw e;
      }
      const res = await briefRefitFromBoth(m, p as EquationsParams, table, ctx);
      results.push({ exprs: combo, model: m, lastBase, params: res.params, loss: res.loss });
    }
  } catch (e) {
    for (const r of results) disposeTree(r.params);
    throw e;
  }
  const seqExprs = found.map((d) => sequential.get(d.call.name) as Expression);
  const pool = [{ exprs: seqExprs, loss: sequentialLoss }, ...results];
  const win = simplestCombination(pool, observed);
  const text = (r: { exprs: readonly Expression[]; loss: number }) =>
    `${r.exprs.map((e) => e.toString()).join(', ')} (loss ${fmt(r.loss)})`;
  const winner = results.find((r) => r === win);
  for (const r of results) if (r !== winner) disposeTree(r.params);
  const names = found.map((d) => d.call.name).join(', ');
  const said = `${names} together: ${pool.map(text).join(', ')} → ${win.exprs.map((e) => e.toString()).join(', ')}${winner === undefined ? ' (the sequential choice)' : ''}`;
  return {
    said,
    ...(winner === undefined
      ? {}
      : {
          choice: {
            model: winner.model,
            params: winner.params,
            lastBase: winner.lastBase,
            exprs: new Map(found.map((d, i) => [d.call.name, winner.exprs[i] as Expression])),
          },
        }),
  };
}

/**
 * Stage 4, the refit: every network call replaced by its found expression, whose constants become
 * trainable parameters; then all parameters and constants refit differentiably by L-BFGS on growing
 * prefixes (half the series, then all of it). It survives failed solves: a trial point whose solve
 * fails counts as an infinite loss (the line search steps back); a start where the solve fails
 * falls back to Adam with `fit`'s NaN guard (which keeps the last good values); and if even that
 * cannot take a step, the found constants are kept as they are. It never throws for a failed solve.
 */
export async function refitStage(
  model: EquationsModel,
  params: EquationsParams,
  found: readonly NetworkDiscovery[],
  ctx: StageContext,
): Promise<StageOutcome & { model: EquationsModel; chosen: Map<string, Expression> }> {
  const chosenExpr = new Map<string, Expression>();
  let m = model;
  let p = params;
  let owned = false;
  const choices: string[] = [];
  const observed = observedCount(ctx.data);
  // the model before the last network's substitution (the others already expressions), for the
  // check after the final fit
  let lastBase: { model: EquationsModel; d: NetworkDiscovery } | undefined;
  const curve: number[] = [];
  const notes: string[] = [];
  let steps = 0;
  let stopReason = 'completed';
  const triedBy = new Map<string, { expr: Expression; loss: number }[]>();
  let sequentialLoss = Number.POSITIVE_INFINITY;
  // the smoothed states and rates, for each candidate's second start (undefined when a state is not observed directly)
  const table = ctx.settings.rateStarts ? rateTable(model, ctx.data) : undefined;
  try {
    for (const d of found) {
      // Each candidate in place of this network (the others still networks), refit briefly on the
      // whole data: see `simplestAcceptable` for the choice. The
      // data, not the network's imperfect copy of it, has the last word.
      const tried: Tried[] = [];
      try {
        for (const alt of d.alternatives.length > 0 ? d.alternatives : [d.expr]) {
          checkAborted(ctx.signal);
          const next = m.substitute(d.call.name, alt, { params: p, variables: d.call.variables });
          const res = await briefRefitFromBoth(next.model, withKnownShares(next.params, d, alt), table, ctx);
          tried.push({ expr: alt, model: next.model, params: res.params, loss: res.loss, fromRates: res.fromRates });
        }
      } catch (e) {
        // a stopped run: the candidates refit so far are freed here, `p` below
        for (const t of tried) disposeTree(t.params);
        throw e;
      }
      const pick = simplestAcceptable(tried, observed);
      triedBy.set(
        d.call.name,
        tried.map((t) => ({ expr: t.expr, loss: t.loss })),
      );
      for (const t of tried) if (t !== pick) disposeTree(t.params);
      const baseModel = m;
      const baseParams = p;
      lastBase = { model: baseModel, d };
      if (tried.length > 1) {
        choices.push(
          `${d.call.name}: ${tried.map((t) => `${t.expr.toString()} (loss ${fmt(t.loss)}${t.fromRates ? ', from the smoothed rates' : ''})`).join(', ')} → ${pick.expr.toString()}`,
        );
      }
      // Then, on the data too, drop what does not pay (a chosen expression keeps its terms);
      // dropUnneeded takes `pick.params` (and frees them if it throws).
      const current = d.chosen ? pick : await dropUnneeded(baseModel, d, pick, observed, ctx, 6, choices);
      m = current.model;
      p = current.params;
      if (owned) disposeTree(baseParams);
      owned = true;
      chosenExpr.set(d.call.name, current.expr);
      sequentialLoss = current.loss;
    }
    // Each network above was judged with the later ones still networks, which can make up for a
    // wrong choice of the earlier ones along the data's states (a `c^2*r` for a `c*r` beside a network
    // that absorbs the difference). With two or more networks, the combinations of each one's
    // simplest candidates are refit together too, and the choice among them and the sequential
    // one follows the same rule (fewest constants within the margin, then the lowest loss).
    if (found.length >= 2 && !found.some((d) => d.chosen) && Number.isFinite(sequentialLoss)) {
      const joint = await jointChoice(model, params, found, triedBy, chosenExpr, sequentialLoss, observed, ctx, table);
      if (joint?.choice !== undefined) {
        const c = joint.choice;
        if (owned) disposeTree(p);
        m = c.model;
        p = c.params;
        owned = true;
        lastBase = { model: c.lastBase, d: found[found.length - 1] as NetworkDiscovery };
        for (const [name, e] of c.exprs) chosenExpr.set(name, e);
      }
      if (joint !== undefined) choices.push(joint.said);
    }
    const { data, settings } = ctx;
    const lengths = [0.5, 1];
    const iters = Math.max(1, Math.round(settings.refitIterations / lengths.length));
    let failedAtStart = false;
    for (const [k, length] of lengths.entries()) {
      checkAborted(ctx.signal);
      try {
        const res = await ctx.lbfgs({
          params: p,
          loss: (q) => m.loss(q, data, { length }),
          maxIterations: iters,
          gradTolerance: 1e-8,
          valueTolerance: 1e-12,
          onIteration: stepReporter(ctx, curve, 'refit', `L-BFGS on ${Math.round(length * 100)} %`, (i) => ({
            step: steps + i,
            fraction: Math.min(1, (k * iters + i) / (lengths.length * iters)),
          })),
        });
        if (owned) disposeTree(p);
        p = res.params;
        owned = true;
        steps += res.iterations;
        stopReason = res.reason;
        notes.push(
          `${Math.round(length * 100)} %: ${res.reason} after ${res.iterations} iterations (loss ${res.value.toPrecision(4)})`,
        );
      } catch (e) {
        if (!isSolveError(e)) throw e;
        failedAtStart = true;
        notes.push(`${Math.round(length * 100)} %: the solve failed at the start (${e.message.split('\n')[0]})`);
        break;
      }
    }
    if (failedAtStart) {
      // Step back: small Adam steps with the NaN guard, which stops at the last good values.
      const res = await fit({
        params: p,
        loss: (q) => m.loss(q, data),
        optimizer: stageAdam(ctx, settings.learningRate / 10),
        steps: 200,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        onStep: () => ctx.gate(),
      });
      if (owned) disposeTree(p);
      p = res.params;
      owned = true;
      curve.push(...res.history);
      steps += res.steps;
      stopReason = res.stopReason === 'completed' ? 'fallback_adam' : `fallback_adam_${res.stopReason}`;
      notes.push(`fell back to Adam: ${res.message}`);
    }
    if (!owned) p = cloneTree(p);
    // After the joint fit, once more: a constant of the last network's expression that the data no
    // longer needs (the joint fit moved the others; e.g. a `- 0.0106` left beside the true term) is
    // dropped when the loss stays within the margin of one constant. Earlier networks' base models
    // still hold later networks, whose weights are gone by now, so only the last one is checked.
    if (!failedAtStart && lastBase !== undefined && !lastBase.d.chosen) {
      const { d } = lastBase;
      const expr = chosenExpr.get(d.call.name);
      const loss = m.loss(p, data);
      const value = loss.dataSync()[0] as number;
      loss.dispose();
      if (expr !== undefined && Number.isFinite(value)) {
        // `p` is owned here (the joint fit's result, or the clone above); dropUnneeded takes it (frees
        // it on a drop, or if it throws), so it is not ours to free until it comes back
        const start: Tried = { expr, model: m, params: p, loss: value };
        const after: string[] = [];
        owned = false;
        const kept = await dropUnneeded(lastBase.model, d, start, observed, ctx, 3, after);
        p = kept.params;
        owned = true;
        if (kept !== start) {
          notes.push(`then, after the joint fit: ${after.join('; ')}`);
          m = kept.model;
          chosenExpr.set(d.call.name, kept.expr);
        }
      }
    }
    await ctx.predictions('refit', m, p);
  } catch (e) {
    // a stopped run (or an unexpected error): free what this stage holds, once
    if (owned) disposeTree(p);
    throw e;
  }
  const picked = choices.length ? ` Candidates judged on the data: ${choices.join('; ')}.` : '';
  return {
    model: m,
    params: p,
    curve,
    steps,
    stopReason,
    message: tidyNumbers(`L-BFGS — ${notes.join('; ')}.${picked}`),
    chosen: chosenExpr,
  };
}

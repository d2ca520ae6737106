import type { Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import { Expression } from './expression.js';
import { polynomialLibrary } from './library.js';
import { binary, constant, type ExprNode, unary, variable } from './node.js';
import type { Objective } from './objective.js';
import type { OpName } from './operators.js';
import { simplify } from './simplify.js';
import { sparseRegression } from './sparse-regression.js';
import { satisfiesRules, type TreeRules } from './tree-rules.js';

/** Rows the seeds are fitted on (spread over the data). */
const SEED_ROWS = 1000;

/** A seed tree with its full-data loss. */
export interface Seed {
  readonly tree: ExprNode;
  readonly loss: number;
}

/** Whether every operator of `n` is in `ops`. */
function usesOnly(n: ExprNode, ops: ReadonlySet<OpName>): boolean {
  switch (n.kind) {
    case 'const':
    case 'var':
      return true;
    case 'unary':
      return ops.has(n.op) && usesOnly(n.arg, ops);
    case 'binary':
      return ops.has(n.op) && usesOnly(n.left, ops) && usesOnly(n.right, ops);
    default:
      return false;
  }
}

/** `v^p` with `^` when allowed, else as a product of `p` factors. */
function power(v: ExprNode, p: number, ops: ReadonlySet<OpName>): ExprNode {
  if (p === 1) return v;
  if (ops.has('^')) return binary('^', v, constant(p));
  let out = v;
  for (let k = 1; k < p; k++) out = binary('*', out, v);
  return out;
}

/** Rewrites integer powers `v^p` of a polynomial to products when `^` is not allowed. */
function powersToProducts(n: ExprNode, ops: ReadonlySet<OpName>): ExprNode {
  switch (n.kind) {
    case 'unary':
      return unary(n.op, powersToProducts(n.arg, ops));
    case 'binary':
      if (n.op === '^' && !ops.has('^') && n.right.kind === 'const' && Number.isInteger(n.right.value)) {
        return power(powersToProducts(n.left, ops), n.right.value, ops);
      }
      return binary(n.op, powersToProducts(n.left, ops), powersToProducts(n.right, ops));
    default:
      return n;
  }
}

/**
 * Sparse polynomial fits (STLSQ over the monomials up to degree 3, or 2 beyond 4 inputs) at a
 * ladder of thresholds relative to the spread of y: the polynomial terms of a model (logistic,
 * Lotka–Volterra, FitzHugh–Nagumo's cubic, Duffing, mass action) in one step, which the
 * evolution otherwise reaches only through many lucky mutations.
 */
function polynomialSeeds(X: Record<string, Float64Array>, y: Float64Array, names: readonly string[]): ExprNode[] {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length) || 1;
  const library = polynomialLibrary({ degree: names.length <= 4 ? 3 : 2 });
  const out: ExprNode[] = [];
  for (const rel of [1e-3, 1e-2, 5e-2, 0.2]) {
    try {
      out.push(sparseRegression({ X, y, library, threshold: rel * sd }).root);
    } catch {
      // a library term not finite on the data: no polynomial seeds
      return out;
    }
  }
  return out;
}

/**
 * Saturating, rational, power and exponential units of one input, alone, scaled, and times a
 * second input: `c·v/(c + v)`, `c·v²/(c + v²)`, `c/(c + v)`, `c/(c + v²)`, `c·v^c`, `c·exp(c·v)`,
 * `c·v·u/(c + v)`, `c·v·exp(c·v)` — the building blocks of Holling, Monod, Michaelis–Menten, Hill,
 * Ivlev and Ricker terms (each kept only when its operators are allowed).
 */
function unitSeeds(names: readonly string[], ops: ReadonlySet<OpName>): ExprNode[] {
  const c = (v: number) => constant(v);
  const out: ExprNode[] = [];
  for (const name of names) {
    const v = variable(name);
    const v2 = power(v, 2, ops);
    const sat = binary('/', binary('*', c(1), v), binary('+', c(1), v));
    out.push(sat);
    out.push(binary('/', binary('*', c(1), v2), binary('+', c(1), v2)));
    out.push(binary('/', c(1), binary('+', c(1), v)));
    out.push(binary('/', c(1), binary('+', c(1), v2)));
    out.push(binary('*', c(1), binary('^', v, c(1.5))));
    out.push(binary('*', c(1), unary('exp', binary('*', c(-0.5), v))));
    out.push(binary('*', binary('*', c(1), v), unary('exp', binary('*', c(-0.5), v))));
    for (const other of names) {
      if (other === name) continue;
      out.push(binary('*', sat, variable(other)));
    }
  }
  return out;
}

/**
 * Seeds for the initial populations: sparse polynomial fits and one-input saturating, rational,
 * power and exponential units (see {@link unitSeeds}), their constants fitted by
 * Levenberg–Marquardt on at most 1,000 rows, simplified, kept when allowed by the rules and finite,
 * best first (distinct trees only). Low-complexity and polynomial seeding in the spirit of the
 * initial-population strategies of genetic programming (e.g. seeding with linear-regression
 * models, Schmidt & Lipson 2009 use a similar warm start); not in SymbolicRegression.jl.
 */
export function makeSeeds(objective: Objective, rules: TreeRules, maxSize: number, rng: Rng): Seed[] {
  const ops = new Set<OpName>([...rules.binary, ...rules.unary]);
  const view = objective.subsample(SEED_ROWS);
  const names = rules.variables;
  const X = view.evaluator.columns as Record<string, Float64Array>;
  const trees: ExprNode[] = [];
  if (ops.has('+') && ops.has('*')) {
    for (const p of polynomialSeeds(X, view.y, names)) trees.push(powersToProducts(p, ops));
  }
  for (const u of unitSeeds(names, ops)) {
    if (!usesOnly(u, ops)) continue;
    const fit = optimizeConstants(u, view, objective, rng, { algorithm: 'LM', iterations: 40, restarts: 2 });
    trees.push(fit.tree);
  }
  const seen = new Set<string>();
  const out: Seed[] = [];
  for (const t of trees) {
    const s = simplify(t, { operators: ops });
    if (!usesOnly(s, ops) || !satisfiesRules(s, rules, maxSize)) continue;
    const key = new Expression(s).toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const loss = objective.loss(s, false);
    if (Number.isFinite(loss)) out.push({ tree: s, loss });
  }
  return out.sort((a, b) => a.loss - b.loss);
}

import { describe, expect, it } from 'vitest';
import { defineRosenbrockTableau, RODAS4, RODAS5P, type RosenbrockTableau } from './rosenbrock-tableau.js';

/**
 * The order conditions of Rosenbrock methods (Hairer & Wanner, *Solving ODEs II*, §IV.7,
 * Theorem 7.3 and Table 7.1), checked on every rooted tree up to the method's order. The tableaus
 * are stored in the transformed form (a, c = C, m); the original coefficients are
 * `Γ = (diag(1/γ) − C)⁻¹`, `α = a·Γ`, `b = m·Γ`, `b̂ = (m − mError)·Γ`. With `β = α + Γ` (the
 * diagonal γ included) the conditions read `Σ_j b_j Φ_j(τ) = 1/γ(τ)`, the elementary weight
 * taking `β` at a vertex with one child (where the Jacobian's term enters) and `α` at a vertex
 * with several (HW's polynomials in γ are these with β's diagonal split off).
 */
type Tree = Tree[];

/** Rooted trees with `n` vertices, as sorted child lists (each tree once). */
function treesOfOrder(n: number): Tree[] {
  if (n === 1) return [[]];
  const key = (t: Tree): string => `[${t.map(key).sort().join(',')}]`;
  const seen = new Map<string, Tree>();
  const grow = (t: Tree): Tree[] => [
    [...t, []],
    ...t.flatMap((c, i) => grow(c).map((g) => t.map((x, j) => (j === i ? g : x)))),
  ];
  for (const t of treesOfOrder(n - 1)) for (const g of grow(t)) seen.set(key(g), g);
  return [...seen.values()];
}

const order = (t: Tree): number => 1 + t.reduce((s, c) => s + order(c), 0);
const density = (t: Tree): number => order(t) * t.reduce((p, c) => p * density(c), 1);

/** The original coefficients (α, Γ, b, b̂) of a transformed tableau. */
function original(tab: RosenbrockTableau) {
  const s = tab.m.length;
  // Γ⁻¹ = diag(1/γ) − C, lower triangular; Γ by forward substitution
  const inv = Array.from({ length: s }, (_, i) =>
    Array.from({ length: s }, (_, j) => (i === j ? 1 / tab.gamma : j < i ? -((tab.c[i] as number[])[j] as number) : 0)),
  );
  const G = Array.from({ length: s }, () => new Array<number>(s).fill(0));
  for (let col = 0; col < s; col++) {
    for (let i = 0; i < s; i++) {
      let r = i === col ? 1 : 0;
      for (let k = 0; k < i; k++) r -= (inv[i]?.[k] as number) * (G[k]?.[col] as number);
      (G[i] as number[])[col] = r / (inv[i]?.[i] as number);
    }
  }
  const times = (row: readonly number[]) =>
    Array.from({ length: s }, (_, j) => row.reduce((acc, v, k) => acc + v * (G[k]?.[j] as number), 0));
  const alpha = Array.from({ length: s }, (_, i) => times([...(tab.a[i] as number[]), ...new Array(s - i).fill(0)]));
  const b = times(tab.m);
  const bHat = times(tab.m.map((v, j) => v - (tab.mError[j] as number)));
  return { alpha, G, b, bHat };
}

/** `Σ_j w_j Φ_j(τ) − 1/γ(τ)` for the weights `w`. */
function defect(tab: RosenbrockTableau, w: readonly number[], t: Tree): number {
  const { alpha, G } = original(tab);
  const s = w.length;
  const B = alpha.map((row, i) => row.map((v, j) => v + (G[i]?.[j] as number)));
  const mul = (M: number[][], x: number[]) => M.map((row) => row.reduce((acc, v, j) => acc + v * (x[j] as number), 0));
  const phi = (u: Tree): number[] => {
    if (u.length === 0) return new Array(s).fill(1);
    if (u.length === 1) return mul(B, phi(u[0] as Tree));
    return u.map((c) => mul(alpha, phi(c))).reduce((p, q) => p.map((v, i) => v * (q[i] as number)));
  };
  return w.reduce((acc, v, j) => acc + v * (phi(t)[j] as number), 0) - 1 / density(t);
}

const cases: [RosenbrockTableau, number, number][] = [
  [RODAS4, 4, 3],
  [RODAS5P, 5, 4],
];

describe('Rosenbrock order conditions (every rooted tree up to the order)', () => {
  it('there are 1, 1, 2, 4, 9 rooted trees of orders 1 to 5', () => {
    expect([1, 2, 3, 4, 5].map((n) => treesOfOrder(n).length)).toEqual([1, 1, 2, 4, 9]);
  });
  for (const [tab, p, pHat] of cases) {
    it(`${tab.name}: the method has order ${p} and its embedded method order ${pHat}, not more`, () => {
      const { b, bHat } = original(tab);
      for (let n = 1; n <= p; n++) {
        for (const t of treesOfOrder(n)) expect(Math.abs(defect(tab, b, t)), JSON.stringify(t)).toBeLessThan(1e-10);
      }
      for (let n = 1; n <= pHat; n++) {
        for (const t of treesOfOrder(n)) expect(Math.abs(defect(tab, bHat, t)), JSON.stringify(t)).toBeLessThan(1e-10);
      }
      // the conditions can fail: some tree of the next order is not satisfied
      const next = treesOfOrder(p + 1).map((t) => Math.abs(defect(tab, b, t)));
      expect(Math.max(...next)).toBeGreaterThan(1e-6);
      const nextHat = treesOfOrder(pHat + 1).map((t) => Math.abs(defect(tab, bHat, t)));
      expect(Math.max(...nextHat)).toBeGreaterThan(1e-6);
    });
    it(`${tab.name}: time nodes α_i and d_i are the row sums of α and Γ`, () => {
      const { alpha, G } = original(tab);
      alpha.forEach((row, i) => {
        expect(Math.abs(row.reduce((x, y) => x + y, 0) - (tab.alpha[i] as number))).toBeLessThan(1e-10);
        expect(Math.abs((G[i] as number[]).reduce((x, y) => x + y, 0) - (tab.d[i] as number))).toBeLessThan(1e-10);
      });
    });
  }
  it('a perturbed coefficient breaks an order condition', () => {
    const c = RODAS5P.c.map((r) => [...r]);
    (c[3] as number[])[1] = (c[3]?.[1] as number) + 1e-3;
    const bad = defineRosenbrockTableau({ ...RODAS5P, c });
    const { b } = original(bad);
    const worst = [1, 2, 3, 4, 5].flatMap((n) => treesOfOrder(n).map((t) => Math.abs(defect(bad, b, t))));
    expect(Math.max(...worst)).toBeGreaterThan(1e-7);
  });
});

import { describe, expect, it } from 'vitest';
import {
  RADAU_A,
  RADAU_AINV,
  RADAU_ALPHA,
  RADAU_BETA,
  RADAU_C,
  RADAU_DENSE,
  RADAU_E,
  RADAU_GAMMA0,
} from './radau-tableau.js';

const S6 = Math.sqrt(6);
const at = (m: readonly (readonly number[])[], i: number, j: number) => (m[i] as readonly number[])[j] as number;

/**
 * `R(z) = 1 + z·bᵀ(I − zA)⁻¹·1` for complex `z = x + iy`, by Cramer's rule on the 3 × 3 complex
 * system (Hairer & Wanner II, §IV.3).
 */
function stability(x: number, y: number): [number, number] {
  type C = [number, number];
  const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
  const sub = (a: C, b: C): C => [a[0] - b[0], a[1] - b[1]];
  const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
  const div = (a: C, b: C): C => {
    const d = b[0] * b[0] + b[1] * b[1];
    return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
  };
  const z: C = [x, y];
  const M: C[][] = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => sub([i === j ? 1 : 0, 0], mul(z, [at(RADAU_A, i, j), 0]))),
  );
  const det3 = (m: C[][]): C => {
    const g = (i: number, j: number) => (m[i] as C[])[j] as C;
    const minor = (a: C, b: C, c: C, d: C) => sub(mul(a, d), mul(b, c));
    let s = mul(g(0, 0), minor(g(1, 1), g(1, 2), g(2, 1), g(2, 2)));
    s = sub(s, mul(g(0, 1), minor(g(1, 0), g(1, 2), g(2, 0), g(2, 2))));
    return add(s, mul(g(0, 2), minor(g(1, 0), g(1, 1), g(2, 0), g(2, 1))));
  };
  const d = det3(M);
  let r: C = [1, 0];
  for (let k = 0; k < 3; k++) {
    // x_k of M·x = 1 (Cramer), R = 1 + z·Σ b_k x_k with b the last row of A
    const Mk = M.map((row) => row.map((v, j) => (j === k ? ([1, 0] as C) : v)));
    const xk = div(det3(Mk), d);
    r = add(r, mul(z, mul([at(RADAU_A, 2, k), 0], xk)));
  }
  return r;
}

describe('Radau IIA (order 5) tableau', () => {
  it('c = ((4 − √6)/10, (4 + √6)/10, 1), rows of A sum to c, b = the last row (stiffly accurate)', () => {
    expect(RADAU_C[0]).toBeCloseTo((4 - S6) / 10, 15);
    expect(RADAU_C[1]).toBeCloseTo((4 + S6) / 10, 15);
    expect(RADAU_C[2]).toBe(1);
    for (let i = 0; i < 3; i++) {
      const row = RADAU_A[i] as readonly number[];
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - (RADAU_C[i] as number))).toBeLessThan(1e-15);
    }
    // b = (16 − √6)/36, (16 + √6)/36, 1/9 (Hairer & Wanner II, Table IV.5.6)
    expect(at(RADAU_A, 2, 0)).toBeCloseTo((16 - S6) / 36, 15);
    expect(at(RADAU_A, 2, 1)).toBeCloseTo((16 + S6) / 36, 15);
    expect(at(RADAU_A, 2, 2)).toBeCloseTo(1 / 9, 15);
  });
  it('A⁻¹ has the real eigenvalue γ0 ≈ 3.6378 and the pair α ± iβ ≈ 2.6811 ± 3.0504i', () => {
    expect(RADAU_GAMMA0).toBeCloseTo(3.637834252744496, 12);
    expect(RADAU_ALPHA).toBeCloseTo(2.681082873627752, 12);
    expect(RADAU_BETA).toBeCloseTo(3.050430199247411, 12);
    // trace and determinant of A⁻¹ against the eigenvalues
    const tr = at(RADAU_AINV, 0, 0) + at(RADAU_AINV, 1, 1) + at(RADAU_AINV, 2, 2);
    expect(tr).toBeCloseTo(RADAU_GAMMA0 + 2 * RADAU_ALPHA, 12);
    // det A = 1/60 for 3-stage Radau IIA (its stability function's denominator is 1 − 3z/5 + 3z²/20 − z³/60)
    const g = (i: number, j: number) => at(RADAU_A, i, j);
    const det =
      g(0, 0) * (g(1, 1) * g(2, 2) - g(1, 2) * g(2, 1)) -
      g(0, 1) * (g(1, 0) * g(2, 2) - g(1, 2) * g(2, 0)) +
      g(0, 2) * (g(1, 0) * g(2, 1) - g(1, 1) * g(2, 0));
    expect(det).toBeCloseTo(1 / 60, 14);
    expect(1 / det).toBeCloseTo(RADAU_GAMMA0 * (RADAU_ALPHA ** 2 + RADAU_BETA ** 2), 10);
  });
  it('R(∞) = 0, R(z) = e^z + O(z⁶), |R(iy)| ≤ 1 on a grid and |R(x)| ≤ 1 for x ≤ 0', () => {
    const [re, im] = stability(-1e12, 0);
    expect(Math.hypot(re, im)).toBeLessThan(1e-10);
    // order 5: R(z) − e^z ∝ z⁶ (1/7200 · z⁶ ≈ 1.4e-10 at z = 0.1... checked as a ratio)
    const e1 = Math.abs((stability(0.1, 0)[0] as number) - Math.exp(0.1));
    const e2 = Math.abs((stability(0.05, 0)[0] as number) - Math.exp(0.05));
    expect(Math.log2(e1 / e2)).toBeGreaterThan(5.7);
    for (let e = -2; e <= 4; e += 0.125) {
      const [a, b] = stability(0, 10 ** e);
      expect(Math.hypot(a, b)).toBeLessThanOrEqual(1 + 1e-12);
      expect(Math.abs(stability(-(10 ** e), 0)[0] as number)).toBeLessThanOrEqual(1);
    }
  });
  it("the dense basis interpolates: L_i(c_j) = δ_ij, L_i(0) = 0; the error weights are RADAU5's DD1..DD3", () => {
    for (let i = 0; i < 3; i++) {
      const [p1, p2, p3] = RADAU_DENSE[i] as [number, number, number];
      for (let j = 0; j < 3; j++) {
        const c = RADAU_C[j] as number;
        expect(Math.abs(p1 * c + p2 * c * c + p3 * c ** 3 - (i === j ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
    expect(RADAU_E[0]).toBeCloseTo(-(13 + 7 * S6) / 3, 14);
    expect(RADAU_E[1]).toBeCloseTo((-13 + 7 * S6) / 3, 14);
    expect(RADAU_E[2]).toBeCloseTo(-1 / 3, 15);
  });
});

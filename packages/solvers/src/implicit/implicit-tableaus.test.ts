import { describe, expect, it } from 'vitest';
import type { AbstractSolver, HostField } from '../solver.js';
import { esdirk, stageDenseWeights } from './esdirk.js';
import { defineEsdirkTableau, type EsdirkTableau } from './esdirk-tableau.js';
import { IMPLICIT_EULER, KVAERNO3, KVAERNO5 } from './esdirk-tableaus.js';
import { implicitEuler, kvaerno3, kvaerno5, rodas4, rodas5p } from './implicit-solvers.js';
import { radau5 } from './radau.js';
import { RODAS4 } from './rosenbrock-tableau.js';

const esdirks: [EsdirkTableau, number][] = [
  [IMPLICIT_EULER, 1],
  [KVAERNO3, 3],
  [KVAERNO5, 5],
];

/** `Σ b_i c_i^{k−1} = 1/k` and `Σ b_i a_ij c_j^{k-2} = 1/(k(k−1))` (bushy and tall trees). */
function quadratureDefect(tab: EsdirkTableau, k: number): number {
  const s = tab.c.length;
  let q = 0;
  for (let i = 0; i < s; i++) q += (tab.b[i] as number) * (tab.c[i] as number) ** (k - 1);
  return Math.abs(q - 1 / k);
}

describe('ESDIRK tableaus (validated at load; these check the method properties)', () => {
  for (const [tab, order] of esdirks) {
    it(`${tab.name}: quadrature conditions up to order ${order}, stiffly accurate, γ on the diagonal`, () => {
      for (let k = 1; k <= order; k++) expect(quadratureDefect(tab, k)).toBeLessThan(1e-10);
      expect(tab.stifflyAccurate).toBe(true);
      tab.a.forEach((row, i) => {
        if (i > 0) expect(row[i]).toBe(tab.gamma);
      });
    });
  }

  it("kvaerno3's γ is the L-stability root of 6γ³ − 18γ² + 9γ − 1", () => {
    const g = KVAERNO3.gamma;
    expect(Math.abs(6 * g ** 3 - 18 * g ** 2 + 9 * g - 1)).toBeLessThan(1e-14);
  });

  it('a tableau breaking a condition is refused at definition, naming it', () => {
    expect(() =>
      defineEsdirkTableau({
        name: 'bad',
        c: [0, 1],
        a: [[0], [0.4, 0.5]],
        b: [0.4, 0.5],
        bError: [0, 0],
        order: 1,
        errorOrder: 2,
        source: '',
      }),
    ).toThrow(/bad.*row 1 of A sums to 0.9/);
    expect(() =>
      defineEsdirkTableau({
        name: 'bad2',
        c: [0.1, 1],
        a: [[0], [0, 1]],
        b: [0, 1],
        bError: [0, 0],
        order: 1,
        errorOrder: 2,
        source: '',
      }),
    ).toThrow(/explicit/);
  });

  it('RODAS4 is stiffly accurate with γ = 1/4', () => {
    expect(RODAS4.gamma).toBe(0.25);
    expect(RODAS4.a[5]).toEqual(RODAS4.m.slice(0, 5));
  });
});

/**
 * One step of the real solver on the linear system y' = M y with the exact Jacobian (user
 * option), so the result is `R(hM)·y0`: R(z) for real z, and R(iω) from a rotation generator.
 */
function stepLinear(make: (o: object) => AbstractSolver, m: number[], y0: number[]): Float64Array {
  const d = y0.length;
  const solver = make({ jacobian: () => m, kappa: 1e-6, maxNewtonIterations: 50 });
  const f: HostField = (_t, y) => {
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) out[i] = (out[i] as number) + (m[i * d + j] as number) * (y[j] as number);
    return out as unknown as Float32Array;
  };
  const stepHost = solver.stepHost;
  if (stepHost === undefined) throw new Error('no host step');
  return stepHost(f, 0, 1, Float64Array.from(y0), undefined, true, { rtol: 1e-10, atol: 1e-12, batch: 1 }).y1;
}

const makers: [string, (o: object) => AbstractSolver][] = [
  ['implicitEuler', implicitEuler],
  ['kvaerno3', kvaerno3],
  ['kvaerno5', kvaerno5],
  ['rodas4', rodas4],
  ['rodas5p', rodas5p],
  ['radau5', radau5],
];

describe('stability functions from real steps (float64 field, exact Jacobian)', () => {
  for (const [name, make] of makers) {
    it(`${name}: R(∞) = 0 (L-stable) and |R(z)| ≤ 1 for z ≤ 0`, () => {
      expect(Math.abs(stepLinear(make, [-1e12], [1])[0] as number)).toBeLessThan(1e-6);
      for (const z of [-0.1, -1, -10, -100, -1e4]) {
        expect(Math.abs(stepLinear(make, [z], [1])[0] as number)).toBeLessThanOrEqual(1 + 1e-12);
      }
    });
    it(`${name}: |R(iy)| ≤ 1 on a grid of y in [0.01, 1000] (A-stable on the imaginary axis)`, () => {
      for (let e = -2; e <= 3; e += 0.25) {
        const w = 10 ** e;
        const y1 = stepLinear(make, [0, w, -w, 0], [1, 0]);
        expect(Math.hypot(y1[0] as number, y1[1] as number)).toBeLessThanOrEqual(1 + 1e-9);
      }
    });
  }
  it('the R(∞) check can fail: the trapezoidal rule (A- but not L-stable) has R(∞) = −1', () => {
    const trap = defineEsdirkTableau({
      name: 'trapezoid',
      c: [0, 1],
      a: [[0], [0.5, 0.5]],
      b: [0.5, 0.5],
      bError: [-0.5, 0.5],
      order: 2,
      errorOrder: 2,
      source: 'test',
    });
    const r = stepLinear((o) => esdirk(trap, o), [-1e12], [1])[0] as number;
    expect(Math.abs(r + 1)).toBeLessThan(1e-3);
  });
});

/** `Σ_j b_j(θ)·Φ_j(τ) − θ^ρ/γ(τ)` for the trees of order ≤ `order` (continuous order conditions). */
function continuousDefect(tab: EsdirkTableau, theta: number, order: number): number {
  const s = tab.c.length;
  const A = (i: number, j: number) => (tab.a[i] as readonly number[])[j] ?? 0;
  const b = tab.dense.map((row) => row.reduce((acc, v, m) => acc + v * theta ** (m + 1), 0));
  const c = tab.c as number[];
  const Ac = c.map((_, i) => c.reduce((acc, cj, j) => acc + A(i, j) * cj, 0));
  const trees: [number[], number, number][] = [
    [c.map(() => 1), 1, 1],
    [c, 2, 2],
    [c.map((v) => v * v), 3, 3],
    [Ac, 3, 6],
  ];
  let worst = 0;
  for (const [phi, rho, gam] of trees) {
    if (rho > order) continue;
    let q = 0;
    for (let j = 0; j < s; j++) q += (b[j] as number) * (phi[j] as number);
    worst = Math.max(worst, Math.abs(q - theta ** rho / gam));
  }
  return worst;
}

describe('dense output (continuous extensions from the stages)', () => {
  for (const [tab, order] of [
    [IMPLICIT_EULER, 1],
    [KVAERNO3, 2],
    [KVAERNO5, 3],
  ] as [EsdirkTableau, number][]) {
    it(`${tab.name}: continuous order ${order} for every θ, b(1) = b`, () => {
      for (let theta = 0.1; theta <= 1.0001; theta += 0.1) {
        expect(continuousDefect(tab, theta, order)).toBeLessThan(1e-12);
      }
      tab.dense.forEach((row, j) => {
        expect(Math.abs(row.reduce((x, y) => x + y, 0) - (tab.b[j] as number))).toBeLessThan(1e-12);
      });
    });
  }
  // stiff limit: exact stage values Y_i = φ(t0 + c_i h) must give φ(t0 + θh) for φ of degree ≤ q
  for (const [tab, q] of [
    [KVAERNO3, 2],
    [KVAERNO5, 3],
  ] as [EsdirkTableau, number][]) {
    it(`${tab.name}: stiff order ${q} (the interpolant of exact stage values reproduces polynomials of degree ${q})`, () => {
      const s = tab.c.length;
      // y(θ) = y0 + Σ_j b_j(θ)·h·k_j with h·k_j = (Y_j − y0 − Σ_{l<j} a_jl·h·k_l)/γ, k_0 = φ'(t0)
      for (let deg = 1; deg <= q; deg++) {
        const phi = (c: number) => c ** deg; // h = 1, t0 = 0
        const hk: number[] = [deg === 1 ? 1 : 0];
        for (let j = 1; j < s; j++) {
          const a = tab.a[j] as readonly number[];
          let base = phi(0);
          for (let l = 0; l < j; l++) base += (a[l] as number) * (hk[l] as number);
          hk.push((phi(tab.c[j] as number) - base) / tab.gamma);
        }
        for (let theta = 0.1; theta < 1; theta += 0.2) {
          const w = stageDenseWeights(tab, theta, 1, false);
          let y = phi(0);
          for (let j = 0; j < s; j++) y += (w[j + 1] as number) * (hk[j] as number);
          expect(Math.abs(y - phi(theta)), `degree ${deg}, θ = ${theta.toFixed(1)}`).toBeLessThan(1e-6);
        }
      }
    });
  }

  // y' = λy from y0 = 1 with λh = −1e6: the dense output must stay bounded inside the step
  // (cubic Hermite through f(y0) = λ·y0 reaches ~1e5 there).
  const worstInside = (solver: AbstractSolver): number => {
    const f: HostField = (_t, y) => Float64Array.from(y, (v) => -1e6 * v) as unknown as Float32Array;
    const stepHost = solver.stepHost;
    if (stepHost === undefined) throw new Error('no host step');
    const out = stepHost(f, 0, 1, Float64Array.from([1]), undefined, true, { rtol: 1e-10, atol: 1e-12, batch: 1 });
    let worst = 0;
    for (let theta = 0.05; theta < 1; theta += 0.05) {
      const w = solver.denseWeights(theta, 1, false);
      let y = (w[0] as number) * (out.dense.y0[0] as number);
      out.dense.k.forEach((k, q) => {
        y += (w[q + 1] as number) * (k[0] as number);
      });
      worst = Math.max(worst, Math.abs(y));
    }
    return worst;
  };
  const options = { jacobian: () => [-1e6], kappa: 1e-6, maxNewtonIterations: 50 };
  for (const [name, make] of makers) {
    it(`${name}: dense output inside a very stiff step stays bounded (|y(θ)| ≤ 2)`, () => {
      expect(worstInside(make(options))).toBeLessThanOrEqual(2);
    });
  }
  it('the check can fail: kvaerno5 with the cubic Hermite fallback (no dense table) exceeds 1e4', () => {
    const hermite = defineEsdirkTableau({
      name: 'kvaerno5-hermite',
      c: [...KVAERNO5.c],
      a: KVAERNO5.a.map((r) => [...r]),
      b: [...KVAERNO5.b],
      bError: [...KVAERNO5.bError],
      order: 5,
      errorOrder: 5,
      source: 'test',
    });
    expect(continuousDefect(hermite, 0.5, 3)).toBeLessThan(1e-12);
    expect(worstInside(esdirk(hermite, options))).toBeGreaterThan(1e4);
  });
});

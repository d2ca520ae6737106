import { describe, expect, it } from 'vitest';
import type { AbstractSolver, HostField } from '../solver.js';
import { esdirk } from './esdirk.js';
import { defineEsdirkTableau, type EsdirkTableau } from './esdirk-tableau.js';
import { IMPLICIT_EULER, KVAERNO3, KVAERNO5 } from './esdirk-tableaus.js';
import { implicitEuler, kvaerno3, kvaerno5, rodas4 } from './implicit-solvers.js';
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

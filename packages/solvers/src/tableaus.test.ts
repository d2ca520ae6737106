import { describe, expect, it } from 'vitest';
import { polyEval } from './runge-kutta/poly.js';
import { type ButcherTableau, defineTableau, type TableauSpec } from './runge-kutta/tableau.js';
import { BOSH3, DOPRI5, DOPRI8, EULER, HEUN, MIDPOINT, RALSTON, RK4, TSIT5 } from './runge-kutta/tableaus.js';

const ALL: readonly ButcherTableau[] = [EULER, HEUN, MIDPOINT, RALSTON, BOSH3, RK4, TSIT5, DOPRI5, DOPRI8];
const sum = (v: readonly number[]) => v.reduce((x, y) => x + y, 0);
const dot = (u: readonly number[], v: readonly number[]) => u.reduce((acc, x, i) => acc + x * (v[i] as number), 0);
const matVec = (a: readonly (readonly number[])[], v: readonly number[]) => a.map((row) => dot(row, v));
const pow = (v: readonly number[], k: number) => v.map((x) => x ** k);
const times = (u: readonly number[], v: readonly number[]) => u.map((x, i) => x * (v[i] as number));

/** Butcher's order conditions up to order 4: [order, residual]. */
function orderResiduals(t: ButcherTableau, b: readonly number[]): [number, number][] {
  const { c, a } = t;
  const ac = matVec(a, c);
  return [
    [1, sum(b) - 1],
    [2, dot(b, c) - 1 / 2],
    [3, dot(b, pow(c, 2)) - 1 / 3],
    [3, dot(b, ac) - 1 / 6],
    [4, dot(b, pow(c, 3)) - 1 / 4],
    [4, dot(b, times(c, ac)) - 1 / 8],
    [4, dot(b, matVec(a, pow(c, 2))) - 1 / 12],
    [4, dot(b, matVec(a, ac)) - 1 / 24],
  ];
}

const GOOD: TableauSpec = {
  name: 'test-heun',
  c: [0, 1],
  a: [[], [1]],
  b: [0.5, 0.5],
  bError: [-0.5, 0.5],
  order: 2,
  errorOrder: 2,
  source: 'test',
};

describe('defineTableau', () => {
  it('accepts a consistent tableau and freezes it', () => {
    const t = defineTableau(GOOD);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.a)).toBe(true);
    expect(t.fsal).toBe(false);
    expect(t.denseNeedsF1).toBe(true);
  });

  it('rejects a row of A that does not sum to c', () => {
    expect(() => defineTableau({ ...GOOD, a: [[], [0.9]] })).toThrow(
      /tableau 'test-heun': row 1 of A sums to 0\.9, not c\[1\] = 1/,
    );
  });

  it('rejects Σb ≠ 1', () => {
    expect(() => defineTableau({ ...GOOD, b: [0.5, 0.6] })).toThrow(/tableau 'test-heun': Σb = 1\.1, not 1/);
  });

  it('rejects Σ bError ≠ 0', () => {
    expect(() => defineTableau({ ...GOOD, bError: [-0.5, 0.4] })).toThrow(/tableau 'test-heun': Σ bError = .*, not 0/);
  });

  it('rejects mismatched stage counts, c[0] ≠ 0 and ragged rows', () => {
    expect(() => defineTableau({ ...GOOD, b: [1] })).toThrow(/must have 2 stages/);
    expect(() => defineTableau({ ...GOOD, c: [0.1, 1], a: [[], [1]] })).toThrow(/c\[0\] must be 0/);
    expect(() => defineTableau({ ...GOOD, a: [[], [0.5, 0.5]] })).toThrow(/row 1 of A must have 1 entries/);
    expect(() => defineTableau({ ...GOOD, bError: [0] })).toThrow(/bError must have 2 entries/);
  });

  it('rejects dense output that does not reach y1 at θ = 1', () => {
    expect(() =>
      defineTableau({
        ...GOOD,
        dense: [
          [0, 0.5],
          [0, 0.4],
        ],
      }),
    ).toThrow(/dense polynomial 1 at θ = 1/);
    expect(() =>
      defineTableau({
        ...GOOD,
        dense: [
          [0.1, 0.4],
          [0, 0.5],
        ],
      }),
    ).toThrow(/dense polynomial 0 is not 0 at θ = 0/);
  });
});

describe('every exported tableau (conditions recomputed here)', () => {
  it('has the expected names, orders and FSAL flags', () => {
    expect(ALL.map((t) => [t.name, t.order, t.errorOrder, t.fsal])).toEqual([
      ['euler', 1, undefined, false],
      ['heun', 2, 2, false],
      ['midpoint', 2, 2, false],
      ['ralston', 2, 2, false],
      ['bosh3', 3, 3, true],
      ['rk4', 4, undefined, false],
      ['tsit5', 5, 5, true],
      ['dopri5', 5, 5, true],
      ['dopri8', 8, 8, true],
    ]);
  });

  for (const t of ALL) {
    describe(t.name, () => {
      const s = t.c.length;
      it('is explicit with c[0] = 0 and rows of A summing to c (|residual| ≤ 1e-12)', () => {
        expect(t.c[0]).toBe(0);
        expect(t.a.length).toBe(s);
        t.a.forEach((row, i) => {
          expect(row.length).toBe(i);
          expect(Math.abs(sum(row) - (t.c[i] as number))).toBeLessThanOrEqual(1e-12);
        });
      });

      it('has Σb = 1 and Σ bError = 0 (≤ 1e-12)', () => {
        expect(t.b.length).toBe(s);
        expect(Math.abs(sum(t.b) - 1)).toBeLessThanOrEqual(1e-12);
        if (t.bError) {
          expect(t.bError.length).toBe(s);
          expect(Math.abs(sum(t.bError))).toBeLessThanOrEqual(1e-12);
        }
      });

      it(`satisfies the order conditions up to order ${Math.min(t.order, 4)} (≤ 1e-9)`, () => {
        for (const [p, r] of orderResiduals(t, t.b)) {
          if (p <= t.order) expect(Math.abs(r), `order-${p} condition`).toBeLessThanOrEqual(1e-9);
        }
      });

      if (t.bError && t.errorOrder !== undefined) {
        const embedded = t.errorOrder - 1;
        it(`has an embedded method of order ${embedded} (b̂ = b − bError) that is not of order ${t.order}`, () => {
          const bhat = t.b.map((b, i) => b - (t.bError?.[i] as number));
          const res = orderResiduals(t, bhat);
          for (const [p, r] of res) {
            if (p <= Math.min(embedded, 4)) expect(Math.abs(r), `embedded order-${p}`).toBeLessThanOrEqual(1e-9);
          }
          if (embedded < 4) {
            const higher = res.filter(([p]) => p === embedded + 1).map(([, r]) => Math.abs(r));
            expect(Math.max(...higher)).toBeGreaterThan(1e-6);
          }
        });
      }

      it('is FSAL exactly when its last stage is f(t1, y1)', () => {
        const last = t.a[s - 1] as readonly number[];
        const fsal = s > 1 && t.c[s - 1] === 1 && t.b[s - 1] === 0 && last.every((v, j) => v === t.b[j]);
        expect(t.fsal).toBe(fsal);
      });

      it('has dense output from y0 (θ = 0) to y1 (θ = 1) that is consistent (Σ Pᵢ(θ) = θ, Σ Pᵢ(θ)cᵢ = θ²/2)', () => {
        const rows = t.dense.length;
        expect(rows).toBe(s + (t.denseNeedsF1 ? 1 : 0));
        const cc = t.denseNeedsF1 ? [...t.c, 1] : [...t.c];
        t.dense.forEach((p, i) => {
          expect(Math.abs(polyEval(p, 0))).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(polyEval(p, 1) - (i < s ? (t.b[i] as number) : 0))).toBeLessThanOrEqual(1e-7);
        });
        for (const theta of [0.1, 0.25, 0.5, 0.8]) {
          const w = t.dense.map((p) => polyEval(p, theta));
          expect(Math.abs(sum(w) - theta)).toBeLessThanOrEqual(1e-7);
          if (t.order >= 2) expect(Math.abs(dot(w, cc) - theta ** 2 / 2)).toBeLessThanOrEqual(1e-7);
        }
      });
    });
  }
});

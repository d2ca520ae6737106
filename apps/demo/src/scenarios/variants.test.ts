import { modelFromEquations } from '@odekit/observables';
import { parseExpression } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { drawVariant, LV_KINDS, rescaled, VARIANT_KINDS, type Variant, variantRhs } from './variants.js';

describe('drawVariant', () => {
  it('cycles through the kinds, draws the same variant for a seed, and stays in the ranges the issue names', () => {
    for (let seed = 0; seed < 16; seed++) {
      const v = drawVariant(seed);
      expect(v.kind).toBe(VARIANT_KINDS[seed % VARIANT_KINDS.length]);
      expect(JSON.stringify(drawVariant(seed))).toBe(JSON.stringify(v));
      expect(v.noise).toBeGreaterThanOrEqual(0.01);
      expect(v.noise).toBeLessThanOrEqual(0.05);
      const points = v.times.points * v.initial.length;
      expect(points).toBeGreaterThanOrEqual(30);
      expect(points).toBeLessThanOrEqual(101);
      // The model loads (equations parse, networks called with their inputs).
      const model = modelFromEquations(v.model as never);
      expect(Object.keys(model.networks).sort()).toEqual(Object.keys(v.truth.missing).sort());
    }
  });
  it("states a truth whose missing terms are what the model's networks stand in for", () => {
    // holling2/both: r' = alpha*r [- k*r^2] + NN1, c' = -gamma*c + NN2
    const v = drawVariant(2);
    const f = variantRhs(v);
    const p = v.truth.parameters;
    const at = { r: Float64Array.of(1.3), c: Float64Array.of(0.7) };
    const nn1 = parseExpression(v.truth.missing.NN1 as string).evaluate(at)[0] as number;
    const nn2 = parseExpression(v.truth.missing.NN2 as string).evaluate(at)[0] as number;
    const [dr, dc] = f(0, [1.3, 0.7]);
    expect(dr).toBeCloseTo((p.alpha as number) * 1.3 - (p.k ?? 0) * 1.69 + nn1, 2);
    expect(dc).toBeCloseTo(-(p.gamma as number) * 0.7 + nn2, 2);
  });
  it("draws the Lotka–Volterra family: the truth's missing terms are exactly what the model leaves out", () => {
    // The model with each network replaced by its missing term, evaluated at the truth's known
    // rates, must be the truth's right-hand side at any state: nothing lost, nothing counted twice.
    const known: Record<string, string> = { alpha: 'alpha', kappa: 'k', gamma: 'gamma', beta: 'a', delta: 'b' };
    for (let seed = 0; seed < 9; seed++) {
      const v: Variant = drawVariant(seed, 'lv');
      expect(v.kind).toBe(LV_KINDS[seed % LV_KINDS.length]);
      expect(v.truth.equations.r).toMatch(/a\*r\*c/);
      expect(v.noise).toBeGreaterThanOrEqual(0.01);
      expect(v.noise).toBeLessThanOrEqual(0.05);
      expect(v.times.points * v.initial.length).toBeGreaterThanOrEqual(30);
      expect(v.times.points * v.initial.length).toBeLessThanOrEqual(101);
      const p = v.truth.parameters;
      const values = Object.fromEntries(
        Object.entries(known).map(([m, t]) => [m, Float64Array.of((p[t] as number) ?? Number.NaN)]),
      );
      const f = variantRhs(v);
      for (const [r, c] of [
        [1.3, 0.7],
        [0.4, 2.1],
      ] as const) {
        const at = { ...values, r: Float64Array.of(r), c: Float64Array.of(c) };
        const filled = (text: string) =>
          text.replace(/([A-Za-z0-9]+)\(r, c\)/g, (_m, name: string) => `(${v.truth.missing[name] as string})`);
        const [dr, dc] = f(0, [r, c]);
        expect(parseExpression(filled(v.model.equations.r)).evaluate(at)[0]).toBeCloseTo(dr as number, 2);
        expect(parseExpression(filled(v.model.equations.c)).evaluate(at)[0]).toBeCloseTo(dc as number, 2);
      }
    }
    expect(drawVariant(2, 'lv').model.equations.c).toBe('-gamma*c + NN(r, c)');
  });
  it('refuses a bad seed or family', () => {
    expect(() => drawVariant(-1)).toThrow(/seed must be an integer >= 0/);
    expect(() => drawVariant(0, 'odd' as never)).toThrow(/family must be 'all', 'lv' or 'units'/);
    expect(() => rescaled(drawVariant(1), { time: 2, r: 3, c: 4 })).toThrow(/no units known for parameter 'h'/);
  });
  it('restates a Lotka–Volterra variant in other units: the same dynamics, every rate in the new numbers', () => {
    const s = { time: 7, r: 20, c: 0.3 };
    for (let seed = 0; seed < 6; seed++) {
      const v = drawVariant(seed, 'lv');
      const w = rescaled(v, s);
      expect(w.scales).toEqual(s);
      expect(Math.abs(w.times.t1 / (v.times.t1 * 7) - 1)).toBeLessThan(5e-3);
      const [f, g] = [variantRhs(v), variantRhs(w)];
      for (const [r, c] of [
        [1.3, 0.7],
        [0.4, 2.1],
      ] as const) {
        // r̂ = 20·r, ĉ = 0.3·c, t̂ = 7·t: dr̂/dt̂ = (20/7)·dr/dt (3 digits in each rounded rate).
        const [dr, dc] = f(0, [r, c]) as [number, number];
        const [dR, dC] = g(0, [20 * r, 0.3 * c]) as [number, number];
        expect(Math.abs(dR - (20 / 7) * dr)).toBeLessThan(5e-3 * (20 / 7) * (Math.abs(dr) + 1));
        expect(Math.abs(dC - (0.3 / 7) * dc)).toBeLessThan(5e-3 * (0.3 / 7) * (Math.abs(dc) + 1));
        // The missing terms are restated: the model with each network filled in is the new truth.
        const known: Record<string, string> = { alpha: 'alpha', kappa: 'k', gamma: 'gamma', beta: 'a', delta: 'b' };
        const p = w.truth.parameters;
        const at = {
          ...Object.fromEntries(Object.entries(known).map(([m, t]) => [m, Float64Array.of(p[t] ?? Number.NaN)])),
          r: Float64Array.of(20 * r),
          c: Float64Array.of(0.3 * c),
        };
        const filled = (text: string) =>
          text.replace(/([A-Za-z0-9]+)\(r, c\)/g, (_m, name: string) => `(${w.truth.missing[name] as string})`);
        expect(parseExpression(filled(w.model.equations.r)).evaluate(at)[0]).toBeCloseTo(dR, 6);
        expect(parseExpression(filled(w.model.equations.c)).evaluate(at)[0]).toBeCloseTo(dC, 6);
      }
    }
    // The units family is the lv draw of the same seed in units it draws within the stated decades.
    for (let seed = 0; seed < 6; seed++) {
      const u = drawVariant(seed, 'units');
      expect(u.kind).toBe(LV_KINDS[seed % 3]);
      expect(JSON.stringify(u)).toBe(JSON.stringify(rescaled(drawVariant(seed, 'lv'), u.scales as never)));
      const sc = u.scales as { time: number; r: number; c: number };
      expect(sc.time).toBeGreaterThanOrEqual(0.25);
      expect(sc.time).toBeLessThanOrEqual(20);
      for (const x of [sc.r, sc.c]) {
        expect(x).toBeGreaterThanOrEqual(0.1);
        expect(x).toBeLessThanOrEqual(40);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { judgeEquation, termFamily } from './discovery-judge.js';

const family = 'alpha*r - k*r^2 - a*r*c/(1 + h*r)';
const truth = { alpha: 1, k: 0.2, a: 1, h: 0.5 };
const box = { r: [0.2, 5], c: [0.2, 3] } as const;

describe('judgeEquation', () => {
  it('accepts the family written another way, with constants within 5 %', () => {
    const j = judgeEquation({ found: 'r - 0.2*r^2 - 2.04*c*r/(r + 2.02)', family, truth, box });
    expect(j.ok).toBe(true);
    expect(j.residual).toBeLessThan(1e-6);
    expect(j.fitted.a).toBeCloseTo(1.01, 2);
    expect(j.fitted.h).toBeCloseTo(0.495, 3);
  });
  it('rejects constants off by more than 5 %', () => {
    const j = judgeEquation({ found: 'r - 0.2*r^2 - 0.9*c*r/(0.5*r + 1)', family, truth, box });
    expect(j.ok).toBe(false);
    expect(j.residual).toBeLessThan(1e-6);
    expect(j.constantError).toBeCloseTo(0.1, 3);
  });
  it('rejects a look-alike of another form and an extra term', () => {
    const look = judgeEquation({ found: 'r - 0.2*r^2 - 0.405*c - 0.326*c*r', family, truth, box });
    expect(look.ok).toBe(false);
    expect(look.residual).toBeGreaterThan(0.01);
    // 0.01 % of the equation's size beside the true form: not the same form

    const extra = judgeEquation({ found: 'r - 0.2*r^2 - c*r/(0.5*r + 1) + 0.001*c^2', family, truth, box });
    expect(extra.ok).toBe(false);
    expect(extra.residual).toBeGreaterThan(1e-4);
    expect(extra.found).toBe(3);
  });
  it('fails an equation that still calls a network', () => {
    expect(judgeEquation({ found: 'r + NN(r, c)', family, truth, box }).ok).toBe(false);
  });
});

describe('termFamily', () => {
  const box = { r: [0.3, 4], c: [0.3, 3] } as const;
  it('names every number of a missing term but integer exponents, and judges network terms with it', () => {
    expect(termFamily('-0.616*c*r')).toEqual({ family: '-p0*c*r', truth: { p0: 0.616 } });
    expect(termFamily('0.299*c^2 - 0.0998*c^3')).toEqual({
      family: 'p0*c^2 - p1*c^3',
      truth: { p0: 0.299, p1: 0.0998 },
    });
    const t = termFamily('-0.616*c*r');
    expect(judgeEquation({ found: '-0.63*c*r', ...t, box }).ok).toBe(true);
    expect(judgeEquation({ found: '-0.575*c*r', ...t, box }).ok).toBe(false); // 6.7 % off
    expect(judgeEquation({ found: '-1.05*c*r^2', ...t, box }).ok).toBe(false);
  });
});

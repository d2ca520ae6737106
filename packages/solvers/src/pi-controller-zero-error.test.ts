import { describe, expect, it } from 'vitest';
import { pidController } from './controllers.js';

describe('a PI controller after a step with zero error estimate', () => {
  it('treats the zero error as neutral for the P term (Diffrax), not as a reason to shrink', () => {
    const c = pidController({ rtol: 1e-6, atol: 1e-6, pcoeff: 0.4, icoeff: 0.3 });
    const first = c.adapt(0.1, 0, 5, c.initialState());
    expect(first.accept).toBe(true);
    expect(first.dtNext).toBeCloseTo(1, 12); // factormax
    const second = c.adapt(0.1, 0.5, 5, first.state);
    expect(second.accept).toBe(true);
    // safety · (1/0.5)^(0.7/5) · 1^(−0.4/5): the step stays about the same size
    expect(second.dtNext).toBeCloseTo(0.1 * 0.9 * 2 ** (0.7 / 5), 12);
  });
});

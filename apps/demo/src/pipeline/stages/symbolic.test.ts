import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../types.js';
import { knownTerms, knownTermsWithParameters, networkCalls } from './symbolic.js';

describe('knownTerms', () => {
  const lv = (c: string, r = 'alpha*r - beta*r*c'): ModelSpec => ({
    states: ['r', 'c'],
    parameters: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
    equations: { r, c },
  });
  it('lists the trainable terms beside the network in its equation, parameters set to 1', () => {
    const spec = lv('-gamma*c + delta*r*c + NN(r, c)');
    const [call] = networkCalls(spec, ['NN']);
    expect(knownTerms(spec, call as never, ['NN']).map(String)).toEqual(['-c', 'c*r']);
  });
  it('lists none for a network in two equations (a share of one would change the other)', () => {
    const spec = lv('-gamma*c + delta*F(r, c)', 'alpha*r - F(r, c)');
    const [call] = networkCalls(spec, ['F']);
    expect(knownTerms(spec, call as never, ['F'])).toEqual([]);
  });
  it('names the one parameter each known term is linear in, none for a term with two or a nonlinear one', () => {
    const spec: ModelSpec = {
      states: ['r', 'c'],
      parameters: { gamma: 1, delta: 1, h: 1, kappa: 1 },
      equations: { r: 'r', c: '-gamma*c + delta*r*c/(1 + h*r) - c^kappa - kappa*c^2 + NN(r, c)' },
    };
    const [call] = networkCalls(spec, ['NN']);
    const k = knownTermsWithParameters(spec, call as never, ['NN']);
    expect(k.map((t) => [t.term.toString(), t.parameter])).toEqual([
      ['-c', { name: 'gamma', sign: 1 }],
      ['c*r/(r + 1)', undefined],
      ['c', undefined],
      ['c^2', { name: 'kappa', sign: -1 }],
    ]);
  });
});

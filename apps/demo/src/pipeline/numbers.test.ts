import { describe, expect, it } from 'vitest';
import { equationWithNumbers, roundTo, tidyNumbers } from './numbers.js';

describe('tidyNumbers', () => {
  it('writes long numbers in a message to 4 significant digits, leaving short ones and identifiers alone', () => {
    expect(tidyNumbers('everything, Adam: completed 300 steps; final loss 0.0028419827576726675.')).toBe(
      'everything, Adam: completed 300 steps; final loss 0.002842.',
    );
    expect(tidyNumbers('NN1_c0 = -0.90123456, x2.345678, 1.5, 3 steps, 1.2345678e-5')).toBe(
      'NN1_c0 = -0.9012, x2.345678, 1.5, 3 steps, 0.00001235',
    );
    expect(roundTo(-0.000012345, 2)).toBe(-0.000012);
  });
});

describe('equationWithNumbers', () => {
  it('rounds the constants that simplifying folds together (held-out variant seed 1 printed 4.7143999999999995)', () => {
    const e = equationWithNumbers('-gamma*c + delta*F(r, c)', { gamma: 2.0213, delta: 3.3199, F_c0: 1.42 }, 3);
    expect(e.toString()).toBe('3.32*F(r, c) - 2.02*c');
    const folded = equationWithNumbers('delta*(a + 1)', { delta: 3.32, a: 0.42 }, 3);
    expect(folded.toString()).toBe('4.71');
    expect(equationWithNumbers('k*x^2', { k: 0.12345 }, 2).toString()).toBe('0.12*x^2');
    expect(equationWithNumbers('-gamma*c + F1_c0*r*r/(r*r)', { gamma: 0.74, F1_c0: 1.86 }, 3).toString()).toBe(
      '1.86 - 0.74*c',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { roundTo, tidyNumbers } from './numbers.js';

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

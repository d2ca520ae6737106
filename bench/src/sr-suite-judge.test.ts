import { describe, expect, it } from 'vitest';
import { judgeString } from './sr-suite-judge.js';

const P: [number, number] = [0.1, 5];

describe("the SR-suite's judge", () => {
  it('recovers the truth and its algebraic rearrangements, with constants within 1 %', () => {
    expect(judgeString('0.5001*x*y', '0.5*x*y', { x: P, y: P })).toEqual({ recovered: true });
    expect(judgeString('2*x/(x + 0.6998)', '2*x/(0.7 + x)', { x: P, w: P })).toEqual({ recovered: true });
    // Holling III written with a negative power, its exponent 0.25 % off
    expect(judgeString('1.3334*y/(x^-2.005 + 0.6672)', '2*x^2*y/(1.5 + x^2)', { x: P, y: P })).toEqual({
      recovered: true,
    });
  });

  it('refuses constants off by more than 1 %, a wrong form and an unused input', () => {
    expect(judgeString('0.52*x*y', '0.5*x*y', { x: P, y: P })).toEqual({ recovered: false, reason: 'constants' });
    expect(judgeString('0.5*x*sqrt(y)', '0.5*x*y', { x: P, y: P })).toEqual({ recovered: false, reason: 'form' });
    expect(judgeString('2*x/(x + 0.7 + 0.001*w)', '2*x/(0.7 + x)', { x: P, w: P }).reason).toBe('inputs');
  });

  it('recovers an exact rearrangement whose constant another form could do without', () => {
    // setting the 2 to 0 and refitting the rest gives 2.5/(x^-2 + 1.25), also the truth
    expect(judgeString('2 - 1.6013/(x^2.001 + 0.801)', '2*x^2/(0.8 + x^2)', { x: [0, 4], w: P })).toEqual({
      recovered: true,
    });
    expect(judgeString('1.49997 - 3.0003/(x^3.0004 + 2.00034)', '1.5*x^3/(2 + x^3)', { x: [0, 4] })).toEqual({
      recovered: true,
    });
  });

  it('refuses an extra term, however small on the data (the refit would set its constant to 0)', () => {
    // what the network condition returned for E01 and E06 before this rule: both passed (3) and (4)
    expect(judgeString('0.499*(0.015/y + y)*x', '0.5*x*y', { x: P, y: P })).toEqual({
      recovered: false,
      reason: 'extra-term',
    });
    expect(
      judgeString('6.515*x*(y/((x + 1.832)*(y + 3.57)) + 0.00286) - 0.014', 'x*y/((1 + 0.5*x)*(1 + 0.3*y))', {
        x: P,
        y: P,
      }),
    ).toEqual({ recovered: false, reason: 'extra-term' });
    // the same two without the extra terms are recovered
    expect(judgeString('0.499*y*x', '0.5*x*y', { x: P, y: P }).recovered).toBe(true);
    expect(
      judgeString('6.667*x*y/((x + 2)*(y + 3.3333))', 'x*y/((1 + 0.5*x)*(1 + 0.3*y))', { x: P, y: P }).recovered,
    ).toBe(true);
  });
});

import { disposeTree } from '@odekit/core';
import { type Expression, parseExpression } from '@odekit/symbolic';
import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { formOf } from '../discover.js';
import { buildModel } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { context, lvData, P, SPEC } from './lv-fixture.js';
import {
  chiSquareQuantile,
  chiSquareTail,
  jointChoice,
  margin,
  simplestAcceptable,
  simplestCombination,
  type Tried,
  zeroedVariants,
} from './refit.js';
import type { NetworkDiscovery } from './symbolic.js';

describe('zeroedVariants', () => {
  it('sets each free constant to 0 in turn and keeps the simpler results that still use a variable', () => {
    const v = zeroedVariants(parseExpression('(1/(x1 + 1) - 0.000138)*x1')).map(String);
    expect(v).toContain('x1/(x1 + 1)');
    expect(zeroedVariants(parseExpression('-0.9*r*c')).map(String)).toEqual([]);
    // A variant that is a constant once its factors cancel is not kept (`1.86*r*r/(r*r)` is `1.86`).
    expect(zeroedVariants(parseExpression('(1.86*r*r + 0.5*r)/(r*r)')).map(String)).toEqual(['0.5*r/(r*r)']);
    // Integer exponents are not constants to drop.
    expect(zeroedVariants(parseExpression('0.3*c^2 - 0.1*c^3')).map(String).sort()).toEqual(['-0.1*c^3', '0.3*c^2']);
  });
});

describe('margin', () => {
  it('is an F-test-like relative loss margin: 4 per dropped constant over the observed values, at least 5 %; with as many constants, 2 over them (AIC), at least 1 %', () => {
    expect(margin(1, 62)).toBeCloseTo(4 / 62, 12);
    expect(margin(2, 62)).toBeCloseTo(8 / 62, 12);
    expect(margin(0, 62)).toBeCloseTo(2 / 62, 12);
    expect(margin(0, 1000)).toBe(0.01);
    expect(margin(1, 1000)).toBe(0.05);
  });
});

describe('chiSquareTail and chiSquareQuantile', () => {
  it('match the tables (Abramowitz & Stegun 26.8) to 4 digits', () => {
    expect(chiSquareQuantile(1, 0.05)).toBeCloseTo(3.8415, 3);
    expect(chiSquareQuantile(2, 0.05)).toBeCloseTo(5.9915, 3);
    expect(chiSquareQuantile(3, 0.01)).toBeCloseTo(11.3449, 3);
    expect(chiSquareQuantile(5, 0.05)).toBeCloseTo(11.0705, 3);
    expect(chiSquareTail(9.2103, 2)).toBeCloseTo(0.01, 5);
    expect(chiSquareTail(0, 3)).toBe(1);
  });
});

describe('margin among many candidates', () => {
  it('divides the 5 % level among the candidates compared (Bonferroni) where that is stricter than 4 per constant', () => {
    // one candidate compared: 4 per constant, as before
    expect(margin(1, 62, 1)).toBeCloseTo(4 / 62, 12);
    // 13 candidates: two constants must buy chi-square(2) at 0.05/13 = 10.96 over 62 values (17.7 %)
    expect(margin(2, 62, 13)).toBeCloseTo(chiSquareQuantile(2, 0.05 / 13) / 62, 12);
    expect(margin(2, 62, 13)).toBeGreaterThan(0.17);
    // with many constants 4 per constant stays the stricter
    expect(margin(5, 62, 13)).toBeCloseTo(20 / 62, 12);
  });
  it('keeps the true c*r over a 3-constant polynomial that the noise favours 13 % (UDE scenario, 1 % noise, seed 3)', () => {
    const t = (expr: string, loss: number) => ({ expr: parseExpression(expr), loss }) as unknown as Tried;
    const rc = t('0.7161*c*r', 0.00006516);
    const tried = [
      t('0.2073*c', 0.0002888),
      rc,
      t('0.9699*c*r - 0.07185*c^2*r', 0.00006422),
      t('c*r/(0.6401*c*r - 0.1525*c + 1.2)', 0.0000601),
      t('0.08979*c^2 - 0.1077*c^2*r + 0.08539', 0.00005759),
      ...Array.from({ length: 8 }, (_, i) => t(`${0.1 + i}*r^2`, 0.004)),
    ];
    expect(simplestAcceptable(tried, 62)).toBe(rc);
    // against the polynomial alone it loses (8 per two constants: 12.9 %)
    expect(simplestAcceptable([rc, tried[4] as Tried], 62)).not.toBe(rc);
  });
});

describe('simplestAcceptable', () => {
  const t = (expr: string, loss: number) => ({ expr: parseExpression(expr), loss }) as unknown as Tried;
  it('takes the fewest constants within the margin, then the lowest loss among those (a smaller tree only within the tie margin)', () => {
    // 5 % noise on the UDE scenario (seed 1): c and c*r both within the margin of the 6-constant best.
    const tried = [
      t('0.2246*c', 0.001173),
      t('0.6683*c*r', 0.001086),
      t('0.2086*c + 0.07684*r', 0.001078),
      t('0.2471*c - 0.001549*c^3 + 0.1053*r + 0.007336*r^2 - 0.001933*r^3 - 0.05019', 0.001023),
    ];
    const best = tried[3] as Tried;
    expect(simplestAcceptable(tried, 62).expr.toString()).toBe('0.6683*c*r');
    expect(simplestAcceptable([t('0.2246*c', 0.00109), ...tried.slice(1)], 62).expr.toString()).toBe('0.2246*c');
    // Beyond the margin a simpler candidate loses: the best stays.
    expect(simplestAcceptable([t('0.6683*c*r', 0.002), best], 62)).toBe(best);
  });
  it('with as many constants, takes the smaller tree within 2 per observed value of the lowest loss', () => {
    // A held-out variant (seed 28 of --family lv: 37 points, 4.75 % noise): c*r^2 fits 1.1 % better
    // than the true c*r, which the noise decides on 74 values (2/74 = 2.7 %).
    const rc = t('-0.7664*c*r', 0.001644);
    const rrc = t('-1.053*c*r^2', 0.001626);
    expect(simplestAcceptable([rrc, rc], 74)).toBe(rc);
    // With 1000 values the margin is 1 %, and the better fit stays.
    expect(simplestAcceptable([rrc, rc], 1000)).toBe(rrc);
  });
});

describe('simplestCombination', () => {
  const c = (loss: number, ...exprs: string[]) => ({ exprs: exprs.map((x) => parseExpression(x)), loss });
  it('takes the fewest constants summed over the networks within the margin, then the lowest loss', () => {
    // A held-out variant (seed 6 of --family lv): the sequential choice, 3 constants, against the
    // true pair refit together, 2 constants and a lower loss.
    const sequential = c(0.003029, '-0.1079*c^2*r', '0.06097*c*r + 0.7073*r - 1.909');
    const pair = c(0.002411, '-0.5476*c*r', '0.3493*c*r');
    expect(simplestCombination([sequential, pair, c(0.00335, '-0.5476*c*r', '0.06141*c*r^2')], 54)).toBe(pair);
    // Within the margin of the best for the constant it saves, the simpler combination still wins.
    expect(simplestCombination([c(0.0023, '-0.1*c^2*r', '0.2*c*r + 0.3*r'), pair], 54)).toBe(pair);
    expect(simplestCombination([c(0.002, '-0.1*c^2*r', '0.2*c*r + 0.3*r'), pair], 54)).not.toBe(pair);
  });
  it('on a tie in constants and loss (within the tie margin) takes the smaller trees, the first given on an exact tie', () => {
    // Diffrax's example, seed 1: both have 4 constants and the same loss to 4 digits; the sequential
    // choice's trees are smaller (the other carries an `x1*x1` that the data set near zero).
    const sequential = c(0.00001595, 'x1/(1.001*x1 + 1.002)', '-1.13*x0/(x0 + 1.12)');
    const other = c(0.000015949, 'x1/(x1 + 0.205*x1*x1 + 0.9562)', '-1.13*x0/(x0 + 1.12)');
    expect(simplestCombination([sequential, other], 62)).toBe(sequential);
    expect(simplestCombination([other, sequential], 62)).toBe(sequential);
    const twin = c(0.00001595, 'x1/(1.001*x1 + 1.002)', '-1.13*x0/(x0 + 1.12)');
    expect(simplestCombination([sequential, twin], 62)).toBe(sequential);
  });
});

describe('jointChoice', () => {
  // Lotka–Volterra with a network for each interaction term (1 % noise, two trajectories).
  const data = lvData(0.01);
  const model = buildModel(SPEC, DEFAULT_SETTINGS, 0);
  const discovery = (name: string) =>
    ({ call: { name, args: ['r', 'c'], variables: ['r', 'c'] } }) as unknown as NetworkDiscovery;
  const found = [discovery('NN1'), discovery('NN2')];
  const e = (s: string) => parseExpression(s);
  // What each network's candidates scored when judged one at a time (the others still networks).
  const triedBy = new Map([
    [
      'NN1',
      [
        { expr: e('-0.1*c^2*r'), loss: 1e-3 },
        { expr: e('-0.8*c*r'), loss: 2e-3 },
        { expr: e('0.2*c - 0.9*c*r'), loss: 1e-3 },
      ],
    ],
    [
      'NN2',
      [
        { expr: e('0.6*c*r'), loss: 2e-3 },
        { expr: e('0.3*r - 0.5'), loss: 1e-3 },
        { expr: e('0.05*c*r + 0.7*r - 1.9'), loss: 1e-3 },
      ],
    ],
  ]);
  it("refits the combinations of each network's simplest candidates together and takes the true pair over a sequential choice that fits worse", async () => {
    await expectNoLeak(async () => {
      const params = model.initParams();
      const sequential = new Map([
        ['NN1', e('-0.1*c^2*r')],
        ['NN2', e('0.05*c*r + 0.7*r - 1.9')],
      ]);
      const joint = await jointChoice(model, params, found, triedBy, sequential, 1e-3, 200, context(data));
      const out = joint?.choice;
      expect(out).toBeDefined();
      if (out !== undefined) {
        expect(formOf(out.exprs.get('NN1') as Expression)).toBe('-#*c*r');
        expect(formOf(out.exprs.get('NN2') as Expression)).toBe('#*c*r');
        // the fitted constants are the truth's (beta 0.9, delta 0.7) within 3 %
        expect(Math.abs((out.params.physics.NN1_c0?.dataSync()[0] as number) / -P.beta - 1)).toBeLessThan(0.03);
        expect(Math.abs((out.params.physics.NN2_c0?.dataSync()[0] as number) / P.delta - 1)).toBeLessThan(0.03);
        expect(joint?.said).toMatch(/^NN1, NN2 together: .* → -\S+\*c\*r, \S+\*c\*r$/);
        disposeTree(out.params);
      }
      // When the sequential choice is the true pair, nothing else beats it: no choice, nothing kept.
      const right = new Map([
        ['NN1', e('-0.8*c*r')],
        ['NN2', e('0.6*c*r')],
      ]);
      const kept = await jointChoice(model, params, found, triedBy, right, 1.05e-4, 200, context(data));
      expect(kept?.choice).toBeUndefined();
      expect(kept?.said).toMatch(/→ -0\.8\*c\*r, 0\.6\*c\*r \(the sequential choice\)$/);
      disposeTree(params);
    });
  }, 120_000);
});

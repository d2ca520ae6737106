import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { evaluateRhs, evaluateRhsTensor, parseRhs } from './index.js';

const ev = (src: string, env: Record<string, number> = {}) => evaluateRhs(parseRhs(src), env);

describe('parseRhs', () => {
  it('follows precedence: unary minus binds looser than ^', () => {
    expect(ev('-y0^2', { y0: 3 })).toBe(-9);
    expect(parseRhs('-y0^2')).toEqual({
      kind: 'neg',
      arg: { kind: 'bin', op: '^', left: { kind: 'var', name: 'y0' }, right: { kind: 'num', value: 2 } },
    });
    expect(ev('(-y0)^2', { y0: 3 })).toBe(9);
    expect(ev('2^-1')).toBe(0.5);
    expect(ev('--2')).toBe(2);
    expect(ev('+3')).toBe(3);
  });

  it('^ is right-associative', () => {
    expect(ev('2^3^2')).toBe(512);
    expect(ev('(2^3)^2')).toBe(64);
  });

  it('* / bind tighter than + −, and both are left-associative', () => {
    expect(ev('1+2*3')).toBe(7);
    expect(ev('8/4/2')).toBe(1);
    expect(ev('10-4-3')).toBe(3);
    expect(ev('y0/4*(1-y0/20)', { y0: 10 })).toBe(1.25);
    expect(ev('-y0^3/2', { y0: 2 })).toBe(-4);
    expect(ev('2*(y0-y0*y1)', { y0: 1, y1: 3 })).toBe(-4);
  });

  it('reads numbers in all forms, whitespace, t and functions', () => {
    expect(ev('1e4')).toBe(1e4);
    expect(ev('3e-7 * 1E+2')).toBeCloseTo(3e-5, 20);
    expect(ev('.5 + 1.')).toBe(1.5);
    expect(ev('  y0 *  t ', { y0: 2, t: 4 })).toBe(8);
    expect(ev('exp(0) + log(1) + sin(0) + cos(0) + sqrt(16) + abs(-2)')).toBe(8);
    expect(ev('y0*cos(t)', { y0: 2, t: Math.PI })).toBeCloseTo(-2, 14);
    expect(ev('exp(-(1+1))')).toBe(Math.exp(-2));
  });

  it('reports malformed input with the position', () => {
    expect(() => parseRhs('y0 +')).toThrow(
      "parseRhs: at position 4 of 'y0 +': expected a number, a variable, a function or (, found end of input",
    );
    expect(() => parseRhs('(y0')).toThrow(/at position 3 .*expected '\)', found end of input/);
    expect(() => parseRhs('y0 y1')).toThrow(/at position 3 .*expected an operator or end of input, found 'y'/);
    expect(() => parseRhs('exp y0')).toThrow(/at position 4 .*expected '\(' after function 'exp'/);
    expect(() => parseRhs('2 $ 3')).toThrow(/at position 2 .*found '\$'/);
    expect(() => parseRhs('')).toThrow(/at position 0 .*found end of input/);
    expect(() => parseRhs('sin(y0')).toThrow(/at position 6 .*expected '\)'/);
    expect(() => parseRhs('y0*)')).toThrow(/at position 3 .*found '\)'/);
  });

  it('evaluates with tensors like float64 and names unknown variables', () => {
    const node = parseRhs('-y0^2 + 2^3^2 * y1 - exp(y1)/y0');
    const y0 = tf.tensor1d([1.5, -2]);
    const y1 = tf.tensor1d([0.25, 1]);
    const out = tf.tidy(() => evaluateRhsTensor(node, { y0, y1, t: 0 }));
    const expected = [
      [1.5, 0.25],
      [-2, 1],
    ].map(([a, b]) => evaluateRhs(node, { y0: a as number, y1: b as number }));
    expect(out).toBeAllclose(expected, { rtol: 1e-6 });
    expect(() => evaluateRhs(parseRhs('z+1'), {})).toThrow(/evaluateRhs: unknown variable 'z'/);
    expect(() => evaluateRhsTensor(parseRhs('z+1'), {})).toThrow(/evaluateRhsTensor: unknown variable 'z'/);
    tf.dispose([y0, y1, out]);
  });
});

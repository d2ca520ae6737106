import { describe, expect, it } from 'vitest';
import { checkSpecText, specPath } from './spec-check.js';

const good = `{
  "states": ["r", "c"],
  "parameters": { "alpha": 1, "gamma": 1 },
  "equations": {
    "r": "alpha*r - r*c",
    "c": "-gamma*c + NN(r, c)"
  }
}`;

describe('checkSpecText', () => {
  it('passes a good spec and typesets its equations with the network call', () => {
    const { issues, equationsLatex } = checkSpecText(good);
    expect(issues).toEqual([]);
    expect(equationsLatex.c).toMatch(/NN/);
    expect(equationsLatex.c).toMatch(/gamma/);
  });

  it('places a JSON syntax error at its line', () => {
    const { issues } = checkSpecText(good.replace('"c"],', '"c"]'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3 });
    expect(issues[0]?.message).toMatch(/^model: line 3, column 3: expected , or }/);
  });

  it('places a broken equation at its line and column', () => {
    const { issues } = checkSpecText(good.replace('"-gamma*c + NN(r, c)"', '"-gamma*c + * NN(r, c)"'));
    expect(issues).toHaveLength(1);
    // line 6 is `    "c": "-gamma*c + * NN(r, c)"`: the value's quote is at column 10, the '*' at 22
    expect(issues[0]).toMatchObject({ line: 6, column: 22 });
    expect(issues[0]?.message).toMatch(/^line 6, column 22: equations.c: expected .* at position 11/);
  });

  it('names unknown symbols and wrong network arity at their line, as the command does', () => {
    const unknown = checkSpecText(good.replace('alpha*r - r*c', 'alpha*r - kappa*r*c'));
    expect(unknown.issues).toHaveLength(1);
    expect(unknown.issues[0]?.line).toBe(5);
    expect(unknown.issues[0]?.message).toMatch(/kappa/);
    const extraKey = checkSpecText(good.replace('"states"', '"stats": 1,\n  "states"'));
    expect(extraKey.issues[0]?.line).toBe(2);
    expect(extraKey.issues[0]?.message).toMatch(/unknown key 'stats'/);
  });

  it('maps observables paths to editor paths', () => {
    expect(specPath('networks.NN.width')).toEqual(['networks', 'NN', 'width']);
    expect(specPath('states[1]')).toEqual(['states', 1]);
    expect(specPath('equations.c')).toEqual(['equations', 'c']);
  });

  it('reports bad stage settings with the pipeline’s message', () => {
    const { issues } = checkSpecText(good.replace('"states"', '"discovery": { "jointSteps": -1 },\n  "states"'));
    expect(issues[0]?.line).toBe(2);
    expect(issues[0]?.message).toMatch(/discovery.jointSteps/);
  });
});

import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, locateJson } from './json-locate.js';

describe('locateJson', () => {
  const text = '{\n  "states": ["r", "c"],\n  "equations": {\n    "r": "a*r",\n    "c": "-g*c + NN(r, c)"\n  }\n}';

  it('finds the line and column of values by path', () => {
    const { value, placeOfPath } = locateJson(text);
    expect(value).toEqual(JSON.parse(text));
    expect(placeOfPath(['equations', 'c'])).toMatchObject({ line: 5, column: 10 });
    expect(placeOfPath(['states', 1])).toMatchObject({ line: 2, column: 19 });
    // a missing key falls back to its deepest existing parent
    expect(placeOfPath(['equations', 'x'])).toMatchObject({ line: 3, column: 16 });
  });

  it('reports syntax errors at their line', () => {
    const cases: [string, number, RegExp][] = [
      ['{\n  "a": 1,\n}', 3, /trailing comma/],
      ['{\n  "a": 1\n  "b": 2\n}', 3, /expected , or }/],
      ['{\n  "a": "x\n}', 2, /span lines/],
      ['[1,\n 2', 2, /close the array/],
      ['{"a": tru}', 1, /unexpected "t"/],
    ];
    for (const [bad, line, message] of cases) {
      let error: unknown;
      try {
        locateJson(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(JsonSyntaxError);
      expect((error as JsonSyntaxError).place.line, bad).toBe(line);
      expect((error as Error).message, bad).toMatch(message);
    }
  });

  it('agrees with JSON.parse on what is valid', () => {
    for (const ok of ['1', '"a\\u0041\\n"', '[]', '{}', '{"a":[{"b":null}],"c":-1.5e3}', ' true ']) {
      expect(locateJson(ok).value).toEqual(JSON.parse(ok));
    }
  });
});

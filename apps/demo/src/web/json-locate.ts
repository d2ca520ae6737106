/**
 * Where things are in a JSON text: the line and column of a syntax error and of the value at a
 * path (`['equations', 'c']`), so the spec editor can mark errors at their line. A small
 * recursive-descent scanner over RFC 8259 JSON.
 */

/** A place in a text: 1-based line and column, 0-based offset. */
export interface TextPlace {
  line: number;
  column: number;
  offset: number;
}

/** A JSON syntax error with its place. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly place: TextPlace,
  ) {
    super(`line ${place.line}, column ${place.column}: ${message}`);
    this.name = 'JsonSyntaxError';
  }
}

/** The place of `offset` in `text`. */
export function placeOf(text: string, offset: number): TextPlace {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1, offset };
}

/** Value offsets by path (`\u0000`-joined keys) in a JSON text. */
type Places = Map<string, number>;

const key = (path: readonly (string | number)[]) => path.map(String).join('\u0000');

function scan(text: string): Places {
  const places: Places = new Map();
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, placeOf(text, at));
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    while (i < text.length && text[i] !== '"') {
      const ch = text[i] as string;
      if (ch === '\n') fail('a string may not span lines; close it with " or write \\n', i);
      if (ch === '\\') {
        const next = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (next !== undefined && next in simple) {
          out += simple[next];
          i += 2;
        } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail(`unknown escape \\${next ?? ''} in a string`, i);
        }
      } else {
        out += ch;
        i++;
      }
    }
    if (i >= text.length) fail('unterminated string; close it with "', start);
    i++;
    return out;
  };
  const value = (path: (string | number)[]): void => {
    ws();
    places.set(key(path), i);
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === '}' ? 'trailing comma before }' : 'expected a "quoted" property name');
        const name = str();
        places.set(key([...path, name, '#key']), i - name.length - 2);
        ws();
        if (text[i] !== ':') fail(`expected : after "${name}"`);
        i++;
        value([...path, name]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i >= text.length ? 'unexpected end; close the object with }' : 'expected , or } after a property value');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        if (text[i] === ']') fail('trailing comma before ]');
        value([...path, n]);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i >= text.length ? 'unexpected end; close the array with ]' : 'expected , or ] after an array item');
      }
    }
    if (ch === '"') {
      str();
      return;
    }
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (lit) {
      i += lit[0].length;
      return;
    }
    fail(i >= text.length ? 'unexpected end of the text; a value is missing' : `unexpected ${JSON.stringify(ch)}`);
  };
  value([]);
  ws();
  if (i < text.length) fail('unexpected text after the end of the JSON value');
  return places;
}

/**
 * Parses `text` as JSON and returns the value with a lookup of where each path's value starts.
 *
 * @throws JsonSyntaxError with the line and column of the first syntax error.
 * @example
 * ```ts
 * const { value, placeOfPath } = locateJson('{\n  "a": [1, 2]\n}');
 * placeOfPath(['a', 1]); // { line: 2, column: 12, offset: 13 }
 * ```
 */
export function locateJson(text: string): {
  value: unknown;
  placeOfPath: (path: readonly (string | number)[]) => TextPlace | null;
} {
  const places = scan(text);
  const value: unknown = JSON.parse(text);
  return {
    value,
    placeOfPath: (path) => {
      // the deepest prefix of the path that exists (an error may name a key that is missing)
      for (let n = path.length; n >= 0; n--) {
        const at = places.get(key(path.slice(0, n)));
        if (at !== undefined) return placeOf(text, at);
      }
      return null;
    },
  };
}

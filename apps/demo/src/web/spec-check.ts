import {
  type EquationsModel,
  type EquationsSpec,
  modelFromEquations,
  ObservablesError,
  SpecError,
} from '@odekit/observables';
import { parseExpression } from '@odekit/symbolic';
import { resolveSettings } from '../pipeline/settings.js';
import type { ModelSpec } from '../pipeline/types.js';
import { JsonSyntaxError, locateJson, type TextPlace } from './json-locate.js';
import type { InputIssue } from './worker-api.js';

/** What {@link checkSpecText} found. */
export interface SpecCheck {
  /** The parsed spec, when the text is JSON (even if other issues remain). */
  readonly spec: ModelSpec | null;
  /** The model the command would build, when the spec is valid. */
  readonly model: EquationsModel | null;
  readonly issues: InputIssue[];
  /** Each state's right-hand side in LaTeX (network calls included), for those that parse. */
  readonly equationsLatex: Record<string, string>;
  /** Place of the value at a JSON path, for errors that name a path. */
  readonly placeOfPath: (path: readonly (string | number)[]) => TextPlace | null;
}

const at = (place: TextPlace | null, message: string): InputIssue =>
  place === null ? { message } : { message: `line ${place.line}: ${message}`, line: place.line, column: place.column };

/** `'networks.NN.width'` or `'states[1]'` as a path `['networks', 'NN', 'width']`, `['states', 1]`. */
export function specPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) {
      out.push(part);
      continue;
    }
    if (m[1] !== '') out.push(m[1] as string);
    for (const i of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const k of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/**
 * Checks a model spec as typed in the editor: JSON syntax (line and column), then the command's
 * own checks — @odekit/observables' `modelFromEquations` (schema, equation syntax with the column
 * of the offending character, unknown symbols, network arity) and the pipeline's stage settings
 * in `discovery` — each placed at the line of the value it names.
 *
 * @example
 * ```ts
 * const { issues } = checkSpecText('{\n  "states": ["x"],\n  "equations": { "x": "-k*" }\n}');
 * // issues[0].line === 3, issues[0].message starts with 'line 3, column 16: equations.x: expected'
 * ```
 */
export function checkSpecText(text: string): SpecCheck {
  const issues: InputIssue[] = [];
  const equationsLatex: Record<string, string> = {};
  let located: ReturnType<typeof locateJson>;
  try {
    located = locateJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      issues.push({ message: `model: ${e.message}`, line: e.place.line, column: e.place.column });
      return { spec: null, model: null, issues, equationsLatex, placeOfPath: () => null };
    }
    throw e;
  }
  const { value, placeOfPath } = located;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(at(placeOfPath([]), 'model: the spec must be a JSON object { "states": [...], "equations": {...} }.'));
    return { spec: null, model: null, issues, equationsLatex, placeOfPath };
  }
  const spec = value as ModelSpec;
  const equations = spec.equations;
  if (typeof equations === 'object' && equations !== null) {
    for (const [state, rhs] of Object.entries(equations)) {
      if (typeof rhs !== 'string') continue;
      try {
        equationsLatex[state] = parseExpression(rhs, { functions: 'any' }).toLatex();
      } catch {
        // reported below by the model builder, with its place
      }
    }
  }
  // the command's own schema and parser: @odekit/observables' modelFromEquations (it holds no tensors)
  const { discovery: _discovery, ...rest } = spec;
  let model: EquationsModel | null = null;
  try {
    model = modelFromEquations(rest as unknown as EquationsSpec);
  } catch (e) {
    if (!(e instanceof ObservablesError)) throw e;
    const text = e.message.split('\n')[0]?.replace(/^modelFromEquations: /, '') ?? e.message;
    if (e instanceof SpecError) {
      const place = e.path === '<root>' ? placeOfPath([]) : placeOfPath(specPath(e.path));
      if (place !== null && e.position !== undefined && typeof valueAt(spec, specPath(e.path)) === 'string') {
        const column = place.column + 1 + e.position;
        issues.push({ message: `line ${place.line}, column ${column}: ${text}`, line: place.line, column });
      } else {
        issues.push(at(place, text));
      }
    } else {
      issues.push({ message: `model: ${text}` });
    }
  }
  try {
    resolveSettings(spec);
  } catch (e) {
    issues.push(at(placeOfPath(['discovery']), (e as Error).message));
  }
  return { spec, model, issues, equationsLatex, placeOfPath };
}

import { ExpressionSyntaxError, parseExpression } from '@odekit/symbolic';
import { resolveSettings } from '../pipeline/settings.js';
import type { ModelSpec } from '../pipeline/types.js';
import { JsonSyntaxError, locateJson, type TextPlace } from './json-locate.js';
import type { InputIssue } from './worker-api.js';

/** What {@link checkSpecText} found. */
export interface SpecCheck {
  /** The parsed spec, when the text is JSON (even if other issues remain). */
  readonly spec: ModelSpec | null;
  readonly issues: InputIssue[];
  /** Each state's right-hand side in LaTeX (network calls included), for those that parse. */
  readonly equationsLatex: Record<string, string>;
  /** Place of the value at a JSON path, for errors that name a path. */
  readonly placeOfPath: (path: readonly (string | number)[]) => TextPlace | null;
}

const at = (place: TextPlace | null, message: string): InputIssue =>
  place === null ? { message } : { message: `line ${place.line}: ${message}`, line: place.line, column: place.column };

/**
 * Checks a model spec as typed in the editor: JSON syntax (line and column), each equation with
 * @odekit/symbolic's parser (the command's; column of the offending character), the stage
 * settings in `discovery` with the pipeline's own checks. Deeper checks (unknown symbols,
 * network arity) come from the model builder when the run starts or from @odekit/observables.
 *
 * @example
 * ```ts
 * const { issues } = checkSpecText('{\n  "states": ["x"],\n  "equations": { "x": "-k*" }\n}');
 * // issues[0].line === 3, issues[0].message starts with 'line 3: equation for x'
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
      return { spec: null, issues, equationsLatex, placeOfPath: () => null };
    }
    throw e;
  }
  const { value, placeOfPath } = located;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(at(placeOfPath([]), 'model: the spec must be a JSON object { "states": [...], "equations": {...} }.'));
    return { spec: null, issues, equationsLatex, placeOfPath };
  }
  const spec = value as ModelSpec;
  const equations = spec.equations;
  if (typeof equations !== 'object' || equations === null || Array.isArray(equations)) {
    issues.push(at(placeOfPath(['equations']), 'model: \'equations\' must be an object, e.g. { "r": "a*r" }.'));
  } else {
    for (const [state, rhs] of Object.entries(equations)) {
      const place = placeOfPath(['equations', state]);
      if (typeof rhs !== 'string') {
        issues.push(at(place, `equation for ${state} must be a string such as "a*${state}".`));
        continue;
      }
      try {
        equationsLatex[state] = parseExpression(rhs, { functions: 'any' }).toLatex();
      } catch (e) {
        if (e instanceof ExpressionSyntaxError && place !== null) {
          // the value starts at its opening quote; equations hold no escapes in practice
          const column = place.column + 1 + e.position;
          const found = e.position < rhs.length ? `'${rhs[e.position]}'` : 'the end';
          issues.push({
            message: `line ${place.line}, column ${column}: equation for ${state}: expected ${e.expected}, found ${found}.`,
            line: place.line,
            column,
          });
        } else {
          issues.push(at(place, `equation for ${state}: ${(e as Error).message.split('\n')[0]}`));
        }
      }
    }
  }
  try {
    resolveSettings(spec);
  } catch (e) {
    issues.push(at(placeOfPath(['discovery']), (e as Error).message));
  }
  return { spec, issues, equationsLatex, placeOfPath };
}

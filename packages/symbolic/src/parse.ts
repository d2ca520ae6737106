import { Expression } from './expression.js';
import { binary, call, constant, type ExprNode, unary, variable } from './node.js';
import { isUnaryOp } from './operators.js';

/**
 * The error `parseExpression` throws: carries the 0-based `position` and what was `expected`.
 *
 * @example
 * ```ts
 * import { ExpressionSyntaxError, parseExpression } from '@odekit/symbolic';
 * try { parseExpression('(x + 1'); } catch (e) {
 *   if (!(e instanceof ExpressionSyntaxError) || e.position !== 6 || e.expected !== "')'") throw e;
 * }
 * ```
 */
export class ExpressionSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    readonly expected: string,
  ) {
    const found = position < source.length ? `'${source[position]}'` : 'end of input';
    super(
      `parseExpression: expected ${expected} at position ${position}, found ${found}\n  ${source}\n  ${' '.repeat(position)}^`,
    );
    this.name = 'ExpressionSyntaxError';
  }
}

const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Options of {@link parseExpression}. */
export interface ParseOptions {
  /**
   * Names that may be called as declared functions with one or more comma-separated arguments
   * (`NN(r, c)`), parsed as call nodes; `'any'` accepts a call of every name that is not a
   * unary operator. Default: none (a call of an unknown name is a syntax error).
   */
  readonly functions?: 'any' | readonly string[];
}

/** A hand-written recursive-descent parser (no eval). One instance per call. */
class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly functions: 'any' | ReadonlySet<string>,
  ) {}

  private isDeclared(name: string): boolean {
    return this.functions === 'any' ? !isUnaryOp(name) : this.functions.has(name);
  }

  parse(): ExprNode {
    const node = this.sum();
    this.skip();
    if (this.pos < this.src.length) this.fail("an operator ('+', '-', '*', '/', '^') or the end of input");
    return node;
  }

  private fail(expected: string): never {
    throw new ExpressionSyntaxError(this.src, this.pos, expected);
  }

  private skip(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] as string)) this.pos++;
  }

  private peek(): string {
    this.skip();
    return this.src[this.pos] ?? '';
  }

  // sum := product (('+' | '-') product)*
  private sum(): ExprNode {
    let left = this.product();
    for (let c = this.peek(); c === '+' || c === '-'; c = this.peek()) {
      this.pos++;
      left = binary(c, left, this.product());
    }
    return left;
  }

  // product := signed (('*' | '/') signed)*
  private product(): ExprNode {
    let left = this.signed();
    for (let c = this.peek(); c === '*' || c === '/'; c = this.peek()) {
      this.pos++;
      left = binary(c, left, this.signed());
    }
    return left;
  }

  // signed := ('-' | '+') signed | power ; '-' NUMBER not followed by '^' is a negative constant
  private signed(): ExprNode {
    const c = this.peek();
    if (c === '+') {
      this.pos++;
      return this.signed();
    }
    if (c === '-') {
      this.pos++;
      this.skip();
      const m = NUMBER.exec(this.src.slice(this.pos));
      if (m) {
        const save = this.pos;
        this.pos += m[0].length;
        if (this.peek() !== '^') return constant(-Number(m[0]));
        this.pos = save;
      }
      return unary('neg', this.signed());
    }
    return this.power();
  }

  // power := primary ('^' signed)?   (right-associative; binds tighter than unary minus)
  private power(): ExprNode {
    const base = this.primary();
    if (this.peek() === '^') {
      this.pos++;
      return binary('^', base, this.signed());
    }
    return base;
  }

  // primary := NUMBER | IDENT | IDENT '(' sum (',' sum)* ')' | '(' sum ')'
  private primary(): ExprNode {
    const c = this.peek();
    const rest = this.src.slice(this.pos);
    if (c === '(') {
      this.pos++;
      const inner = this.sum();
      if (this.peek() !== ')') this.fail("')'");
      this.pos++;
      return inner;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      this.pos += num[0].length;
      return constant(Number(num[0]));
    }
    const id = IDENT.exec(rest);
    if (id) {
      const start = this.pos;
      this.pos += id[0].length;
      const name = id[0];
      if (this.peek() === '(') {
        if (this.isDeclared(name)) {
          this.pos++;
          const args = [this.sum()];
          while (this.peek() === ',') {
            this.pos++;
            args.push(this.sum());
          }
          if (this.peek() !== ')') this.fail(`',' or ')' closing ${name}(`);
          this.pos++;
          return call(name, args);
        }
        if (!isUnaryOp(name)) {
          this.pos = start;
          const declared = this.functions === 'any' ? '' : [...this.functions].map((f) => `, ${f}`).join('');
          this.fail(
            `a known function (neg, exp, log, sqrt, sin, cos, tanh, abs, square, cube, inv${declared}), not '${name}'`,
          );
        }
        this.pos++;
        const arg = this.sum();
        if (this.peek() === ',') this.fail(`')' closing ${name}( (${name} takes one argument)`);
        if (this.peek() !== ')') this.fail(`')' closing ${name}(`);
        this.pos++;
        return unary(name, arg);
      }
      return variable(name);
    }
    this.fail("a number, a variable, a function call or '('");
  }
}

/**
 * Parses an expression such as `'c^0.9 - c + 0.5*c^2'` into an {@link Expression}.
 *
 * Grammar (by increasing precedence): `+ -` (left-associative), `* /` (left-associative),
 * unary `-`, `^` (right-associative, tighter than unary minus: `-x^2` is `-(x^2)`, `2^-x` is
 * allowed), numbers (`1`, `0.5`, `.5`, `1e-3`), identifiers and calls of the unary operators
 * (`exp(x)`, `sqrt(x)`, ...). A minus directly before a number that is not raised to a power is
 * read as a negative constant (`-2*x` holds the constant `-2`). With `options.functions`, calls
 * of declared functions with comma-separated arguments (`NN(r, c)`) become call nodes.
 * Hand-written; no `eval`.
 *
 * @throws ExpressionSyntaxError with the 0-based position and what was expected there.
 * @example
 * ```ts
 * import { parseExpression } from '@odekit/symbolic';
 * const e = parseExpression('-x^2 + 2^-y');
 * if (e.toString() !== '-x^2 + 2^-y') throw new Error(e.toString());
 * try { parseExpression('x + * y'); throw new Error('no error'); }
 * catch (err) { if (!String(err).includes('position 4')) throw err; }
 * ```
 */
export function parseExpression(source: string, options: ParseOptions = {}): Expression {
  if (typeof source !== 'string') {
    throw new Error(`parseExpression: 'source' must be a string such as 'x*y + 2', got ${typeof source}.`);
  }
  const { functions = [] } = options;
  if (functions !== 'any' && !Array.isArray(functions)) {
    throw new Error("parseExpression: 'options.functions' must be 'any' or an array of names such as ['NN'].");
  }
  const declared = functions === 'any' ? 'any' : new Set(functions);
  return new Expression(new Parser(source, declared).parse());
}

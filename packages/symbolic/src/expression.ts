import { ColumnEvaluator } from './column-evaluator.js';
import { type ComplexityOptions, nodeComplexity } from './complexity.js';
import { latexNode } from './latex.js';
import { constantsOf, type ExprNode, nodeEquals, treeDepth, variablesOf } from './node.js';
import { printNode } from './print.js';

/** Data for {@link Expression.evaluate}: a column (or a number, broadcast) per variable. */
export type VariableValues = Readonly<Record<string, Float64Array | readonly number[] | number>>;

/**
 * An immutable symbolic expression: a frozen {@link ExprNode} tree with printing, LaTeX and
 * fast float64 evaluation. Build one with `parseExpression`, `simplify`, the search or the
 * node constructors (`new Expression(binary('+', variable('x'), constant(2)))`).
 *
 * @example
 * ```ts
 * import { parseExpression } from '@odekit/symbolic';
 * const e = parseExpression('c^0.9 - c + 0.5*c^2');
 * const y = e.evaluate({ c: new Float64Array([1, 2]) });
 * if (Math.abs((y[1] ?? 0) - (2 ** 0.9 - 2 + 2)) > 1e-12 || e.complexity !== 11) throw new Error('bad');
 * if (e.toLatex() !== 'c^{0.9} - c + 0.5 \\cdot c^{2}') throw new Error(e.toLatex());
 * ```
 */
export class Expression {
  constructor(readonly root: ExprNode) {
    Object.freeze(this);
  }

  /** Plain-text form with minimal parentheses; `parseExpression(e.toString())` equals `e`. */
  toString(): string {
    return printNode(this.root);
  }

  /** LaTeX form. */
  toLatex(): string {
    return latexNode(this.root);
  }

  /** Node count (PySR's default complexity). Use {@link Expression.complexityWith} for custom weights. */
  get complexity(): number {
    return nodeComplexity(this.root);
  }

  /** Complexity under custom weights. */
  complexityWith(options: ComplexityOptions): number {
    return nodeComplexity(this.root, options);
  }

  /** Depth of the tree (a leaf has depth 1). */
  get depth(): number {
    return treeDepth(this.root);
  }

  /** Sorted names of the variables used. */
  get variables(): string[] {
    return variablesOf(this.root);
  }

  /** Constant values in pre-order. */
  get constants(): number[] {
    return constantsOf(this.root);
  }

  /** Structural equality. */
  equals(other: Expression): boolean {
    return nodeEquals(this.root, other.root);
  }

  /**
   * Evaluates in float64 over columns `vars[name]` (all of length N; numbers broadcast), node by
   * node over whole columns. Returns a new `Float64Array` of length N (1 when no column is given).
   *
   * @throws Error when a variable has no data or the columns differ in length.
   */
  evaluate(vars: VariableValues): Float64Array {
    const lengths = Object.values(vars).flatMap((v) => (typeof v === 'number' ? [] : [v.length]));
    const n = lengths[0] ?? 1;
    const columns: Record<string, Float64Array> = {};
    for (const [name, v] of Object.entries(vars)) {
      columns[name] =
        typeof v === 'number' ? new Float64Array(n).fill(v) : v instanceof Float64Array ? v : Float64Array.from(v);
    }
    return new ColumnEvaluator(columns, n).evaluate(this.root);
  }

  /** JSON form: the printed string. */
  toJSON(): string {
    return this.toString();
  }
}

import { ColumnEvaluator } from './column-evaluator.js';
import { type DataColumns, makeDataset } from './dataset.js';
import { Expression } from './expression.js';
import type { TermLibrary } from './library.js';
import { leastSquares } from './linalg.js';
import { binary, constant, type ExprNode } from './node.js';
import { simplify } from './simplify.js';

/** Options of {@link sparseRegression}. */
export interface SparseRegressionOptions {
  /** Inputs by variable name, each `[N]`. */
  readonly X: DataColumns;
  /** Targets `[N]`. */
  readonly y: Float64Array | readonly number[];
  /** Optional sample weights `[N]`. */
  readonly weights?: Float64Array | readonly number[];
  /** Candidate terms, e.g. `polynomialLibrary({ degree: 3 })`. */
  readonly library: TermLibrary;
  /** Coefficients smaller than this in magnitude (in the data's units) are set to zero (default 0.1). */
  readonly threshold?: number;
  /**
   * Ridge strength of the thresholding fits, relative to the normalised columns' Gram diagonal
   * (default 1e-3; PySINDy's 0.05 shrinks correlated terms such as `x` and `x^3` too much here).
   */
  readonly alpha?: number;
  /** Maximum thresholding iterations (default 20). */
  readonly maxIterations?: number;
  /** Normalise library columns to unit RMS before the ridge fits (default true). */
  readonly normalizeColumns?: boolean;
}

/**
 * Sparse regression by sequentially thresholded least squares (STLSQ; Brunton, Proctor & Kutz
 * 2016, SINDy, doi:10.1073/pnas.1517384113): ridge fits on the library columns (normalised to
 * unit RMS), dropping coefficients below `threshold` until the support stops changing, then
 * unbiased (ordinary least squares) refits on the support, thresholded the same way. Returns `Σ c_j θ_j`, simplified.
 *
 * @throws Error for malformed data or options, or an empty library.
 * @example
 * ```ts
 * import { polynomialLibrary, sparseRegression } from '@odekit/symbolic';
 * const x = Float64Array.from({ length: 50 }, (_, i) => i / 10);
 * const y = Float64Array.from({ length: 50 }, (_, i) => ((i * 7) % 50) / 10);
 * const target = x.map((xi, i) => 1.3 * xi - 0.9 * xi * (y[i] ?? 0));
 * const e = sparseRegression({ X: { x, y }, y: target, library: polynomialLibrary({ degree: 2 }) });
 * const [a, b] = e.constants;
 * if (e.complexity !== 9 || Math.abs((a ?? 0) - 1.3) > 1e-9 || Math.abs((b ?? 0) - 0.9) > 1e-9) throw new Error(String(e));
 * ```
 */
export function sparseRegression(options: SparseRegressionOptions): Expression {
  const {
    X,
    y,
    weights,
    library,
    threshold = 0.1,
    alpha = 1e-3,
    maxIterations = 20,
    normalizeColumns = true,
  } = options;
  const fn = 'sparseRegression';
  const data = makeDataset(fn, X, y, weights);
  if (!(threshold >= 0)) throw new Error(`${fn}: 'threshold' must be ≥ 0, got ${threshold}.`);
  if (!(alpha >= 0)) throw new Error(`${fn}: 'alpha' must be ≥ 0, got ${alpha}.`);
  if (library === undefined || typeof library.terms !== 'function') {
    throw new Error(`${fn}: 'library' must be a term library, e.g. polynomialLibrary({ degree: 3 }).`);
  }
  const terms = library.terms(data.names);
  if (terms.length === 0) throw new Error(`${fn}: the library has no terms.`);
  const evaluator = new ColumnEvaluator(data.columns, data.n);
  const theta = terms.map((t) => evaluator.evaluate(t.root));
  theta.forEach((col, j) => {
    if (!col.every(Number.isFinite)) {
      throw new Error(`${fn}: term '${terms[j]}' is not finite on the data; remove it from the library.`);
    }
  });
  const scale = theta.map((col) => {
    if (!normalizeColumns) return 1;
    const rms = Math.sqrt(col.reduce((a, v) => a + v * v, 0) / data.n);
    return rms > 0 ? rms : 1;
  });
  const normed = theta.map((col, j) => col.map((v) => v / (scale[j] as number)));
  let support = terms.map((_, j) => j);
  let coef = new Float64Array(terms.length);
  const fit = (ridge: number): void => {
    const xi = leastSquares(
      support.map((j) => normed[j] as Float64Array),
      data.y,
      data.weights,
      ridge,
    );
    coef = new Float64Array(terms.length);
    support.forEach((j, s) => {
      coef[j] = (xi[s] as number) / (scale[j] as number);
    });
  };
  // Ridge-regularised thresholding until the support is stable, then unbiased refits (thresholded too).
  for (const ridge of [alpha * data.n, 0]) {
    for (let it = 0; it < maxIterations && support.length > 0; it++) {
      fit(ridge);
      const next = support.filter((j) => Math.abs(coef[j] as number) >= threshold);
      if (next.length === support.length) break;
      support = next;
      if (support.length === 0) coef = new Float64Array(terms.length);
    }
  }
  let sum: ExprNode | undefined;
  for (const j of support) {
    const term = binary('*', constant(coef[j] as number), (terms[j] as Expression).root);
    sum = sum === undefined ? term : binary('+', sum, term);
  }
  return simplify(new Expression(sum ?? constant(0)));
}

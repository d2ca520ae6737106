import type { Rng } from '@odekit/core';
import { ColumnEvaluator } from './column-evaluator.js';
import type { Dataset } from './dataset.js';
import type { ExprNode } from './node.js';
import { sumSquares } from './sum-squares.js';

/** Rows of the screening view: members' losses between iterations when batching. */
export const SCREEN_ROWS = 1000;

/** Rows a loss is computed on: the full data or the current mini-batch. */
export interface RowView {
  readonly evaluator: ColumnEvaluator;
  readonly y: Float64Array;
  readonly weights: Float64Array | undefined;
  readonly sumWeights: number;
  readonly n: number;
  /** Scratch output column of length n. */
  readonly out: Float64Array;
}

function makeView(columns: Record<string, Float64Array>, y: Float64Array, w: Float64Array | undefined): RowView {
  const n = y.length;
  let sumWeights = n;
  if (w) sumWeights = w.reduce((a, b) => a + b, 0);
  return {
    evaluator: new ColumnEvaluator(columns, n, { abortOnNonFinite: true }),
    y,
    weights: w,
    sumWeights,
    n,
    out: new Float64Array(n),
  };
}

/** Weighted mean squared error of the prediction column `f` (Infinity when not finite). */
export function mseOf(f: Float64Array, view: RowView): number {
  const { y, weights, n } = view;
  let s = 0;
  if (weights) {
    for (let i = 0; i < n; i++) {
      const d = (f[i] as number) - (y[i] as number);
      s += (weights[i] as number) * d * d;
    }
  } else {
    s = sumSquares(f, y, n);
  }
  const loss = s / view.sumWeights;
  return Number.isFinite(loss) ? loss : Number.POSITIVE_INFINITY;
}

/**
 * {@link mseOf} of `tree` on the view's rows, the same value bit for bit; without weights the
 * squared error is fused into the evaluation (ColumnEvaluator.sumSquaredError) and `view.out` is
 * not written.
 */
function lossOn(tree: ExprNode, view: RowView): number {
  if (view.weights) {
    view.evaluator.evaluate(tree, view.out);
    return mseOf(view.out, view);
  }
  const loss = view.evaluator.sumSquaredError(tree, view.y) / view.sumWeights;
  return Number.isFinite(loss) ? loss : Number.POSITIVE_INFINITY;
}

/**
 * The search objective: weighted MSE of a tree on the full data or on a mini-batch (rows drawn
 * with replacement, as SymbolicRegression.jl's batching does), and the baseline loss of the
 * best constant model used to normalise costs. Counts evaluations.
 */
export class Objective {
  readonly full: RowView;
  readonly baseline: number;
  readonly batchView: RowView | undefined;
  evaluations = 0;
  private readonly data: Dataset;

  constructor(data: Dataset, batchSize: number | undefined) {
    this.data = data;
    this.full = makeView({ ...data.columns }, data.y, data.weights);
    let mean = 0;
    for (let i = 0; i < data.n; i++) mean += (data.weights?.[i] ?? 1) * (data.y[i] as number);
    mean /= this.full.sumWeights;
    this.full.out.fill(mean);
    this.baseline = mseOf(this.full.out, this.full);
    if (batchSize !== undefined && batchSize < data.n) {
      const cols: Record<string, Float64Array> = {};
      for (const name of data.names) cols[name] = new Float64Array(batchSize);
      this.batchView = makeView(
        cols,
        new Float64Array(batchSize),
        data.weights ? new Float64Array(batchSize) : undefined,
      );
    }
  }

  /** Draws a new mini-batch (no-op without batching). */
  resample(rng: Rng): void {
    const b = this.batchView;
    if (!b) return;
    const { data } = this;
    const src = data.names.map((name) => data.columns[name] as Float64Array);
    const dst = data.names.map((name) => b.evaluator.columns[name] as Float64Array);
    const m = src.length;
    for (let i = 0; i < b.n; i++) {
      const r = rng.nextUint32() % data.n;
      for (let j = 0; j < m; j++) (dst[j] as Float64Array)[i] = (src[j] as Float64Array)[r] as number;
      b.y[i] = data.y[r] as number;
      if (b.weights && data.weights) b.weights[i] = data.weights[r] as number;
    }
    b.evaluator.columnsChanged();
    if (b.weights) (b as { sumWeights: number }).sumWeights = b.weights.reduce((a, c) => a + c, 0);
  }

  private sub: RowView | undefined;

  /**
   * A fixed view of at most `m` rows spread evenly over the data (every ⌈N/m⌉-th row, so sorted
   * data stay covered), made once; the full view when N ≤ m.
   */
  subsample(m: number): RowView {
    const { data } = this;
    if (data.n <= m) return this.full;
    if (this.sub === undefined || this.sub.n !== m) {
      const stride = data.n / m;
      const rows = Array.from({ length: m }, (_, i) => Math.floor(i * stride));
      const cols: Record<string, Float64Array> = {};
      for (const name of data.names) {
        const src = data.columns[name] as Float64Array;
        cols[name] = Float64Array.from(rows, (r) => src[r] as number);
      }
      const w = data.weights;
      this.sub = makeView(
        cols,
        Float64Array.from(rows, (r) => data.y[r] as number),
        w ? Float64Array.from(rows, (r) => w[r] as number) : undefined,
      );
    }
    return this.sub;
  }

  /** The view losses are computed on: the batch when batching and `batched`, else the full data. */
  view(batched: boolean): RowView {
    return batched && this.batchView ? this.batchView : this.full;
  }

  private readonly fullCache = new WeakMap<ExprNode, number>();

  /** Full-data loss of `tree`, computed once per tree object (trees are immutable). */
  fullLoss(tree: ExprNode): number {
    let l = this.fullCache.get(tree);
    if (l === undefined) {
      l = this.loss(tree, false);
      this.fullCache.set(tree, l);
    }
    return l;
  }

  /** Loss on the screening rows (at most {@link SCREEN_ROWS} spread over the data). */
  screenLoss(tree: ExprNode): number {
    const v = this.subsample(SCREEN_ROWS);
    if (v === this.full) return this.fullLoss(tree);
    this.evaluations++;
    return lossOn(tree, v);
  }

  /** Loss of `tree` on the chosen rows. */
  loss(tree: ExprNode, batched = false): number {
    const v = this.view(batched);
    this.evaluations++;
    return lossOn(tree, v);
  }
}

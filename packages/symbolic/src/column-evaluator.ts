import { binaryScalar, colColKernel, colScalarKernel, scalarColKernel, unaryKernel, unaryScalar } from './kernels.js';
import type { ExprNode } from './node.js';
import { ProgramRunner } from './program-evaluator.js';
import { sumSquares } from './sum-squares.js';
import { wasmKernelsOn, wasmPowLogged } from './wasm-kernels.js';

/** Data columns by variable name; all of one length. */
export type Columns = Readonly<Record<string, Float64Array>>;

/**
 * Evaluates trees over whole `Float64Array` columns, node by node, into buffers taken from a
 * pool that lives as long as the evaluator: no allocation per row and, after warm-up, none per
 * call. Constant subtrees stay scalars (`x*2` runs one column-times-scalar loop).
 *
 * A unary operator applied directly to a variable (`sin(x)`, `log(y)`) is computed once over the
 * whole column and kept: a search evaluates the same few such columns in thousands of candidates.
 * At most 4,194,304 values (32 MiB) are kept per evaluator.
 *
 * From its second evaluation on, where WebAssembly SIMD runs, an evaluator compiles each tree to a
 * short program interpreted in WebAssembly over blocks of 256 rows (program-evaluator.ts), one call
 * per evaluation, with the same values bit for bit (each instruction is the column kernel's
 * arithmetic); {@link ColumnEvaluator.sumSquaredError} fuses the squared error into that call.
 *
 * The evaluator borrows `columns` (it reads them at each call, so a caller may refill them in
 * place, e.g. for mini-batches, and then calls {@link ColumnEvaluator.columnsChanged}). Not
 * re-entrant.
 *
 * @throws Error when a column is not a `Float64Array` or the lengths differ; `evaluate` throws when
 *   a variable has no column.
 * @example
 * ```ts
 * import { ColumnEvaluator, parseExpression } from '@odekit/symbolic';
 * const ev = new ColumnEvaluator({ x: new Float64Array([1, 2, 3]) });
 * const out = new Float64Array(3);
 * ev.evaluate(parseExpression('x^2 + 1').root, out);
 * if (out.join() !== '2,5,10') throw new Error(out.join());
 * ```
 */
export class ColumnEvaluator {
  readonly length: number;
  /** Rows the kernels run over: `length`, or the probe's prefix while probing. */
  private rows: number;
  private readonly pool: Float64Array[] = [];
  private readonly owned: Float64Array[] = [];

  private aborted = false;
  /** The whole-tree WebAssembly path (see the class comment); undefined until the second evaluation. */
  private runner: ProgramRunner | null | undefined;
  private evaluations = 0;
  private scratch: Float64Array | undefined;
  /** Unary operator → variable → that operator over the whole column (see the class comment). */
  private readonly unaryColumns = new Map<string, Map<string, CachedColumn>>();
  private cachedValues = 0;
  /**
   * When true (the search's setting), evaluation stops at the first `log`, `sqrt` or `^` whose
   * output holds a NaN or an infinity and the whole result is NaN, as SymbolicRegression.jl does
   * (other non-finite values still reach the loss, which is then infinite); the default (false)
   * gives every row its own value.
   */
  readonly abortOnNonFinite: boolean;

  constructor(
    readonly columns: Columns,
    length?: number,
    { abortOnNonFinite = false }: { abortOnNonFinite?: boolean } = {},
  ) {
    this.abortOnNonFinite = abortOnNonFinite;
    const lengths = Object.values(columns).map((c) => c.length);
    const n = length ?? lengths[0] ?? 1;
    for (const [name, col] of Object.entries(columns)) {
      if (!(col instanceof Float64Array)) {
        throw new Error(
          `ColumnEvaluator: column '${name}' must be a Float64Array; wrap it with Float64Array.from(...).`,
        );
      }
      if (col.length !== n) {
        throw new Error(
          `ColumnEvaluator: column '${name}' has length ${col.length}, expected ${n}; pass equal-length columns.`,
        );
      }
    }
    this.length = n;
    this.rows = n;
  }

  /**
   * Evaluates `node` into `out` (allocated when omitted) and returns it. In abort mode over more
   * than 128 rows, the tree first runs on the first 32 rows: a
   * non-finite risky output there means the full evaluation would abort too, so it stops at once
   * (same result, a fraction of the work, for the many invalid candidates a search makes).
   */
  evaluate(node: ExprNode, out: Float64Array = new Float64Array(this.length)): Float64Array {
    const runner = this.programRunner();
    if (runner?.evaluate(node, out)) return out;
    if (this.abortOnNonFinite && this.length > 4 * PROBE_ROWS && hasRisky(node)) {
      this.rows = PROBE_ROWS;
      const probeOut = this.run(node, out);
      this.rows = this.length;
      if (probeOut) {
        out.fill(Number.NaN);
        return out;
      }
    }
    this.run(node, out);
    return out;
  }

  /**
   * Drops the cached operator columns: call it after refilling the borrowed columns in place.
   *
   * @example
   * ```ts
   * import { ColumnEvaluator, parseExpression } from '@odekit/symbolic';
   * const x = new Float64Array([1, 4]);
   * const ev = new ColumnEvaluator({ x });
   * const tree = parseExpression('sqrt(x)').root;
   * ev.evaluate(tree);
   * x.set([9, 16]);
   * ev.columnsChanged();
   * if (ev.evaluate(tree).join() !== '3,4') throw new Error('stale');
   * ```
   */
  columnsChanged(): void {
    this.runner?.load();
    this.unaryColumns.clear();
    this.cachedValues = 0;
  }

  /**
   * Σᵢ (f(xᵢ) − yᵢ)² of the tree's values f against `y` (length {@link ColumnEvaluator.length}),
   * summed as four partial sums over the rows i ≡ 0, 1, 2, 3 (mod 4) (the rows after the last
   * multiple of 4 added to the first), then (s₀ + s₁) + (s₂ + s₃): objective.ts's mseOf times n.
   * NaN when an abort-mode evaluation aborts. The evaluator borrows `y` like the columns: it is
   * read again after {@link ColumnEvaluator.columnsChanged} or when another array is passed.
   *
   * @throws Error as {@link ColumnEvaluator.evaluate}, and when `y` has the wrong length.
   * @example
   * ```ts
   * import { ColumnEvaluator, parseExpression } from '@odekit/symbolic';
   * const ev = new ColumnEvaluator({ x: new Float64Array([1, 2, 3]) });
   * const sse = ev.sumSquaredError(parseExpression('2*x').root, new Float64Array([2, 4, 7]));
   * if (sse !== 1) throw new Error(String(sse));
   * ```
   */
  sumSquaredError(node: ExprNode, y: Float64Array): number {
    if (y.length !== this.length) {
      throw new Error(`sumSquaredError: y has length ${y.length}, expected ${this.length}; pass one target per row.`);
    }
    const runner = this.programRunner();
    const fused = runner?.sumSquares(node, y);
    if (fused !== undefined) return fused;
    this.scratch ??= new Float64Array(this.length);
    return sumSquares(this.evaluate(node, this.scratch), y, this.length);
  }

  /** The whole-tree WebAssembly runner, made at the second evaluation; null where it does not run. */
  private programRunner(): ProgramRunner | null {
    if (this.length === 0 || !wasmKernelsOn()) return null;
    if (this.runner === undefined) {
      this.evaluations++;
      if (this.evaluations < 2) return null;
      this.runner = ProgramRunner.create(this.columns, this.length, this.abortOnNonFinite);
    }
    return this.runner;
  }

  /** `op` over the whole column `name`, computed on first use; undefined when not cached. */
  private unaryColumn(op: string, name: string): CachedColumn | undefined {
    let byName = this.unaryColumns.get(op);
    const hit = byName?.get(name);
    if (hit !== undefined) return hit;
    const col = this.columns[name];
    if (col === undefined || this.cachedValues + this.length > MAX_CACHED_VALUES) return undefined;
    const values = new Float64Array(this.length);
    unaryKernel(op, col, values, this.length);
    const entry: CachedColumn = { values, finiteSums: new Map() };
    if (byName === undefined) {
      byName = new Map();
      this.unaryColumns.set(op, byName);
    }
    byName.set(name, entry);
    this.cachedValues += this.length;
    return entry;
  }

  /** One evaluation over `this.rows` rows into `out`; returns true when it aborted (out is then NaN). */
  private run(node: ExprNode, out: Float64Array): boolean {
    this.aborted = false;
    const r = this.eval(node, out);
    if (this.aborted) {
      if (typeof r !== 'number' && r !== out) this.release(r);
      out.fill(Number.NaN);
      this.aborted = false;
      return true;
    }
    if (typeof r === 'number') out.fill(r, 0, this.rows);
    else if (r !== out) {
      out.set(this.rows === this.length ? r : r.subarray(0, this.rows));
      this.release(r);
    }
    return false;
  }

  private take(): Float64Array {
    const b = this.pool.pop();
    if (b) return b;
    const fresh = new Float64Array(this.length);
    this.owned.push(fresh);
    return fresh;
  }

  private isOwned(b: Float64Array): boolean {
    return this.owned.includes(b);
  }

  private release(b: Float64Array): void {
    if (this.isOwned(b)) this.pool.push(b);
  }

  /** Output buffer for an op over `a` (and `b`): the destination if given, else an owned input, else a fresh one. */
  private target(dest: Float64Array | undefined, a: Float64Array, b?: Float64Array): Float64Array {
    if (dest) return dest;
    if (this.isOwned(a)) return a;
    if (b && this.isOwned(b)) return b;
    return this.take();
  }

  /** In abort mode, flags a non-finite column (one pass: a NaN or ±∞ makes the sum non-finite). */
  private check(o: Float64Array): void {
    if (!sumsFinite(o, this.rows)) this.aborted = true;
  }

  /** {@link check} for a cached column, its verdict kept per row count. */
  private checkCached(c: CachedColumn): void {
    let finite = c.finiteSums.get(this.rows);
    if (finite === undefined) {
      finite = sumsFinite(c.values, this.rows);
      c.finiteSums.set(this.rows, finite);
    }
    if (!finite) this.aborted = true;
  }

  /** Releases owned inputs and returns NaN when the evaluation was aborted below. */
  private bail(a: Float64Array | number, b?: Float64Array | number): number {
    if (typeof a !== 'number') this.release(a);
    if (b !== undefined && typeof b !== 'number') this.release(b);
    return Number.NaN;
  }

  /**
   * `name^exponent` from the variable's cached log column (the WebAssembly kernels' values of
   * `a^b`, without computing the log again); undefined where that does not apply (no WebAssembly,
   * no room in the cache, an exponent the plain kernels take).
   */
  private powOfVariable(
    name: string,
    exponent: ExprNode,
    dest: Float64Array | undefined,
  ): Float64Array | number | undefined {
    if (exponent.kind === 'const' && PLAIN_EXPONENTS.has(exponent.value)) return undefined;
    const col = this.columns[name];
    if (col === undefined || !wasmKernelsOn()) return undefined;
    const logs = this.unaryColumn('log', name);
    if (logs === undefined) return undefined;
    const b = this.eval(exponent);
    if (this.aborted) return this.bail(b);
    if (typeof b === 'number' && PLAIN_EXPONENTS.has(b)) {
      const o = this.target(dest, col);
      colScalarKernel('^', col, b, o, this.rows);
      if (this.abortOnNonFinite) this.check(o);
      return o;
    }
    const o = typeof b === 'number' ? this.target(dest, col) : this.target(dest, b);
    wasmPowLogged(col, logs.values, b, o, this.rows);
    if (typeof b !== 'number' && o !== b) this.release(b);
    if (this.abortOnNonFinite) this.check(o);
    return o;
  }

  private eval(node: ExprNode, dest?: Float64Array): Float64Array | number {
    switch (node.kind) {
      case 'const':
        return node.value;
      case 'var': {
        const col = this.columns[node.name];
        if (col === undefined) {
          throw new Error(`evaluate: no data for variable '${node.name}'; pass a column named '${node.name}'.`);
        }
        return col;
      }
      case 'unary': {
        if (node.arg.kind === 'var') {
          const c = this.unaryColumn(node.op, node.arg.name);
          if (c !== undefined) {
            if (this.abortOnNonFinite && RISKY_UNARY.has(node.op)) this.checkCached(c);
            return c.values;
          }
        }
        const a = this.eval(node.arg);
        if (this.aborted) return this.bail(a);
        if (typeof a === 'number') return unaryScalar(node.op, a);
        const o = this.target(dest, a);
        unaryKernel(node.op, a, o, this.rows);
        if (o !== a) this.release(a);
        if (this.abortOnNonFinite && RISKY_UNARY.has(node.op)) this.check(o);
        return o;
      }
      case 'binary': {
        if (node.op === '^' && node.left.kind === 'var') {
          const p = this.powOfVariable(node.left.name, node.right, dest);
          if (p !== undefined) return p;
        }
        const a = this.eval(node.left);
        if (this.aborted) return this.bail(a);
        const b = this.eval(node.right);
        if (this.aborted) return this.bail(a, b);
        const risky = this.abortOnNonFinite && node.op === '^';
        if (typeof a === 'number') {
          if (typeof b === 'number') return binaryScalar(node.op, a, b);
          const o = this.target(dest, b);
          scalarColKernel(node.op, a, b, o, this.rows);
          if (o !== b) this.release(b);
          if (risky) this.check(o);
          return o;
        }
        if (typeof b === 'number') {
          const o = this.target(dest, a);
          colScalarKernel(node.op, a, b, o, this.rows);
          if (o !== a) this.release(a);
          if (risky) this.check(o);
          return o;
        }
        const o = this.target(dest, a, b);
        colColKernel(node.op, a, b, o, this.rows);
        if (o !== b) this.release(b);
        if (o !== a) this.release(a);
        if (risky) this.check(o);
        return o;
      }
      case 'call':
        throw new Error(
          `evaluate: '${node.name}(...)' is a call of a declared function, which float64 evaluation does not run; replace it first (replaceCalls) or compile the expression (compileExpression with 'functions').`,
        );
    }
  }
}

/** Exponents the column-to-constant `^` kernel runs without exp and log (kernels.ts). */
const PLAIN_EXPONENTS: ReadonlySet<number> = new Set([1, 2, 3, 4, -1, -2, 0.5, -0.5]);

/**
 * Whether a column-valued risky operator (log, sqrt, ^) occurs in the tree, other than log or sqrt
 * of a variable (a cached column whose finiteness is known at once, so a probe would not save work).
 */
function hasRisky(n: ExprNode): boolean {
  switch (n.kind) {
    case 'const':
    case 'var':
      return false;
    case 'unary':
      return (RISKY_UNARY.has(n.op) && n.arg.kind !== 'var') || hasRisky(n.arg);
    case 'binary':
      return n.op === '^' || hasRisky(n.left) || hasRisky(n.right);
    case 'call':
      return n.args.some(hasRisky);
  }
}

/**
 * Whether the first `rows` values are all finite: v·0 is 0 for a finite v and NaN for NaN or ±∞, so
 * the sums of v·0 (four of them, to run in parallel) stay 0 exactly when every value is finite.
 */
function sumsFinite(o: Float64Array, rows: number): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const m = rows & ~3;
  for (let i = 0; i < m; i += 4) {
    s0 += (o[i] as number) * 0;
    s1 += (o[i + 1] as number) * 0;
    s2 += (o[i + 2] as number) * 0;
    s3 += (o[i + 3] as number) * 0;
  }
  for (let i = m; i < rows; i++) s0 += (o[i] as number) * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/** A unary operator over a whole data column, and whether its first k values sum finitely, by k. */
interface CachedColumn {
  readonly values: Float64Array;
  readonly finiteSums: Map<number, boolean>;
}

/** At most this many values of operator columns are cached per evaluator (32 MiB). */
const MAX_CACHED_VALUES = 1 << 22;

/** Rows of the abort-mode probe (see `evaluate`). */
const PROBE_ROWS = 32;

// Operators that turn finite inputs into NaN over whole ranges (log, sqrt and ^ of negatives): the
// abort mode checks their outputs. Rarer overflows (exp, /, inv) surface in the loss instead.
const RISKY_UNARY: ReadonlySet<string> = new Set(['log', 'sqrt']);

/** Input data by variable name: one column per variable, all of length N. */
export type DataColumns = Readonly<Record<string, Float64Array | readonly number[]>>;

/** Validated float64 data shared by the regressions. */
export interface Dataset {
  readonly names: readonly string[];
  readonly columns: Readonly<Record<string, Float64Array>>;
  readonly y: Float64Array;
  readonly weights: Float64Array | undefined;
  readonly n: number;
}

const toF64 = (v: Float64Array | readonly number[]): Float64Array =>
  v instanceof Float64Array ? v : Float64Array.from(v);

/**
 * Checks and converts `X`, `y` and `weights` for `fn` (whose name the errors carry).
 *
 * @throws Error when X is empty, lengths differ, or values are not finite.
 */
export function makeDataset(
  fn: string,
  X: DataColumns,
  y: Float64Array | readonly number[],
  weights?: Float64Array | readonly number[],
): Dataset {
  if (X === null || typeof X !== 'object' || Object.keys(X).length === 0) {
    throw new Error(
      `${fn}: 'X' must be an object of columns by variable name, e.g. { x: Float64Array, y: Float64Array }.`,
    );
  }
  if (y === undefined || typeof y !== 'object') {
    throw new Error(`${fn}: 'y' must be a Float64Array or number[] of targets.`);
  }
  const yy = toF64(y);
  const n = yy.length;
  if (n === 0) throw new Error(`${fn}: 'y' is empty; pass at least one sample.`);
  const names = Object.keys(X).sort();
  const columns: Record<string, Float64Array> = {};
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${fn}: variable name '${name}' is not an identifier; use names like x, c, x1.`);
    }
    const col = toF64(X[name] as Float64Array);
    if (col.length !== n) {
      throw new Error(`${fn}: column X.${name} has ${col.length} rows but 'y' has ${n}; pass equal lengths.`);
    }
    if (!col.every(Number.isFinite))
      throw new Error(`${fn}: X.${name} contains non-finite values; clean the data first.`);
    columns[name] = col;
  }
  if (!yy.every(Number.isFinite)) throw new Error(`${fn}: 'y' contains non-finite values; clean the data first.`);
  let w: Float64Array | undefined;
  if (weights !== undefined) {
    w = toF64(weights);
    if (w.length !== n || !w.every((v) => Number.isFinite(v) && v >= 0)) {
      throw new Error(`${fn}: 'weights' must hold ${n} finite non-negative numbers.`);
    }
  }
  return { names, columns, y: yy, weights: w, n };
}

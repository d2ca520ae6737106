/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = (s[i + 1] as number) * (shape[i + 1] as number);
  return s;
}

/** Number of elements of `shape`. */
export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * For each element of an output of shape `out`, the flat index it reads in an input of shape
 * `inp` broadcast against it (numpy rules, aligned on the right), or `undefined` when the shapes
 * are equal and no map is needed.
 */
export function broadcastMap(inp: readonly number[], out: readonly number[]): Int32Array | undefined {
  if (inp.length === out.length && inp.every((d, i) => d === out[i])) return undefined;
  const lead = out.length - inp.length;
  const inStrides = stridesOf(inp);
  return stridedMap(
    out,
    out.map((_, i) => {
      const j = i - lead;
      return j < 0 || inp[j] === 1 ? 0 : (inStrides[j] as number);
    }),
    0,
  );
}

/**
 * The index map `offset + Σ_d idx[d]·strides[d]` over every multi-index of `shape` in row-major
 * order: broadcasts, slices, transposes and reductions are all of this form.
 */
export function stridedMap(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const n = sizeOfShape(shape);
  const map = new Int32Array(n);
  const r = shape.length;
  if (r === 0) {
    if (n === 1) map[0] = offset;
    return map;
  }
  const inner = shape[r - 1] as number;
  const sInner = strides[r - 1] as number;
  const idx = new Array<number>(r).fill(0);
  let base = offset;
  for (let i = 0; i < n; i += inner) {
    for (let j = 0; j < inner; j++) map[i + j] = base + j * sInner;
    // next row: the odometer over the outer dimensions
    for (let d = r - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      base += strides[d] as number;
      if ((idx[d] as number) < (shape[d] as number)) break;
      base -= (idx[d] as number) * (strides[d] as number);
      idx[d] = 0;
    }
  }
  return map;
}

/** `f(index)` for every multi-index of `shape` in row-major order, as an index map. */
export function mapByOdometer(shape: readonly number[], f: (idx: number[]) => number): Int32Array {
  const n = sizeOfShape(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    map[i] = f(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return map;
}

/**
 * A broadcast of `a` against `b` as nested strided loops: the output's dimensions (size-1 ones
 * dropped) merged wherever both inputs keep the same broadcast pattern, so `[N, K] + [K]` becomes
 * two dimensions with `b`'s outer stride 0, a same-shape op one contiguous dimension.
 */
export interface BroadcastPlan {
  outShape: number[];
  /** Sizes of the merged output dimensions, outermost first. */
  sizes: number[];
  /** Element strides of `a` and `b` along each merged dimension (0 where broadcast). */
  stridesA: number[];
  stridesB: number[];
}

/** The numpy broadcast of two shapes, or `undefined` when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const da = a[d - rank + a.length] ?? 1;
    const db = b[d - rank + b.length] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Plans `a op b` with numpy broadcasting; `undefined` when the shapes are incompatible. */
export function planBroadcast(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | undefined {
  const outShape = broadcastShapes(aShape, bShape);
  if (outShape === undefined) return undefined;
  const rank = outShape.length;
  // each kept dimension: [size, a varies along it, b varies along it]
  const dims: [number, boolean, boolean][] = [];
  for (let d = 0; d < rank; d++) {
    const n = outShape[d] as number;
    if (n === 1) continue;
    const va = (aShape[d - rank + aShape.length] ?? 1) !== 1;
    const vb = (bShape[d - rank + bShape.length] ?? 1) !== 1;
    const last = dims[dims.length - 1];
    if (last !== undefined && last[1] === va && last[2] === vb) last[0] *= n;
    else dims.push([n, va, vb]);
  }
  const sizes = dims.map(([n]) => n);
  const stridesA = new Array<number>(dims.length).fill(0);
  const stridesB = new Array<number>(dims.length).fill(0);
  let sa = 1;
  let sb = 1;
  for (let g = dims.length - 1; g >= 0; g--) {
    const [n, va, vb] = dims[g] as [number, boolean, boolean];
    if (va) {
      stridesA[g] = sa;
      sa *= n;
    }
    if (vb) {
      stridesB[g] = sb;
      sb *= n;
    }
  }
  return { outShape, sizes, stridesA, stridesB };
}

/**
 * One binary operation over a 2-D strided block: `out[oo + i·n1 + j] = op(a[oa + i·sa0 + j·sa1],
 * b[ob + i·sb0 + j·sb1])`. Each operation has its own loop so the engine inlines the arithmetic.
 */
export type BinaryLoop = (
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  oo: number,
  oa: number,
  ob: number,
  n0: number,
  n1: number,
  sa0: number,
  sa1: number,
  sb0: number,
  sb1: number,
) => void;

/** Rows shorter than this are tiled (see {@link runBroadcast}). */
const TILE = 64;

/** `k` copies of the first `n` values of `v`, back to back. */
function tile(v: Float32Array, n: number, k: number): Float32Array {
  const t = new Float32Array(n * k);
  for (let q = 0; q < k; q++) for (let c = 0; c < n; c++) t[q * n + c] = v[c] as number;
  return t;
}

/** Runs `loop` over a plan: the two innermost merged dimensions per call, outer ones iterated. */
export function runBroadcast(
  plan: BroadcastPlan,
  loop: BinaryLoop,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  if (out.length === 0) return;
  const { sizes, stridesA, stridesB } = plan;
  const g = sizes.length;
  if (g === 2 && (sizes[1] as number) < TILE) {
    const n0 = sizes[0] as number;
    const n1 = sizes[1] as number;
    // a short row vector against a full matrix (`[B, 4] + [4]`): tile the vector to about TILE
    // values so the loop runs long contiguous rows instead of many rows of a few elements
    const k = Math.min(n0, Math.ceil(TILE / n1));
    const rowsA = stridesA[0] === 0 && stridesA[1] === 1;
    const rowsB = stridesB[0] === 0 && stridesB[1] === 1;
    if ((rowsA && stridesB[0] === n1 && stridesB[1] === 1) || (rowsB && stridesA[0] === n1 && stridesA[1] === 1)) {
      const ta = rowsA ? tile(a, n1, k) : a;
      const tb = rowsB ? tile(b, n1, k) : b;
      const w = n1 * k;
      const full = Math.floor(n0 / k);
      loop(ta, tb, out, 0, 0, 0, full, w, rowsA ? 0 : w, 1, rowsB ? 0 : w, 1);
      const rest = n0 - full * k;
      if (rest > 0) loop(ta, tb, out, full * w, rowsA ? 0 : full * w, rowsB ? 0 : full * w, 1, rest * n1, 0, 1, 0, 1);
      return;
    }
  }
  if (g <= 2) {
    const n1 = g === 0 ? 1 : (sizes[g - 1] as number);
    const n0 = g === 2 ? (sizes[0] as number) : 1;
    const sa1 = g === 0 ? 0 : (stridesA[g - 1] as number);
    const sb1 = g === 0 ? 0 : (stridesB[g - 1] as number);
    loop(
      a,
      b,
      out,
      0,
      0,
      0,
      n0,
      n1,
      g === 2 ? (stridesA[0] as number) : 0,
      sa1,
      g === 2 ? (stridesB[0] as number) : 0,
      sb1,
    );
    return;
  }
  const n0 = sizes[g - 2] as number;
  const n1 = sizes[g - 1] as number;
  const block = n0 * n1;
  const outer = sizes.slice(0, g - 2);
  const index = new Array<number>(outer.length).fill(0);
  const blocks = out.length / block;
  for (let k = 0; k < blocks; k++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < outer.length; d++) {
      oa += (index[d] as number) * (stridesA[d] as number);
      ob += (index[d] as number) * (stridesB[d] as number);
    }
    loop(
      a,
      b,
      out,
      k * block,
      oa,
      ob,
      n0,
      n1,
      stridesA[g - 2] as number,
      stridesA[g - 1] as number,
      stridesB[g - 2] as number,
      stridesB[g - 1] as number,
    );
    for (let d = outer.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outer[d] as number)) break;
      index[d] = 0;
    }
  }
}

/** Polynomials as ascending coefficient arrays: `p[j]` multiplies `θ^j`. */
export type Poly = readonly number[];

/** `p + q`. */
export function polyAdd(p: Poly, q: Poly): number[] {
  const out = new Array<number>(Math.max(p.length, q.length)).fill(0);
  p.forEach((v, i) => {
    out[i] = (out[i] as number) + v;
  });
  q.forEach((v, i) => {
    out[i] = (out[i] as number) + v;
  });
  return out;
}

/** `s · p`. */
export function polyScale(p: Poly, s: number): number[] {
  return p.map((v) => v * s);
}

/** `p · q`. */
export function polyMul(p: Poly, q: Poly): number[] {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  p.forEach((a, i) => {
    q.forEach((b, j) => {
      out[i + j] = (out[i + j] as number) + a * b;
    });
  });
  return out;
}

/** The product of linear/quadratic factors, each given as an ascending coefficient array. */
export function polyProduct(...factors: Poly[]): number[] {
  return factors.reduce<number[]>((acc, f) => polyMul(acc, f), [1]);
}

/** `p(θ)` by Horner's rule. */
export function polyEval(p: Poly, theta: number): number {
  let v = 0;
  for (let j = p.length - 1; j >= 0; j--) v = v * theta + (p[j] as number);
  return v;
}

/** `p'`. */
export function polyDeriv(p: Poly): number[] {
  return p.slice(1).map((v, j) => v * (j + 1));
}

/** Polynomials stored flat, zero-padded to one length, to evaluate them all at one θ without allocating. */
export interface PolyTable {
  readonly count: number;
  readonly length: number;
  readonly coef: Float64Array;
}

/** The {@link PolyTable} of `polys`. */
export function polyTable(polys: readonly Poly[]): PolyTable {
  const length = Math.max(1, ...polys.map((p) => p.length));
  const coef = new Float64Array(polys.length * length);
  polys.forEach((p, i) => {
    p.forEach((v, j) => {
      coef[i * length + j] = v;
    });
  });
  return { count: polys.length, length, coef };
}

/**
 * `out[at + i] = scale · p_i(θ)` for the first `count` polynomials, by Horner's rule: the same
 * values as `scale * polyEval(p_i, θ)` (the zero padding adds exact zeros before the first term).
 */
export function polyTableEval(
  table: PolyTable,
  theta: number,
  scale: number,
  out: Float64Array | Float32Array,
  at: number,
  count = table.count,
): void {
  const { length, coef } = table;
  for (let i = 0; i < count; i++) {
    const base = i * length;
    let v = 0;
    for (let j = length - 1; j >= 0; j--) v = v * theta + (coef[base + j] as number);
    out[at + i] = scale * v;
  }
}

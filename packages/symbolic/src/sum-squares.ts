/**
 * Σ (f − y)² over the first n rows, in four interleaved partial sums added as
 * `s0 + s1 + (s2 + s3)`: the additions of one sum wait on each other, four run side by side. The
 * search's loss (`mseOf` in objective.ts), the column evaluator and the WebAssembly program runner
 * (`sr-kernels.ts`, kept bit-identical by its tests) all add in this order.
 *
 * @internal
 */
export function sumSquares(f: Float64Array, y: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const m = n & ~3;
  for (let i = 0; i < m; i += 4) {
    const d0 = (f[i] as number) - (y[i] as number);
    const d1 = (f[i + 1] as number) - (y[i + 1] as number);
    const d2 = (f[i + 2] as number) - (y[i + 2] as number);
    const d3 = (f[i + 3] as number) - (y[i + 3] as number);
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (let i = m; i < n; i++) {
    const d = (f[i] as number) - (y[i] as number);
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

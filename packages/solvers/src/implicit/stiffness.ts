import type { HostField } from '../solver.js';

/**
 * Estimates `|h|·ρ(∂f/∂y)` at `(t, y)` by a few power iterations on finite differences of the
 * field (Hairer & Wanner, *Solving ODEs I*, §II.10 and *II*, §IV.2, the stiffness detection of
 * DOPRI5): an explicit method whose steps sit at `|h|·ρ ≳ 1` is held back by stability, not
 * accuracy — the problem is stiff there. Costs `iterations + 1` field evaluations.
 */
export function stiffnessRatio(f: HostField, t: number, y: Float64Array, h: number, iterations = 8): number {
  const n = y.length;
  const fy = f(t, y);
  const norm = (a: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
    return Math.sqrt(s);
  };
  const eps = 1e-3 * Math.max(norm(y) / Math.sqrt(n), 1e-3);
  let v = Float64Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3) + 0.1);
  let rho = 0;
  for (let k = 0; k < iterations; k++) {
    const nv = norm(v);
    if (!(nv > 0) || !Number.isFinite(nv)) return 0;
    const yp = new Float64Array(n);
    for (let i = 0; i < n; i++) yp[i] = (y[i] as number) + (eps * (v[i] as number)) / nv;
    const fp = f(t, yp);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = ((fp[i] as number) - (fy[i] as number)) / eps;
    rho = norm(w);
    v = w;
  }
  return Math.abs(h) * rho;
}

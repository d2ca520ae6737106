/**
 * Radau IIA of order 5 (3 stages, stiffly accurate) as data: Hairer & Wanner, *Solving ODEs II*
 * (2nd ed.), §IV.5 Table 5.6 (the coefficients) and §IV.8 (RADAU5: the embedded error estimate
 * (8.19)–(8.20), the transformation of `A⁻¹` to its real and complex eigenvalues). Constants
 * derived from the tableau (`A⁻¹`, the dense-output basis) are computed here at load, and every
 * constant is checked when the module loads.
 */

const S6 = Math.sqrt(6);

/** Collocation nodes `c = ((4 − √6)/10, (4 + √6)/10, 1)`. */
export const RADAU_C: readonly number[] = Object.freeze([(4 - S6) / 10, (4 + S6) / 10, 1]);

/** The Runge–Kutta matrix (rows are stages); `b` is its last row (stiffly accurate). */
export const RADAU_A: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([(88 - 7 * S6) / 360, (296 - 169 * S6) / 1800, (-2 + 3 * S6) / 225]),
  Object.freeze([(296 + 169 * S6) / 1800, (88 + 7 * S6) / 360, (-2 - 3 * S6) / 225]),
  Object.freeze([(16 - S6) / 36, (16 + S6) / 36, 1 / 9]),
]);

/**
 * The real eigenvalue `γ0 = 3 + 3^(2/3) − 3^(1/3)` of `A⁻¹` (≈ 3.6378; RADAU5's `U1`); the other
 * two are `α ± iβ` with `α = 3 − (3^(2/3) − 3^(1/3))/2`, `β = (3^(7/6) + 3^(5/6))/2`.
 */
export const RADAU_GAMMA0 = 3 + Math.cbrt(9) - Math.cbrt(3);
export const RADAU_ALPHA = 3 - (Math.cbrt(9) - Math.cbrt(3)) / 2;
export const RADAU_BETA = (Math.sqrt(3) * (Math.cbrt(9) + Math.cbrt(3))) / 2;

/**
 * The embedded formula's weights on the stage increments `Z_i` (RADAU5's `DD1..DD3`, already
 * divided by the factor `γ0` of (8.20)): `err = (γ0/h·I − J)⁻¹·(f(t0, y0) + Σ e_i Z_i / h)`.
 */
export const RADAU_E: readonly number[] = Object.freeze([(-13 - 7 * S6) / 3, (-13 + 7 * S6) / 3, -1 / 3]);

/**
 * `T⁻¹` of RADAU5's transformation `T⁻¹A⁻¹T = [[γ0, 0, 0], [0, α, β], [0, −β, α]]`: the Newton
 * corrections are measured in these coordinates (`ΔW = (T⁻¹ ⊗ I)·ΔZ`), as RADAU5 and SciPy's
 * Radau do. Values from Hairer's radau5.f (`TI11 … TI33`).
 */
export const RADAU_TI: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([4.178718591551905, 0.3276828207610624, 0.5233764454994495]),
  Object.freeze([-4.178718591551905, -0.3276828207610624, 0.4766235545005505]),
  Object.freeze([0.5028726349457869, -2.571926949855605, 0.5960392048282249]),
]);

/** `T` of the same transformation (radau5.f's `T11 … T33`). */
export const RADAU_T: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([0.0944387624889745, -0.1412552950209542, 0.03002919410514742]),
  Object.freeze([0.2502131229653333, 0.2041293522937999, -0.3829421127572619]),
  Object.freeze([1, 1, 0]),
]);

/** Inverse of a 3 × 3 matrix (adjugate / determinant). */
function inverse3(m: readonly (readonly number[])[]): number[][] {
  const g = (i: number, j: number) => (m[i] as readonly number[])[j] as number;
  const cof = (i: number, j: number) => {
    const r = [0, 1, 2].filter((k) => k !== i);
    const c = [0, 1, 2].filter((k) => k !== j);
    const [r0, r1] = r as [number, number];
    const [c0, c1] = c as [number, number];
    return (g(r0, c0) * g(r1, c1) - g(r0, c1) * g(r1, c0)) * ((i + j) % 2 === 0 ? 1 : -1);
  };
  const det = g(0, 0) * cof(0, 0) + g(0, 1) * cof(0, 1) + g(0, 2) * cof(0, 2);
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => cof(j, i) / det));
}

/** `A⁻¹`, the matrix of the Newton system `(A⁻¹/h ⊗ I − I ⊗ J)·ΔZ = F(Z) − (A⁻¹/h ⊗ I)·Z`. */
export const RADAU_AINV: readonly (readonly number[])[] = Object.freeze(inverse3(RADAU_A).map((r) => Object.freeze(r)));

/**
 * Coefficients of the collocation polynomial's basis: the stage increments interpolate as
 * `u(θ) = Σ_i Z_i·L_i(θ)` with cubic `L_i(0) = 0`, `L_i(c_j) = δ_ij`; row `i` holds the
 * coefficients of `θ, θ², θ³` in `L_i` (SciPy's `P`, transposed).
 */
export const RADAU_DENSE: readonly (readonly number[])[] = Object.freeze(
  [0, 1, 2].map((i) => {
    // L_i(θ) = θ/c_i · Π_{j≠i} (θ − c_j)/(c_i − c_j) = (θ³ − s θ² + p θ)/d
    const ci = RADAU_C[i] as number;
    const [a, b] = [0, 1, 2].filter((j) => j !== i).map((j) => RADAU_C[j] as number) as [number, number];
    const d = ci * (ci - a) * (ci - b);
    return Object.freeze([(a * b) / d, -(a + b) / d, 1 / d]);
  }),
);

/** Checks the constants (at load): order conditions, the eigenvalues, the transformation. */
function check(): void {
  const fail = (what: string) => {
    throw new Error(`RADAU5 tableau: ${what}`);
  };
  const A = RADAU_A;
  const c = RADAU_C;
  const at = (m: readonly (readonly number[])[], i: number, j: number) => (m[i] as readonly number[])[j] as number;
  for (let i = 0; i < 3; i++) {
    // C(3): Σ_j a_ij c_j^(q−1) = c_i^q / q, q = 1..3
    for (let q = 1; q <= 3; q++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += at(A, i, j) * (c[j] as number) ** (q - 1); // portable-math: allow (a load-time check within 1e-14)
      if (Math.abs(s - (c[i] as number) ** q / q) > 1e-14) fail(`row ${i} violates C(${q})`); // portable-math: allow
    }
  }
  // B(5): Σ b_j c_j^(q−1) = 1/q, q = 1..5 with b the last row
  for (let q = 1; q <= 5; q++) {
    let s = 0;
    for (let j = 0; j < 3; j++) s += at(A, 2, j) * (c[j] as number) ** (q - 1); // portable-math: allow
    if (Math.abs(s - 1 / q) > 1e-14) fail(`b violates B(${q})`);
  }
  // T⁻¹·T = I and T⁻¹·A⁻¹·T = [[γ0,0,0],[0,α,β],[0,−β,α]]
  const mul = (x: readonly (readonly number[])[], y: readonly (readonly number[])[]) =>
    [0, 1, 2].map((i) => [0, 1, 2].map((j) => [0, 1, 2].reduce((s, k) => s + at(x, i, k) * at(y, k, j), 0)));
  const eye = mul(RADAU_TI, RADAU_T);
  const lam = mul(mul(RADAU_TI, RADAU_AINV), RADAU_T);
  const want = [
    [RADAU_GAMMA0, 0, 0],
    [0, RADAU_ALPHA, RADAU_BETA],
    [0, -RADAU_BETA, RADAU_ALPHA],
  ];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (Math.abs(at(eye, i, j) - (i === j ? 1 : 0)) > 1e-12) fail('T⁻¹·T is not the identity');
      if (Math.abs(at(lam, i, j) - at(want, i, j)) > 1e-11) fail(`T⁻¹A⁻¹T differs at (${i}, ${j})`);
    }
  }
}
check();

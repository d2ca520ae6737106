"""Continuous extensions (dense output) for odekit's ESDIRK tableaus.

y(t0 + θh) = y0 + h Σ_j b_j(θ) k_j with b_j(θ) = Σ_{m=1..M} β_jm θ^m, chosen so that
  * the continuous order conditions hold up to order p* for every θ (Hairer, Nørsett & Wanner,
    Solving ODEs I, §II.6: Σ b_j(θ) Φ_j(τ) = θ^ρ(τ)/γ(τ) for every tree τ with ρ(τ) ≤ p*;
    p* = 3 for kvaerno5, 2 for kvaerno3);
  * b(1) = b (the interpolant ends at y1);
  * the interpolant stays bounded on stiff components: with R(θ, z) = 1 + z b(θ)ᵀ(I − zA)⁻¹1 the
    continuous stability function, the coefficient of z as z → −∞ vanishes
    (b_0(θ) = b̃(θ)ᵀ Ã⁻¹ a, Ã the implicit block of A, a its explicit column), where cubic
    Hermite interpolation through f(y0) grows like z;
  * stiff order q* (3 for kvaerno5, 2 for kvaerno3): in the stiff limit the stage values are
    exact, Y_i = φ(t0 + c_i h) on the slow manifold, and the interpolant y0 + Σ ω_i(θ)(Y_i − y0)
    (ω = Ã⁻ᵀ b̃(θ)) reproduces φ of degree ≤ q*: b̃(θ)ᵀ Ã⁻¹ c̃^q = θ^q for q = 1 … q*;
  * among those, the residuals of the next order's conditions (integrated over θ ∈ [0, 1]) plus
    1e-6 |β|² are least.
(Measured alternative for kvaerno5: continuous order 4 with stiff order 2 is feasible but gave
larger errors on Robertson, 2.1e-3 against 1.8e-3 at rtol 1e-3 and 8.3e-5 against 3.5e-5 at 1e-6.)
Prints the β tables as TypeScript (copied into src/implicit/esdirk-tableaus.ts) and checks.
Run: python3 packages/solvers/scripts/esdirk-dense.py   (numpy, scipy)
"""
import numpy as np
from scipy.linalg import null_space

G3 = 0.435866521508459


def kvaerno3():
    g = G3
    a31 = (-4 * g * g + 6 * g - 1) / (4 * g)
    a32 = (-2 * g + 1) / (4 * g)
    a41 = (6 * g - 1) / (12 * g)
    a42 = -1 / ((24 * g - 12) * g)
    a43 = (-6 * g * g + 6 * g - 1) / (6 * g - 3)
    A = np.array([[0, 0, 0, 0], [g, g, 0, 0], [a31, a32, g, 0], [a41, a42, a43, g]])
    return 'KVAERNO3', A, A[-1].copy(), 3, 2, 2


def kvaerno5():
    g = 0.26
    r6 = [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.6194303907248068]
    r7 = [0.13659751177640292, 0, -0.05496908796538376, -0.04118626728321046, 0.629933048990164,
          0.06962479448202728]
    A = np.zeros((7, 7))
    A[1, :2] = [g, g]
    A[2, :3] = [0.13, 0.8403332099679081, g]
    A[3, :4] = [0.22371961478320504, 0.476755323197997, -0.06470895363112615, g]
    A[4, :5] = [0.16648564323248322, 0.1045001884159172, 0.03631482272098715, -0.13090704451073998, g]
    A[5, :6] = r6 + [g]
    A[6, :7] = r7 + [g]
    return 'KVAERNO5', A, A[-1].copy(), 5, 3, 3


def design(A, b, M, order, stiff=2, reg=1e-6):
    s = len(b)
    c = A.sum(1)
    one = np.ones(s)
    trees3 = [(1, one, 1), (2, c, 2), (3, c ** 2, 3), (3, A @ c, 6)]
    trees4 = [(4, c ** 3, 4), (4, c * (A @ c), 8), (4, A @ c ** 2, 12), (4, A @ A @ c, 24)]
    if order == 2:
        trees3, trees4 = trees3[:2], trees3[2:]
    At, a = A[1:, 1:], A[1:, 0]
    v = np.concatenate([[1.0], -np.linalg.solve(At, a)])          # b(θ)·v = 0: bounded in z
    w = np.concatenate([[0.0], np.linalg.solve(At, np.linalg.solve(At, a) + one[1:])])
    n = s * M
    idx = lambda j, m: j * M + (m - 1)
    rows, rhs = [], []
    for m in range(1, M + 1):
        for (rho, phi, gam) in trees3:
            r = np.zeros(n)
            for j in range(s):
                r[idx(j, m)] = phi[j]
            rows.append(r)
            rhs.append(1 / gam if m == rho else 0)
        r = np.zeros(n)
        for j in range(s):
            r[idx(j, m)] = v[j]
        rows.append(r)
        rhs.append(0)
        # stiff order: in the stiff limit the stage values are exact (Y_i = φ(t0 + c_i h)) and the
        # interpolant is y0 + Σ_i ω_i(θ)(Y_i − y0), ω = Ã⁻ᵀ b̃(θ); it reproduces polynomials φ of
        # degree ≤ stiff: b̃(θ)ᵀ Ã⁻¹ c̃^q = θ^q, q = 1 … stiff
        for qq in range(1, stiff + 1):
            u = np.concatenate([[0.0], np.linalg.solve(At, c[1:] ** qq)])
            r = np.zeros(n)
            for j in range(s):
                r[idx(j, m)] = u[j]
            rows.append(r)
            rhs.append(1 if m == qq else 0)
    for j in range(s):
        r = np.zeros(n)
        for m in range(1, M + 1):
            r[idx(j, m)] = 1
        rows.append(r)
        rhs.append(b[j])
    E, e = np.array(rows), np.array(rhs)
    x0, *_ = np.linalg.lstsq(E, e, rcond=None)
    assert np.abs(E @ x0 - e).max() < 1e-10, f'constraints inconsistent: {np.abs(E @ x0 - e).max()}'
    Z = null_space(E)
    # objective: ∫0^1 (order-4 residual polynomial)^2 dθ + reg |β|²
    H = np.array([[1 / (p + q + 1) for q in range(M + 2)] for p in range(M + 2)])
    Q = np.zeros((n, n))
    q = np.zeros(n)
    for (rho, phi, gam) in trees4:
        # residual(θ) = Σ_m (Σ_j β_jm φ_j) θ^m − θ^ρ/γ
        L = np.zeros((M + 2, n))
        for m in range(1, M + 1):
            for j in range(s):
                L[m, idx(j, m)] = phi[j]
        t = np.zeros(M + 2)
        t[rho] = 1 / gam
        Q += L.T @ H @ L
        q += -L.T @ H @ t
    Q += reg * np.eye(n)
    # minimise ½xᵀQx + qᵀx over x = x0 + Z y
    y = np.linalg.solve(Z.T @ Q @ Z, -Z.T @ (Q @ x0 + q))
    x = x0 + Z @ y
    beta = x.reshape(s, M)
    return beta, v, w


def R(A, beta, theta, z):
    s = A.shape[0]
    bt = beta @ np.array([theta ** m for m in range(1, beta.shape[1] + 1)])
    return 1 + z * bt @ np.linalg.solve(np.eye(s) - z * A, np.ones(s))


for make in (kvaerno3, kvaerno5):
    name, A, b, M, order, stiff = make()
    beta, v, w = design(A, b, M, order, stiff)
    print(f'// {name}: b_j(θ) = Σ_m β[j][m−1] θ^m')
    print('[' + ', '.join('[' + ', '.join(repr(float(x)) for x in row) + ']' for row in beta) + ']')
    worst = max(abs(R(A, beta, th, z)) for th in np.linspace(0, 1, 21) for z in -np.logspace(-2, 8, 60))
    print(f'//   max |R(θ, z)| over θ ∈ [0, 1], z ∈ [−1e8, −1e-2]: {worst:.3f}; max |β| {np.abs(beta).max():.2f}')

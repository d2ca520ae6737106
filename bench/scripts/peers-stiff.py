"""W7 peer timings: SciPy's Radau, BDF and LSODA on Robertson (t = 40) and Van der Pol mu = 1000
(t = 3000) at rtol 1e-6, atol 1e-10, finite-difference Jacobians (SciPy's default), hand-written
right-hand sides. Writes fixtures/peers-stiff.json; run from bench/:

    python3 scripts/peers-stiff.py

Median of 7 solves after one warm-up, on whatever machine runs it (record it in PEERS-stiff.md).
"""

import json
import platform
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def rober(t, y):
    y1, y2, y3 = y
    return [-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2]


def vdp(t, y):
    return [y[1], 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0]]


PROBLEMS = {"ROBER": (rober, (0.0, 40.0), [1.0, 0.0, 0.0]), "VDP1000": (vdp, (0.0, 3000.0), [2.0, 0.0])}


def main():
    out = {
        "about": "SciPy stiff solvers on W7 (rtol 1e-6, atol 1e-10), median ms per solve of 7 after a warm-up",
        "generator": "bench/scripts/peers-stiff.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": {},
    }
    for pid, (f, span, y0) in PROBLEMS.items():
        for method in ["Radau", "BDF", "LSODA"]:
            solve_ivp(f, span, y0, method=method, rtol=1e-6, atol=1e-10)
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                r = solve_ivp(f, span, y0, method=method, rtol=1e-6, atol=1e-10)
                times.append((time.perf_counter() - t0) * 1e3)
            out["results"][f"{pid}/{method}"] = {
                "msMedian": float(np.median(times)),
                "msMin": float(np.min(times)),
                "nfev": int(r.nfev),
                "njev": int(r.njev),
                "steps": len(r.t) - 1,
            }
            print(pid, method, out["results"][f"{pid}/{method}"], flush=True)
    with open("fixtures/peers-stiff.json", "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

"""Generates fixtures/stiff-problems.json: stiff reference problems and SciPy's figures on them.

Run from packages/testing:  python3 scripts/make-stiff-problems.py [ID ...]
(with ids: only those problems are (re)made, the others kept as they are in the file).
Needs numpy and SciPy (1.17.1 when the committed file was made).

For each problem: a float64 reference at 21 save points from SciPy Radau (rtol 1e-12, atol
1e-14·scale) cross-checked with BDF at the same tolerances (LSODA, or Radau at 1e-11, where BDF fails)
(`crossCheckRelDiff`), and SciPy's
Radau, BDF and LSODA figures at (rtol, atol) = (1e-3, 1e-6) and (1e-6, 1e-10): steps, nfev, njev,
nlu, `nfeWithJac` = nfev + njev·dim (finite-difference Jacobian columns counted as odekit counts
them), the max abs error and the max relative error (|err| / max |y_i| over the run, per component)
at the save points, and the median wall time of one solve on this machine (ms).
"""

import json
import platform
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

PROBLEMS = [
    {
        "id": "ROBER",
        "about": "Robertson's chemical kinetics (Hairer & Wanner II, §IV.1), to t = 40",
        "t0": 0.0, "t1": 40.0, "y0": [1.0, 0.0, 0.0],
        "rhs": ["-0.04*y0+1e4*y1*y2", "0.04*y0-1e4*y1*y2-3e7*y1^2", "3e7*y1^2"],
        "atolScale": 1.0,
    },
    {
        "id": "ROBER1E5",
        "about": "Robertson's chemical kinetics to t = 1e5 (save points on a log grid)",
        "t0": 0.0, "t1": 1e5, "y0": [1.0, 0.0, 0.0],
        "rhs": ["-0.04*y0+1e4*y1*y2", "0.04*y0-1e4*y1*y2-3e7*y1^2", "3e7*y1^2"],
        "atolScale": 1.0,
        "logGrid": True,
    },
    {
        "id": "VDP1000",
        "about": "Van der Pol oscillator, mu = 1000, to t = 3000",
        "t0": 0.0, "t1": 3000.0, "y0": [2.0, 0.0],
        "rhs": ["y1", "1000*(1-y0^2)*y1-y0"],
        "atolScale": 1.0,
    },
    {
        "id": "OREGO",
        "about": "Oregonator (Field-Noyes), Hairer & Wanner II §IV.1 / Enright-Hull stiff set, to t = 360",
        "t0": 0.0, "t1": 360.0, "y0": [1.0, 2.0, 3.0],
        "rhs": [
            "77.27*(y1+y0*(1-8.375e-6*y0-y1))",
            "(y2-(1+y0)*y1)/77.27",
            "0.161*(y0-y2)",
        ],
        "atolScale": 1.0,
    },
    {
        "id": "HIRES",
        "about": "HIRES, plant physiology (Schäfer 1975; Hairer & Wanner II §IV.10, the IVP test set), to t = 321.8122",
        "t0": 0.0, "t1": 321.8122, "y0": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057],
        "rhs": [
            "-1.71*y0+0.43*y1+8.32*y2+0.0007",
            "1.71*y0-8.75*y1",
            "-10.03*y2+0.43*y3+0.035*y4",
            "8.32*y1+1.71*y2-1.12*y3",
            "-1.745*y4+0.43*y5+0.43*y6",
            "-280*y5*y7+0.69*y3+1.71*y4-0.43*y5+0.69*y6",
            "280*y5*y7-1.81*y6",
            "-280*y5*y7+1.81*y6",
        ],
        "atolScale": 1.0,
    },
]


def field(rhs):
    code = [compile(r.replace("^", "**"), "<rhs>", "eval") for r in rhs]

    def f(t, y):
        env = {"t": t}
        for i, v in enumerate(y):
            env[f"y{i}"] = v
        return np.array([eval(c, {}, env) for c in code])

    return f


def save_times(p):
    if p.get("logGrid"):
        return [0.0] + list(np.logspace(-5, np.log10(p["t1"]), 20))
    return list(np.linspace(p["t0"], p["t1"], 21))


def errors(ys, ref):
    ys = np.asarray(ys)
    ref = np.asarray(ref)
    absErr = np.abs(ys - ref)
    scale = np.maximum(np.max(np.abs(ref), axis=0), 1e-300)
    return float(np.max(absErr)), float(np.max(absErr / scale))


def main():
    only = sys.argv[1:]
    old = {}
    if only:
        with open("fixtures/stiff-problems.json") as fh:
            old = {p["id"]: p for p in json.load(fh)["problems"]}
    out = {
        "about": __doc__.strip().splitlines()[0],
        "generator": "packages/testing/scripts/make-stiff-problems.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "problems": [],
    }
    for p in PROBLEMS:
        if only and p["id"] not in only:
            if p["id"] in old:
                out["problems"].append(old[p["id"]])
            continue
        f = field(p["rhs"])
        ts = save_times(p)
        span = (p["t0"], p["t1"])
        ref = solve_ivp(f, span, p["y0"], method="Radau", t_eval=ts, rtol=1e-12, atol=1e-14)
        chk = solve_ivp(f, span, p["y0"], method="BDF", t_eval=ts, rtol=1e-12, atol=1e-14)
        if not chk.success:
            chk = solve_ivp(f, span, p["y0"], method="LSODA", t_eval=ts, rtol=1e-12, atol=1e-14)
        if not chk.success:
            chk = solve_ivp(f, span, p["y0"], method="Radau", t_eval=ts, rtol=1e-11, atol=1e-13)
        assert ref.success and chk.success, p["id"]
        refYs = ref.y.T
        cross = float(np.max(np.abs(chk.y.T - refYs) / np.maximum(np.max(np.abs(refYs), axis=0), 1e-300)))
        dim = len(p["y0"])
        figures = {}
        for method in ["Radau", "BDF", "LSODA"]:
            for rtol, atol in [(1e-3, 1e-6), (1e-6, 1e-10)]:
                r = solve_ivp(f, span, p["y0"], method=method, t_eval=ts, rtol=rtol, atol=atol)
                steps_run = solve_ivp(f, span, p["y0"], method=method, rtol=rtol, atol=atol)
                times = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    solve_ivp(f, span, p["y0"], method=method, rtol=rtol, atol=atol)
                    times.append((time.perf_counter() - t0) * 1e3)
                absErr, relErr = errors(r.y.T, refYs) if r.success else (float("nan"), float("nan"))
                figures[f"{method}@{rtol:g}/{atol:g}"] = {
                    "success": bool(r.success),
                    "steps": len(steps_run.t) - 1,
                    "nfev": int(r.nfev),
                    "njev": int(r.njev),
                    "nlu": int(r.nlu),
                    "nfeWithJac": int(r.nfev + r.njev * dim),
                    "maxAbsErr": absErr,
                    "maxRelErr": relErr,
                    "msPerSolve": float(np.median(times)),
                }
                print(p["id"], method, rtol, atol, figures[f"{method}@{rtol:g}/{atol:g}"], flush=True)
        out["problems"].append(
            {
                "id": p["id"],
                "about": p["about"],
                "stiff": True,
                "t0": p["t0"],
                "t1": p["t1"],
                "y0": p["y0"],
                "rhs": p["rhs"],
                "ts": [float(t) for t in ts],
                "ys": refYs.tolist(),
                "crossCheckRelDiff": cross,
                "scipy": figures,
            }
        )
    with open("fixtures/stiff-problems.json", "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

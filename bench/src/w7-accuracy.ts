// W7 --part accuracy: the implicit solvers on the stiff reference set (Robertson to 40 and to 1e5,
// Van der Pol μ = 1000, the Oregonator) at rtol 1e-3 / atol 1e-6 and rtol 1e-6 / atol 1e-10,
// against SciPy Radau's figures in the fixture: max relative error at the save times (dense
// output) and evaluations (Jacobian columns included), with the bars
// (error ≤ max(10 × Radau's, 1e-4), NFE ≤ 2 × Radau's). One JSON line per case.
// Flags: `--solvers kvaerno5,rodas4,kvaerno3`, `--precision float64|float32` (the compiled field's
// arithmetic, `compileField(f, { precision })`; default float64, the host path the stiff tests
// use), `--predictive true`,
// `--pcoeff 0.3 --icoeff 0.4`, `--safety 0.9`, `--factormax 10` (the controller), `--only ROBER,OREGO`.
import { compileField } from '@odekit/core';
import {
  type AbstractSolver,
  diffeqsolve,
  kvaerno3,
  kvaerno5,
  pidController,
  radau5,
  rodas4,
  rodas5p,
  saveAt,
} from '@odekit/solvers';
import { loadStiffProblems } from '@odekit/testing';
import { emit, flag, setup, tf } from './common.js';

const backend = await setup();
const only = flag('only', '') ?? '';
const solverNames = (flag('solvers', 'kvaerno5,rodas4') ?? '').split(',');
const precision = flag('precision', 'float64') ?? 'float64';
if (precision !== 'float32' && precision !== 'float64') throw new Error('W7: --precision must be float32 or float64');
const predictive = flag('predictive', 'false') === 'true';
const pcoeff = Number(flag('pcoeff', '0') ?? '0');
const icoeff = Number(flag('icoeff', '1') ?? '1');
const safety = Number(flag('safety', '0.9') ?? '0.9');
const factormax = Number(flag('factormax', '10') ?? '10');
const makers: Record<string, () => AbstractSolver> = { kvaerno5, kvaerno3, rodas4, rodas5p, radau5 };

for (const p of loadStiffProblems()) {
  if (only !== '' && !only.split(',').includes(p.id)) continue;
  for (const rtol of [1e-3, 1e-6]) {
    const atol = rtol === 1e-3 ? 1e-6 : 1e-10;
    const radau = p.scipy[`Radau@${rtol === 1e-3 ? '0.001/1e-06' : '1e-06/1e-10'}`];
    if (radau === undefined) throw new Error(`W7: no Radau figures for ${p.id}`);
    const errBar = Math.max(10 * radau.maxRelErr, 1e-4);
    for (const name of solverNames) {
      const make = makers[name];
      if (make === undefined) throw new Error(`W7: unknown solver ${name}`);
      const solver = make();
      const term = compileField((t: number, y: tf.Tensor) => p.vectorField(t, y), { precision, strict: true });
      const y0 = tf.tensor1d(p.y0);
      const sol = diffeqsolve({
        term,
        solver,
        t0: p.t0,
        t1: p.t1,
        y0,
        saveat: saveAt({ ts: p.ts }),
        stepsizeController: pidController({ rtol, atol, predictive, pcoeff, icoeff, safety, factormax }),
        maxSteps: 100_000,
        throwOnFailure: false,
      });
      const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
      const scale = p.y0.map((_, j) => Math.max(...p.ys.map((r) => Math.abs(r[j] as number))));
      let relErr = 0;
      p.ys.forEach((row, i) => {
        row.forEach((v, j) => {
          const e = Math.abs(((ys[i] as number[])[j] as number) - v) / (scale[j] as number);
          relErr = Math.max(relErr, Number.isNaN(e) ? Number.POSITIVE_INFINITY : e);
        });
      });
      const nfeRatio = sol.stats.numFnEvals / radau.nfeWithJac;
      emit({
        workload: 'W7',
        case: `accuracy/${p.id}/rtol ${rtol}/${name}/${precision}`,
        backend,
        result: sol.result,
        maxRelErr: Number(relErr.toExponential(2)),
        errBar: Number(errBar.toExponential(2)),
        errMet: relErr <= errBar,
        nfe: sol.stats.numFnEvals,
        nfeRatio: Number(nfeRatio.toFixed(2)),
        nfeMet: nfeRatio <= 2,
        steps: sol.stats.numAcceptedSteps,
        rejected: sol.stats.numRejectedSteps,
        jacobians: sol.stats.numJacobianEvals,
        lu: sol.stats.numLuFactorisations,
        newton: sol.stats.numNewtonIterations,
      });
      sol.dispose();
      y0.dispose();
    }
  }
}

import { assertFinite, type Tree, treeFlatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Adjoint } from './adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { constantStepSize, type StepSizeController } from './controllers.js';
import { type CompileOption, compileChoice, fieldForHost } from './default-compile.js';
import { withTapeVjp, withVjp } from './implicit/host-field-vjp.js';
import { openHostSession } from './open-host-session.js';
import { checkOptions } from './options.js';
import { layoutOf, packHost, packRow, type StateLayout, unpackHost, unpackRows } from './packing.js';
import type { SolveProblem } from './problem.js';
import { isBuiltSaveAt, saveAt as makeSaveAt, type SaveAt, type SaveAtOptions } from './save-at.js';
import { Solution, SolveError } from './solution.js';
import type { AbstractSolver, HostField, RowField } from './solver.js';
import { splitArgs } from './split-args.js';
import type { OdeTerm, VectorField } from './term.js';

/** Options of {@link diffeqsolve} (Diffrax's names in camelCase). */
export interface DiffeqsolveOptions<Y extends Tree<tf.Tensor>, A> {
  /** `odeTerm(f)` or a bare `f(t, y, args) → dy`. */
  term: OdeTerm<Y, A> | VectorField<Y, A>;
  solver: AbstractSolver;
  t0: number;
  t1: number;
  /** Initial step (signed like `t1 − t0`); optional with an adaptive controller. */
  dt0?: number;
  /** Initial state: a pytree of float32 tensors, leaves `[dim]` or `[batch, ...]`. */
  y0: Y;
  /** Passed to the vector field; tensors here get gradients (closures do not, with checkpointing). */
  args?: A;
  saveat?: SaveAt;
  stepsizeController?: StepSizeController;
  adjoint?: Adjoint;
  maxSteps?: number;
  throwOnFailure?: boolean;
  progress?: (p: { t: number; fraction: number; numSteps: number }) => void;
  /**
   * Whether a plain tfjs field is compiled for host arrays (`compileField`) on the cpu and wasm
   * backends: `true` by default, `false` to run the field as written (tfjs ops), or
   * `{ strict, onFallback, precision }` (`precision: 'float64'` for stiff solves below rtol ≈ 1e-4). A field that cannot be compiled (it reads tensor values, its ops
   * change between `t0` and `t1`, ...) falls back to the tensor field with the reason in
   * `sol.stats.fallbacks`. Fields that carry a host implementation (`compileField`, an MLP's
   * `vectorField`) use them either way.
   */
  compile?: CompileOption;
}

const KEYS = [
  'term',
  'solver',
  't0',
  't1',
  'dt0',
  'y0',
  'args',
  'saveat',
  'stepsizeController',
  'adjoint',
  'maxSteps',
  'throwOnFailure',
  'progress',
  'compile',
] as const;

/**
 * Solves an ODE `dy/dt = f(t, y, args)` from `t0` to `t1` (Diffrax's `diffeqsolve`).
 *
 * Synchronous: returns a {@link Solution} whose tensors you own (`sol.dispose()`). Time is a
 * float64 JS number; states are float32 pytrees; a leading batch axis shares adaptive steps and
 * the error norm takes the worst sample. Numerical failure is reported in `sol.result`; with
 * `throwOnFailure` (default) it throws a {@link SolveError} carrying the partial solution and stats.
 *
 * Gradients: with the default `recursiveCheckpointAdjoint()` any loss of `sol.ys` can be
 * differentiated (e.g. with `valueAndGrad`) with respect to tensors in `y0` and `args`; tensors
 * captured in a closure get no gradient there — pass them in `args`.
 *
 * @throws Error naming the argument for bad input (non-finite y0/t0/t1, wrong-signed dt0, `ts`
 *   outside [t0, t1], unknown options, a vector field returning another structure or shape).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, tsit5, saveAt, pidController } from '@odekit/solvers';
 * const sol = diffeqsolve({
 *   term: (t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(args.k), y),
 *   solver: tsit5(), t0: 0, t1: 1, y0: tf.tensor([1, 2]), args: { k: tf.scalar(1) },
 *   saveat: saveAt({ ts: [0, 0.5, 1] }), stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
 * });
 * const last = (sol.ys as tf.Tensor).arraySync() as number[][];
 * if (Math.abs((last[2] as number[])[0] as number - Math.exp(-1)) > 1e-5) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function diffeqsolve<Y extends Tree<tf.Tensor>, A = unknown>(options: DiffeqsolveOptions<Y, A>): Solution<Y> {
  checkOptions('diffeqsolve', options, KEYS);
  const problem = validate(options);
  const adjoint = options.adjoint ?? recursiveCheckpointAdjoint();
  const out = adjoint.solve(problem);
  const stats = problem.fallbacks.length > 0 ? { ...out.stats, fallbacks: problem.fallbacks.slice() } : out.stats;
  const sol = new Solution<Y>({
    ts: out.ts,
    ys: out.ys as Y,
    stats,
    result: out.result,
    denseSteps: out.denseSteps,
    denseDetached: out.denseDetached ?? false,
    sampleOffsets: out.sampleOffsets,
    layout: problem.layout,
    solver: problem.solver,
  });
  if (out.result !== 'successful' && (options.throwOnFailure ?? true)) {
    const why: Record<string, string> = {
      max_steps_reached: `reached maxSteps = ${problem.maxSteps} before t1; raise maxSteps, loosen rtol/atol, or try a stiff-aware setup`,
      dt_min_reached: 'the step size fell below dtmin (or underflowed); the problem may be stiff or singular',
      nonfinite:
        'the state became NaN or Infinity and shrinking the step did not help; check the vector field and args',
    };
    if (out.result === 'max_steps_reached' && out.stiffness !== undefined && out.stiffness >= 1) {
      why.max_steps_reached = `reached maxSteps = ${problem.maxSteps} before t1; the problem is stiff there (|h|·ρ(∂f/∂y) ≈ ${out.stiffness.toPrecision(2)} at the last step: the explicit solver's step is held by stability, not accuracy): use an implicit solver, e.g. solver: kvaerno5()`;
    }
    throw new SolveError(
      `diffeqsolve: ${out.result} at t = ${out.tEnd}: ${why[out.result]}. The partial solution is on error.solution (pass throwOnFailure: false to get it returned).`,
      out.result,
      sol,
      stats,
    );
  }
  return sol;
}

function validate<Y extends Tree<tf.Tensor>, A>(o: DiffeqsolveOptions<Y, A>): SolveProblem {
  const vf = typeof o.term === 'function' ? o.term : o.term?.vectorField;
  if (typeof vf !== 'function') {
    throw new Error("diffeqsolve: 'term' must be odeTerm(f) or a function (t, y, args) => dy.");
  }
  const solver = o.solver;
  if (solver === undefined || typeof solver.step !== 'function') {
    throw new Error("diffeqsolve: 'solver' is required, e.g. solver: tsit5().");
  }
  for (const k of ['t0', 't1'] as const) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) {
      throw new Error(`diffeqsolve: '${k}' must be a finite number, got ${String(o[k])}.`);
    }
  }
  const { t0, t1 } = o;
  const controller = o.stepsizeController ?? constantStepSize();
  if (typeof controller?.adapt !== 'function' || typeof controller.initialState !== 'function') {
    throw new Error(
      "diffeqsolve: 'stepsizeController' must be a controller such as pidController({ rtol, atol }) or constantStepSize() (call the factory).",
    );
  }
  if (o.adjoint !== undefined && typeof o.adjoint?.solve !== 'function') {
    throw new Error(
      "diffeqsolve: 'adjoint' must be an adjoint such as recursiveCheckpointAdjoint(), directAdjoint() or backsolveAdjoint() (call the factory).",
    );
  }
  if (o.dt0 !== undefined) {
    if (typeof o.dt0 !== 'number' || !Number.isFinite(o.dt0) || o.dt0 === 0) {
      throw new Error(`diffeqsolve: 'dt0' must be a non-zero finite number, got ${String(o.dt0)}.`);
    }
    if (t1 !== t0 && Math.sign(o.dt0) !== Math.sign(t1 - t0)) {
      throw new Error(
        `diffeqsolve: 'dt0' = ${o.dt0} has the wrong sign for integrating from t0 = ${t0} to t1 = ${t1}; use ${-o.dt0}.`,
      );
    }
  } else if (!controller.adaptive && t1 !== t0) {
    throw new Error("diffeqsolve: 'dt0' is required with constantStepSize(); pass dt0 or an adaptive pidController.");
  }
  if (controller.adaptive && solver.errorOrder === undefined) {
    throw new Error(
      `diffeqsolve: solver '${solver.name}' has no error estimate, so 'stepsizeController' must be constantStepSize(); use an embedded method (tsit5, dopri5, bosh3, ...) for adaptive steps.`,
    );
  }
  if (o.y0 === undefined) throw new Error("diffeqsolve: 'y0' is required (a tensor or a pytree of tensors).");
  const layout = layoutOf(o.y0, 'diffeqsolve: y0');
  assertFinite(o.y0, 'diffeqsolve: y0');
  const maxSteps = o.maxSteps ?? 4096;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new Error(`diffeqsolve: 'maxSteps' must be a positive integer, got ${maxSteps}.`);
  }
  // A plain object (not built by saveAt) is checked and completed the same way.
  let saveat: SaveAt;
  try {
    // one built by saveAt() is checked and frozen already (a batched solve may save thousands of times)
    saveat =
      o.saveat === undefined
        ? makeSaveAt()
        : isBuiltSaveAt(o.saveat)
          ? o.saveat
          : makeSaveAt(o.saveat as SaveAtOptions);
  } catch (e) {
    throw new Error(`diffeqsolve: 'saveat' is invalid: ${(e as Error).message}`);
  }
  const lo = Math.min(t0, t1);
  const hi = Math.max(t0, t1);
  const tol = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(t1));
  saveat.ts.forEach((t, i) => {
    if (t < lo - tol || t > hi + tol) {
      throw new Error(
        `diffeqsolve: saveat.ts[${i}] = ${t} is outside [${lo}, ${hi}]; save only inside the solved interval.`,
      );
    }
  });
  if (
    saveat.ts.length > 1 &&
    Math.sign((saveat.ts[saveat.ts.length - 1] as number) - (saveat.ts[0] as number)) * Math.sign(t1 - t0) < 0
  ) {
    throw new Error('diffeqsolve: saveat.ts runs against the direction of integration; order it from t0 towards t1.');
  }
  if (saveat.sampleTs !== undefined) checkSampleTs(saveat.sampleTs, layout.batch, t0, t1, lo, hi, tol);
  if (o.progress !== undefined && typeof o.progress !== 'function') {
    throw new Error("diffeqsolve: 'progress' must be a function ({ t, fraction, numSteps }) => void.");
  }
  const compile = compileChoice(o.compile);
  const userField = vf as unknown as VectorField<Tree<tf.Tensor>, unknown>;
  // the same field, compiled for host arrays unless it carries a host implementation or compile is off
  const field = fieldForHost(userField, compile.enabled, compile.precision);
  const fallbacks: string[] = [];
  const reportFallback = (reason: string): void => {
    if (fallbacks.includes(reason)) return;
    fallbacks.push(reason);
    compile.onFallback?.(reason);
  };
  const span: [number, number] = [t0, t1];
  const rowField = (args: unknown): RowField => {
    let checked = false;
    return (t, row) => {
      const y = unpackRows(layout, row, null);
      const dy = userField(t, y, args);
      if (!checked) {
        checkOutput(layout, dy);
        checked = true;
      }
      return packRow(layout, dy);
    };
  };
  const hostField = (args: unknown): HostField => {
    // A field with a host implementation (say an MLP's vectorField) runs without tensors where it can.
    const argTensors = splitArgs(args).tensors;
    const session = openHostSession(field, layout, args, argTensors, span, (reason) => {
      if (compile.strict) {
        throw new Error(
          `diffeqsolve: the field cannot run compiled (compile.strict): ${reason}; pass compile: true to fall back to the tensor field.`,
        );
      }
      reportFallback(reason);
    });
    if (session !== undefined) return withVjp((t, y) => session.evaluate(t, y), session, argTensors);
    let checked = false;
    const plain: HostField = (t, y) => {
      // Read the values inside the scope: the field may return tensors it does not own (say
      // a leaf of args), which must not be disposed; everything made here is.
      let values = new Float32Array(0);
      tf.tidy(() => {
        const out = userField(t, unpackHost(layout, y), args);
        if (!checked) {
          checkOutput(layout, out);
          checked = true;
        }
        values = packHost(layout, out).slice();
      });
      return values;
    };
    return withTapeVjp(plain, userField, layout, args);
  };
  return {
    vectorField: field,
    solver,
    controller,
    t0,
    t1,
    dt0: o.dt0,
    layout,
    saveat,
    maxSteps,
    progress: o.progress,
    y0: o.y0,
    args: o.args,
    rowField,
    hostField,
    fallbacks,
    reportFallback,
  };
}

/** One list per sample, each inside [t0, t1] and in the direction of integration. */
function checkSampleTs(
  sampleTs: readonly (readonly number[])[],
  batch: number,
  t0: number,
  t1: number,
  lo: number,
  hi: number,
  tol: number,
): void {
  if (sampleTs.length !== batch) {
    throw new Error(
      `diffeqsolve: saveat.sampleTs has ${sampleTs.length} lists but y0 has ${batch} sample${batch === 1 ? '' : 's'} (its leading batch axis); pass one list of times per sample.`,
    );
  }
  sampleTs.forEach((list, b) => {
    list.forEach((t, i) => {
      if (t < lo - tol || t > hi + tol) {
        throw new Error(
          `diffeqsolve: saveat.sampleTs[${b}][${i}] = ${t} is outside [${lo}, ${hi}]; save only inside the solved interval.`,
        );
      }
    });
    if (
      list.length > 1 &&
      Math.sign((list[list.length - 1] as number) - (list[0] as number)) * Math.sign(t1 - t0) < 0
    ) {
      throw new Error(
        `diffeqsolve: saveat.sampleTs[${b}] runs against the direction of integration; order it from t0 towards t1.`,
      );
    }
  });
}

function checkOutput(layout: StateLayout, dy: Tree<tf.Tensor>): void {
  const { leaves, treedef } = treeFlatten<tf.Tensor>(dy);
  if (!treedef.equals(layout.treedef)) {
    throw new Error(
      `diffeqsolve: the vector field returned structure ${treedef.toString()} but y has ${layout.treedef.toString()}; return dy shaped like y.`,
    );
  }
  leaves.forEach((leaf, i) => {
    const want = layout.shapes[i] as number[];
    if (!(leaf instanceof tf.Tensor) || !tf.util.arraysEqual(leaf.shape, want)) {
      const got = leaf instanceof tf.Tensor ? `[${leaf.shape.join(', ')}]` : typeof leaf;
      throw new Error(
        `diffeqsolve: the vector field returned leaf #${i} with shape ${got} but y's leaf has [${want.join(', ')}]; return dy shaped like y.`,
      );
    }
    if (leaf.dtype !== 'float32') {
      throw new Error(
        `diffeqsolve: the vector field returned leaf #${i} with dtype ${leaf.dtype}; return float32 (cast with tf.cast(dy, 'float32')).`,
      );
    }
  });
}

export { type Adjoint, type AdjointOutput, directAdjoint } from './adjoint.js';
export { type BacksolveOptions, backsolveAdjoint } from './backsolve-adjoint.js';
export { type CheckpointOptions, recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
export {
  type AdaptResult,
  type ControllerState,
  constantStepSize,
  type PidOptions,
  pidController,
  type StepSizeController,
} from './controllers.js';
export type { CompileOption } from './default-compile.js';
export { type DiffeqsolveOptions, diffeqsolve } from './diffeqsolve.js';
export { luFactor, luSolve, luSolveTransposed } from './implicit/dense-lu.js';
export { esdirk } from './implicit/esdirk.js';
export { defineEsdirkTableau, type EsdirkTableau } from './implicit/esdirk-tableau.js';
export { IMPLICIT_EULER, KVAERNO3, KVAERNO5 } from './implicit/esdirk-tableaus.js';
export type { ImplicitOptions } from './implicit/implicit-options.js';
export { implicitEuler, kvaerno3, kvaerno5, rodas4, rodas5p } from './implicit/implicit-solvers.js';
export type { JacobianOption } from './implicit/jacobian.js';
export { radau5 } from './implicit/radau.js';
export { rosenbrock } from './implicit/rosenbrock.js';
export { defineRosenbrockTableau, RODAS4, RODAS5P, type RosenbrockTableau } from './implicit/rosenbrock-tableau.js';
export type { SolveProblem } from './problem.js';
export { explicitRungeKutta } from './runge-kutta/explicit.js';
export { bosh3, dopri5, dopri8, euler, heun, midpoint, ralston, rk4, tsit5 } from './runge-kutta/solvers.js';
export { type ButcherTableau, defineTableau, type TableauSpec } from './runge-kutta/tableau.js';
export { BOSH3, DOPRI5, DOPRI8, EULER, HEUN, MIDPOINT, RALSTON, RK4, TSIT5 } from './runge-kutta/tableaus.js';
export { type SaveAt, type SaveAtOptions, saveAt } from './save-at.js';
export { type DenseStep, Solution, SolveError, type SolveResult, type SolveStats } from './solution.js';
export type { AbstractSolver, ImplicitStepStats, RowField, StepInput, StepOutput, StepTolerances } from './solver.js';
export { type OdeTerm, odeTerm, type VectorField } from './term.js';

export { type AllcloseOptions, type AllcloseResult, allclose } from './allclose.js';
export { empiricalOrder } from './empirical-order.js';
export { installMatchers } from './matchers.js';
export { expectNoLeak } from './no-leak.js';
export { loadReferenceProblems, type ReferenceProblem } from './reference-problems.js';
export { evaluateRhs, evaluateRhsTensor, parseRhs, type RhsFunction, type RhsNode } from './rhs-parser.js';
export { loadStiffProblems, type ScipyStiffFigures, type StiffProblem } from './stiff-problems.js';
export {
  type LvHybridArgs,
  type LvHybridParams,
  loadWorkloads,
  lvHybridArgs,
  lvHybridField,
  lvHybridFieldFused,
  lvHybridFlat,
  lvHybridParams,
  type Workloads,
} from './workloads.js';

export { cancelCommonFactors } from './cancel-factors.js';
export { ColumnEvaluator, type Columns } from './column-evaluator.js';
export {
  type CompiledExpression,
  type CompiledFunction,
  type CompileOptions,
  compileExpression,
  type ExpressionParams,
} from './compile.js';
export { type ComplexityOptions, nodeComplexity } from './complexity.js';
export type { DataColumns } from './dataset.js';
export type { EarlyStopOption, EarlyStopRule } from './early-stop.js';
export { Expression, type VariableValues } from './expression.js';
export { HallOfFame, selectModel } from './hall-of-fame.js';
export {
  combineLibraries,
  customLibrary,
  type PolynomialLibraryOptions,
  polynomialLibrary,
  type TermLibrary,
} from './library.js';
export {
  type BinaryNode,
  binary,
  type CallNode,
  type ConstNode,
  call,
  callsOf,
  constant,
  constantsOf,
  type ExprNode,
  nodeCount,
  nodeEquals,
  replaceCalls,
  substituteVariables,
  treeDepth,
  type UnaryNode,
  unary,
  type VarNode,
  variable,
  variablesOf,
  withConstants,
} from './node.js';
export {
  BINARY_OPERATORS,
  type BinaryOpName,
  type BinaryOpSpec,
  isBinaryOp,
  isUnaryOp,
  type OpName,
  UNARY_OPERATORS,
  type UnaryOpName,
  type UnaryOpSpec,
} from './operators.js';
export { ExpressionSyntaxError, type ParseOptions, parseExpression } from './parse.js';
export { type RefitOptions, refitConstants } from './refit-constants.js';
export { roundConstants } from './round-constants.js';
export { type SearchClock, startClock } from './search-clock.js';
export {
  DEFAULT_MUTATION_WEIGHTS,
  type HallOfFameEntry,
  type MutationWeights,
  type SearchProgress,
  type SymbolicRegressionOptions,
} from './search-options.js';
export { type SimplifyOptions, simplify } from './simplify.js';
export { type SparseRegressionOptions, sparseRegression } from './sparse-regression.js';
export { type SymbolicRegressionResult, symbolicRegression } from './symbolic-regression.js';
export { type TidyOptions, tidyTree } from './tidy.js';
export { setSymbolicWasmEnabled } from './wasm-kernels.js';

// @odekit/symbolic/node: the Node-only parts (worker threads). Browser bundles import '@odekit/symbolic'.
export { type NodeSymbolicRegressionOptions, symbolicRegression } from './parallel-search.js';

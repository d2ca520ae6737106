/**
 * The base class of every error @odekit/observables throws on bad input (datasets, CSV text,
 * model specs, calls): catch this one to tell the user's mistakes from bugs.
 *
 * @example
 * ```ts
 * import { createDataset, ObservablesError } from '@odekit/observables';
 * try { createDataset({ channels: ['r'], trajectories: [{ times: [0, 0], values: { r: [1, 2] } }] }); }
 * catch (e) { if (!(e instanceof ObservablesError)) throw e; }
 * ```
 */
export class ObservablesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObservablesError';
  }
}

/**
 * A dataset that breaks a rule: names the trajectory (index and id), and where it applies the
 * row (0-based index into the trajectory's times) and the channel or condition.
 *
 * @example
 * ```ts
 * import { createDataset, DatasetError } from '@odekit/observables';
 * try { createDataset({ channels: ['r'], trajectories: [{ id: 'a', times: [0, 1, 1], values: { r: [1, 2, 3] } }] }); }
 * catch (e) { if (!(e instanceof DatasetError) || e.row !== 2 || e.trajectory !== 0) throw e; }
 * ```
 */
export class DatasetError extends ObservablesError {
  constructor(
    message: string,
    readonly trajectory?: number,
    readonly row?: number,
    readonly channel?: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * CSV text that cannot be read as a dataset: names the 1-based `row` of the file (the header is
 * row 1) and the `column` (its header name), where they apply.
 *
 * @example
 * ```ts
 * import { CsvError, datasetFromCsv } from '@odekit/observables';
 * try { datasetFromCsv('t,r\n0,1\n1,oops\n'); }
 * catch (e) { if (!(e instanceof CsvError) || e.row !== 3 || e.column !== 'r') throw e; }
 * ```
 */
export class CsvError extends ObservablesError {
  constructor(
    message: string,
    readonly row?: number,
    readonly column?: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/**
 * A model spec (`modelFromEquations`) that breaks the schema or whose equations do not parse:
 * `path` is the JSON path of the bad value (`equations.c`, `networks.NN.width`), `position` the
 * 0-based character position inside an expression where that applies.
 *
 * @example
 * ```ts
 * import { modelFromEquations, SpecError } from '@odekit/observables';
 * try { modelFromEquations({ states: ['r'], equations: { r: '-k*r' } }); }
 * catch (e) { if (!(e instanceof SpecError) || e.path !== 'equations.r' || e.position !== 1) throw e; }
 * ```
 */
export class SpecError extends ObservablesError {
  constructor(
    message: string,
    readonly path: string,
    readonly position?: number,
  ) {
    super(message);
    this.name = 'SpecError';
  }
}

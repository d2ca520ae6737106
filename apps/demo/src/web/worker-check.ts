import { CsvError, type Dataset, datasetFromCsv, ObservablesError } from '@odekit/observables';
import type { ModelSpec, SeriesSet } from '../pipeline/types.js';
import { checkSpecText } from './spec-check.js';
import type { CheckResult, InputIssue } from './worker-api.js';

/** {@link CheckResult} plus the parsed spec (kept inside the worker). */
export interface InputCheck extends CheckResult {
  readonly spec: ModelSpec | null;
}

/** The dataset's trajectories as plot series (trajectory = index, as the pipeline numbers them). */
export function datasetSeries(ds: Dataset): SeriesSet[] {
  return ds.trajectories.map((tr, trajectory) => ({
    trajectory,
    t: Array.from(tr.times),
    values: Object.fromEntries(ds.channels.map((ch) => [ch, Array.from(tr.values[ch] ?? [])])),
  }));
}

function checkCsv(csv: string): { issues: InputIssue[]; dataset: Dataset | null } {
  try {
    return { issues: [], dataset: datasetFromCsv(csv) };
  } catch (e) {
    if (!(e instanceof ObservablesError)) throw e;
    const message = `data: ${e.message.replace(/^datasetFromCsv: /, '')}`;
    const row = e instanceof CsvError ? e.row : undefined;
    return { issues: [row === undefined ? { message } : { message, line: row }], dataset: null };
  }
}

/**
 * Checks the spec text and the CSV text as the command reads them (the CSV with
 * @odekit/observables' `datasetFromCsv`), placing each problem at its line where possible.
 */
export function checkInputs(specText: string, csv: string): InputCheck {
  const spec = checkSpecText(specText);
  const data = checkCsv(csv);
  const ds = data.dataset;
  const rows = ds?.trajectories.reduce((n, tr) => n + tr.times.length, 0) ?? 0;
  return {
    spec: spec.spec,
    specIssues: spec.issues,
    csvIssues: data.issues,
    equationsLatex: spec.equationsLatex,
    dataSummary:
      ds === null
        ? null
        : `${rows} rows, channels ${ds.channels.join(', ')}, ${ds.trajectories.length} trajector${ds.trajectories.length === 1 ? 'y' : 'ies'}`,
    observed: ds === null ? [] : datasetSeries(ds),
  };
}

import type { Dataset, EquationsModel } from '@odekit/observables';
import { checkChannels, readData } from '../pipeline/input.js';
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

/** Reads the CSV as the command does (its default columns `t` and `trajectory`) and checks it against the model. */
function checkCsv(csv: string, model: EquationsModel | null): { issues: InputIssue[]; dataset: Dataset | null } {
  let dataset: Dataset | null = null;
  try {
    dataset = readData(csv, 't', 'trajectory');
    if (model !== null) checkChannels(model, dataset);
    return { issues: [], dataset };
  } catch (e) {
    if ((e as Error).name !== 'UserInputError') throw e;
    const message = (e as Error).message.split('\n')[0] as string;
    const row = /\brow (\d+)/.exec(message)?.[1];
    return { issues: [row === undefined ? { message } : { message, line: Number(row) }], dataset };
  }
}

/**
 * Checks the spec text and the CSV text as the command reads them (the pipeline's own `readData`
 * and `checkChannels`), placing each problem at its line where possible.
 */
export function checkInputs(specText: string, csv: string): InputCheck {
  const spec = checkSpecText(specText);
  const data = checkCsv(csv, spec.model);
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

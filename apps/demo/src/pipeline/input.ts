import {
  channelScales,
  type Dataset,
  datasetFromCsv,
  type EquationsModel,
  type EquationsSpec,
  modelFromEquations,
  ObservablesError,
} from '@odekit/observables';
import { pidController } from '@odekit/solvers';
import { magnitudeOf } from './parameter-scales.js';
import type { ModelSpec, StageSettings } from './types.js';
import { UserInputError } from './types.js';

/** Re-throws @odekit/observables' input errors (CSV, dataset, spec) as one-line user errors. */
export function asUserError(e: unknown, where: 'data' | 'model'): never {
  if (e instanceof ObservablesError || (e instanceof Error && /Syntax|Spec|Csv|Dataset/.test(e.name))) {
    throw new UserInputError(`${where}: ${e.message.split('\n')[0]}`);
  }
  throw e;
}

/** Reads the CSV text into a dataset, naming the row and column of a problem. */
export function readData(csv: string, timeColumn: string, trajectoryColumn: string): Dataset {
  if (csv.trim() === '') throw new UserInputError('data: the CSV is empty; it needs a header row and data rows.');
  const header = (csv.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  if (!header.includes(timeColumn)) {
    throw new UserInputError(
      `data: no time column '${timeColumn}' in the header (${header.join(', ')}); name it '${timeColumn}' or pass --time-column.`,
    );
  }
  try {
    return datasetFromCsv(csv, {
      time: timeColumn,
      ...(header.includes(trajectoryColumn) ? { trajectory: trajectoryColumn } : {}),
    });
  } catch (e) {
    asUserError(e, 'data');
  }
}

/**
 * What every loss divides each channel's residuals by (see `StageSettings.lossScales`): when the
 * setting is on and some channel's RMS over the data (every trajectory, missing cells skipped) is
 * under 0.2 or over 5, every channel's RMS; else undefined, the raw residuals. Data of a few units
 * (every scenario in the repository, the UDE paper's) are fitted as they are; in other units each
 * channel's residuals count in units of its own size, so the loss, and every fit, is the same in
 * any such units, and where the noise is a share of each state's size this is least squares
 * weighted by the noise's spread (the maximum-likelihood fit).
 */
export function lossScalesOf(data: Dataset, settings: StageSettings): Readonly<Record<string, number>> | undefined {
  if (!settings.lossScales) return undefined;
  const rms = channelScales(data);
  return Object.values(rms).some((v) => magnitudeOf(v) !== 1) ? rms : undefined;
}

/** Builds the model, with the solver tolerances of the settings. */
export function buildModel(
  spec: ModelSpec,
  settings: StageSettings,
  seed: number,
  lossScales?: Readonly<Record<string, number>>,
): EquationsModel {
  const { discovery: _d, ...rest } = spec;
  try {
    return modelFromEquations(rest as unknown as EquationsSpec, {
      seed,
      stepsizeController: pidController({ rtol: settings.rtol, atol: settings.atol }),
      ...(lossScales === undefined ? {} : { loss: { normalize: lossScales } }),
    });
  } catch (e) {
    asUserError(e, 'model');
  }
}

/** Checks that the data's columns are the model's channels: none missing, none extra. */
export function checkChannels(model: EquationsModel, data: Dataset): void {
  const missing = model.channels.filter((c) => !data.channels.includes(c));
  const extra = data.channels.filter((c) => !model.channels.includes(c));
  if (extra.length > 0) {
    throw new UserInputError(
      `data: column '${extra[0]}' is not a channel of the model (its channels: ${model.channels.join(', ')}); remove the column or add an observation named '${extra[0]}' to the model.`,
    );
  }
  if (missing.length === model.channels.length) {
    throw new UserInputError(
      `data: none of the model's channels (${model.channels.join(', ')}) is a column of the CSV (columns: ${data.channels.join(', ')}).`,
    );
  }
  if (missing.length > 0) {
    throw new UserInputError(
      `data: the model observes '${missing[0]}', which is not a column of the CSV; add the column (empty cells are missing values) or remove the observation.`,
    );
  }
}

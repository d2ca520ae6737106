import { readFileSync, writeFileSync } from 'node:fs';
import { type CsvReadOptions, type CsvWriteOptions, datasetFromCsv, datasetToCsv } from './csv.js';
import type { Dataset } from './dataset.js';
import { CsvError } from './errors.js';

/**
 * Reads a dataset from a CSV file (Node only; see `datasetFromCsv` for the format).
 *
 * @throws CsvError naming the file when it cannot be read, and the row and column of bad cells.
 * @example
 * ```ts
 * import { mkdtempSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { readDatasetCsv } from '@odekit/observables/node';
 * const file = join(mkdtempSync(join(tmpdir(), 'odekit-')), 'data.csv');
 * writeFileSync(file, 't,r\n0,1\n1,2\n');
 * if (readDatasetCsv(file).trajectories[0]!.times.length !== 2) throw new Error('bad');
 * ```
 */
export function readDatasetCsv(path: string, options: CsvReadOptions = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CsvError(`readDatasetCsv: cannot read '${path}': ${(e as Error).message}`);
  }
  try {
    return datasetFromCsv(text, options);
  } catch (e) {
    if (e instanceof CsvError) throw new CsvError(`${path}: ${e.message}`, e.row, e.column);
    throw e;
  }
}

/**
 * Writes a dataset as a CSV file (Node only; see `datasetToCsv`).
 *
 * @example
 * ```ts
 * import { mkdtempSync, readFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createDataset } from '@odekit/observables';
 * import { writeDatasetCsv } from '@odekit/observables/node';
 * const file = join(mkdtempSync(join(tmpdir(), 'odekit-')), 'out.csv');
 * writeDatasetCsv(file, createDataset({ channels: ['r'], trajectories: [{ times: [0], values: { r: [1] } }] }));
 * if (!readFileSync(file, 'utf8').startsWith('t,r')) throw new Error('bad');
 * ```
 */
export function writeDatasetCsv(path: string, dataset: Dataset, options: CsvWriteOptions = {}): void {
  writeFileSync(path, datasetToCsv(dataset, options));
}

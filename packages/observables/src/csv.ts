import Papa from 'papaparse';
import { createDataset, type Dataset } from './dataset.js';
import { CsvError, DatasetError } from './errors.js';

/** Options of {@link datasetFromCsv}. */
export interface CsvReadOptions {
  /** The time column (default: `'t'`, else `'time'`, whichever the header has). */
  readonly time?: string;
  /** The trajectory-id column (default: `'trajectory'` or `'id'` when the header has one; else one trajectory). */
  readonly trajectory?: string;
  /** Condition columns: constant within a trajectory (default none). */
  readonly conditions?: readonly string[];
  /** Channel columns (default: every other column). */
  readonly channels?: readonly string[];
}

/**
 * Cells `datasetFromCsv` reads as missing values (case-sensitive, after trimming).
 *
 * @example
 * ```ts
 * import { MISSING_CELLS } from '@odekit/observables';
 * if (!MISSING_CELLS.includes('NA') || !MISSING_CELLS.includes('')) throw new Error('bad');
 * ```
 */
export const MISSING_CELLS: readonly string[] = Object.freeze(['', 'NA', 'NaN', 'nan', 'N/A']);

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function cellNumber(raw: string, row: number, column: string, what: string): number {
  const s = raw.trim();
  if (MISSING_CELLS.includes(s)) return Number.NaN;
  if (!NUMERIC.test(s)) {
    throw new CsvError(
      `datasetFromCsv: row ${row}, column '${column}': '${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}' is not a number; write ${what} as a decimal number${what === 'a value' ? " (empty or 'NA' when missing)" : ''}.`,
      row,
      column,
    );
  }
  return Number(s);
}

/**
 * Reads a {@link Dataset} from CSV text (parsed by papaparse, so quoting and `\r\n` work): a
 * header row, then one row per observation: a time column, one column per channel, an optional
 * trajectory-id column (rows of one trajectory may be anywhere, in increasing time), optional
 * condition columns that are constant within a trajectory. Empty cells and `NA` (see
 * {@link MISSING_CELLS}) are missing values. Works anywhere (text in); `@odekit/observables/node`
 * reads files.
 *
 * @throws CsvError naming the row (the header is row 1) and column of the first problem;
 *   DatasetError for rules of the dataset as a whole (a channel never observed).
 * @example
 * ```ts
 * import { datasetFromCsv } from '@odekit/observables';
 * const ds = datasetFromCsv('id,t,r,c,L\na,0,1,,0.5\na,1,2,NA,0.5\nb,0,3,1,0.1\n', { conditions: ['L'] });
 * if (ds.channels.join() !== 'r,c' || ds.trajectories.length !== 2) throw new Error('bad');
 * if (ds.trajectories[1]!.conditions.L !== 0.1) throw new Error('bad');
 * ```
 */
export function datasetFromCsv(text: string, options: CsvReadOptions = {}): Dataset {
  if (typeof text !== 'string') throw new CsvError('datasetFromCsv: pass the CSV as a string.');
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: 'greedy', delimiter: ',' });
  const firstError = parsed.errors.find((e) => e.type === 'Quotes');
  if (firstError !== undefined) {
    const row = (firstError.row ?? 0) + 1;
    throw new CsvError(`datasetFromCsv: row ${row}: ${firstError.message}; close the quoted cell.`, row);
  }
  const rows = parsed.data;
  const header = rows[0];
  if (header === undefined) throw new CsvError('datasetFromCsv: the text has no header row.', 1);
  const names = header.map((h) => h.trim());
  names.forEach((h, k) => {
    if (h.length === 0) throw new CsvError(`datasetFromCsv: row 1: column ${k + 1} has no name; name every column.`, 1);
    if (names.indexOf(h) !== k) throw new CsvError(`datasetFromCsv: row 1: the column '${h}' appears twice.`, 1, h);
  });
  const need = (name: string, what: string): number => {
    const k = names.indexOf(name);
    if (k < 0) {
      throw new CsvError(
        `datasetFromCsv: row 1: no ${what} column '${name}'; the columns are ${names.join(', ')}.`,
        1,
        name,
      );
    }
    return k;
  };
  const timeName = options.time ?? (names.includes('t') ? 't' : names.includes('time') ? 'time' : undefined);
  if (timeName === undefined) {
    throw new CsvError(
      `datasetFromCsv: row 1: no time column; name it 't' or 'time', or pass { time: '<column>' }. The columns are ${names.join(', ')}.`,
      1,
    );
  }
  const timeCol = need(timeName, 'time');
  const trajName =
    options.trajectory ?? (names.includes('trajectory') ? 'trajectory' : names.includes('id') ? 'id' : undefined);
  const trajCol = trajName === undefined ? -1 : need(trajName, 'trajectory');
  const condNames = [...(options.conditions ?? [])];
  const condCols = condNames.map((c) => need(c, 'condition'));
  const used = new Set([timeCol, trajCol, ...condCols]);
  if (trajCol === timeCol || new Set(condCols).size !== condCols.length) {
    throw new CsvError('datasetFromCsv: a column is named twice among time, trajectory and conditions.', 1);
  }
  for (const k of condCols) {
    if (k === timeCol || k === trajCol) {
      throw new CsvError(
        `datasetFromCsv: '${names[k]}' cannot be both a condition and the time or trajectory column.`,
        1,
      );
    }
  }
  const channelNames = options.channels !== undefined ? [...options.channels] : names.filter((_, k) => !used.has(k));
  const channelCols = channelNames.map((c) => need(c, 'channel'));
  for (const k of channelCols) {
    if (used.has(k)) {
      throw new CsvError(
        `datasetFromCsv: '${names[k]}' cannot be both a channel and the time, trajectory or a condition.`,
        1,
      );
    }
  }
  if (channelCols.length === 0) {
    throw new CsvError('datasetFromCsv: no channel columns; add a column of observed values.', 1);
  }

  interface Acc {
    times: number[];
    rows: number[];
    values: number[][];
    conds: number[];
    condRow: number;
  }
  const byId = new Map<string, Acc>();
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r] as string[];
    const rowNo = r + 1;
    if (cells.length !== names.length) {
      throw new CsvError(
        `datasetFromCsv: row ${rowNo} has ${cells.length} cells but the header has ${names.length}; every row needs one cell per column.`,
        rowNo,
      );
    }
    const id = trajCol < 0 ? '0' : (cells[trajCol] as string).trim();
    if (id.length === 0) {
      throw new CsvError(
        `datasetFromCsv: row ${rowNo}, column '${trajName}': the trajectory id is empty.`,
        rowNo,
        trajName,
      );
    }
    const t = cellNumber(cells[timeCol] as string, rowNo, timeName, 'the time');
    if (Number.isNaN(t)) {
      throw new CsvError(`datasetFromCsv: row ${rowNo}, column '${timeName}': the time is missing.`, rowNo, timeName);
    }
    const conds = condCols.map((k, j) => {
      const v = cellNumber(cells[k] as string, rowNo, condNames[j] as string, 'a condition');
      if (Number.isNaN(v)) {
        throw new CsvError(
          `datasetFromCsv: row ${rowNo}, column '${condNames[j]}': the condition is missing; every row needs it.`,
          rowNo,
          condNames[j],
        );
      }
      return v;
    });
    let acc = byId.get(id);
    if (acc === undefined) {
      acc = { times: [], rows: [], values: channelCols.map(() => []), conds, condRow: rowNo };
      byId.set(id, acc);
    } else {
      const prev = acc.times[acc.times.length - 1] as number;
      if (!(t > prev)) {
        throw new CsvError(
          `datasetFromCsv: row ${rowNo}, column '${timeName}': time ${t} of trajectory '${id}' does not come after ${prev} (row ${acc.rows[acc.rows.length - 1]}); sort each trajectory's rows by time and drop duplicates.`,
          rowNo,
          timeName,
        );
      }
      conds.forEach((v, j) => {
        if (v !== acc?.conds[j]) {
          throw new CsvError(
            `datasetFromCsv: row ${rowNo}, column '${condNames[j]}': ${v} differs from ${acc?.conds[j]} on row ${acc?.condRow} of trajectory '${id}'; a condition is constant within a trajectory.`,
            rowNo,
            condNames[j],
          );
        }
      });
    }
    acc.times.push(t);
    acc.rows.push(rowNo);
    channelCols.forEach((k, j) => {
      acc.values[j]?.push(cellNumber(cells[k] as string, rowNo, channelNames[j] as string, 'a value'));
    });
  }
  if (byId.size === 0) throw new CsvError('datasetFromCsv: the text has a header but no data rows.', 2);
  try {
    return createDataset({
      channels: channelNames,
      conditions: condNames,
      trajectories: [...byId].map(([id, acc]) => ({
        id,
        times: acc.times,
        values: Object.fromEntries(channelNames.map((c, j) => [c, acc.values[j] as number[]])),
        conditions: Object.fromEntries(condNames.map((c, j) => [c, acc.conds[j] as number])),
      })),
    });
  } catch (e) {
    if (e instanceof DatasetError)
      throw new DatasetError(
        `datasetFromCsv: ${e.message.replace(/^createDataset: /, '')}`,
        e.trajectory,
        e.row,
        e.channel,
      );
    throw e;
  }
}

/** Options of {@link datasetToCsv}. */
export interface CsvWriteOptions {
  /** Name of the time column (default `'t'`). */
  readonly time?: string;
  /** Name of the trajectory column (default `'trajectory'`); written when there are several trajectories or `always`. */
  readonly trajectory?: string;
  /** Write the trajectory column even for one trajectory (default false). */
  readonly alwaysTrajectory?: boolean;
}

/**
 * Writes a {@link Dataset} as CSV (papaparse's `unparse`): trajectory id, time, channels,
 * conditions; missing values as empty cells; numbers in their shortest round-trip form, so
 * `datasetFromCsv(datasetToCsv(ds), { conditions: ds.conditions })` gives `ds` back.
 *
 * @example
 * ```ts
 * import { createDataset, datasetToCsv } from '@odekit/observables';
 * const ds = createDataset({ channels: ['r'], trajectories: [{ times: [0, 1], values: { r: [1, NaN] } }] });
 * if (datasetToCsv(ds) !== 't,r\r\n0,1\r\n1,\r\n') throw new Error(JSON.stringify(datasetToCsv(ds)));
 * ```
 */
export function datasetToCsv(dataset: Dataset, options: CsvWriteOptions = {}): string {
  const { time = 't', trajectory = 'trajectory', alwaysTrajectory = false } = options;
  const withId = alwaysTrajectory || dataset.trajectories.length > 1;
  const fields = [...(withId ? [trajectory] : []), time, ...dataset.channels, ...dataset.conditions];
  const num = (v: number): string => (Number.isNaN(v) ? '' : Object.is(v, -0) ? '-0' : String(v));
  const data: string[][] = [];
  for (const tr of dataset.trajectories) {
    tr.times.forEach((t, k) => {
      data.push([
        ...(withId ? [tr.id] : []),
        num(t),
        ...dataset.channels.map((c) => num(tr.values[c]?.[k] ?? Number.NaN)),
        ...dataset.conditions.map((c) => num(tr.conditions[c] ?? Number.NaN)),
      ]);
    });
  }
  return `${Papa.unparse({ fields, data }, { newline: '\r\n' })}\r\n`;
}

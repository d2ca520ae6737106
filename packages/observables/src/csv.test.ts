import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datasetFromCsv, datasetToCsv } from './csv.js';
import { createDataset, type Dataset } from './dataset.js';
import { CsvError, DatasetError, ObservablesError } from './errors.js';

const sameDataset = (a: Dataset, b: Dataset): void => {
  expect(b.channels).toEqual(a.channels);
  expect(b.conditions).toEqual(a.conditions);
  expect(b.trajectories.map((t) => t.id)).toEqual(a.trajectories.map((t) => t.id));
  a.trajectories.forEach((ta, i) => {
    const tb = b.trajectories[i];
    expect(Array.from(tb?.times ?? [])).toEqual(Array.from(ta.times));
    for (const ch of a.channels) expect(Array.from(tb?.values[ch] ?? [])).toEqual(Array.from(ta.values[ch] ?? []));
    expect(tb?.conditions).toEqual(ta.conditions);
  });
};

const catchError = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error');
};

describe('datasetFromCsv', () => {
  it('reads trajectories, conditions and missing values (empty, NA, NaN)', () => {
    const ds = datasetFromCsv('id,t,r,c,L\nb,0,3,1,0.1\na,0,1,,0.5\na,1.5,2,NA,0.5\nb,2,NaN,2,0.1\n', {
      conditions: ['L'],
    });
    expect(ds.channels).toEqual(['r', 'c']);
    expect(ds.trajectories.map((t) => t.id)).toEqual(['b', 'a']);
    const a = ds.trajectories[1];
    expect(Array.from(a?.times ?? [])).toEqual([0, 1.5]);
    expect(Array.from(a?.values.c ?? []).every(Number.isNaN)).toBe(true);
    expect(a?.conditions).toEqual({ L: 0.5 });
    expect(Number.isNaN(ds.trajectories[0]?.values.r?.[1] as number)).toBe(true);
  });

  it('handles quoting, CRLF, spaces and explicit column options', () => {
    const ds = datasetFromCsv('"time","rabbits, wild",x\r\n 0 , 1e0 ,5\r\n1,2.5,6\r\n', {
      time: 'time',
      channels: ['rabbits, wild'],
    });
    expect(ds.channels).toEqual(['rabbits, wild']);
    expect(Array.from(ds.trajectories[0]?.values['rabbits, wild'] ?? [])).toEqual([1, 2.5]);
  });

  it('round-trips through datasetToCsv', () => {
    const ds = createDataset({
      channels: ['r', 'c'],
      conditions: ['L'],
      trajectories: [
        {
          id: 'x,1',
          times: [0, 0.1, 1e-7],
          values: { r: [1, 2, 3].map((v) => v / 3), c: [NaN, 1, -0] },
          conditions: { L: 0.3 },
        },
        { id: 'y', times: [-1, 5], values: { r: [1e20, 4] }, conditions: { L: -2 } },
      ].map((t, i) => (i === 0 ? { ...t, times: [0, 1e-7, 0.1] } : t)),
    });
    sameDataset(ds, datasetFromCsv(datasetToCsv(ds), { conditions: ['L'] }));
  });

  it('names the row and column of every error', () => {
    const cases: [string, object, number | undefined, string | undefined, RegExp][] = [
      ['', {}, 1, undefined, /no header/],
      ['t,r\n', {}, 2, undefined, /no data rows/],
      ['x,r\n0,1\n', {}, 1, undefined, /no time column/],
      ['t,r\n0,1\n1,2,3\n', {}, 3, undefined, /3 cells but the header has 2/],
      ['t,r\n0,1\n1,oops\n', {}, 3, 'r', /'oops' is not a number/],
      ['t,r\n0,1\n,2\n', {}, 3, 't', /time is missing/],
      ['t,r\n0,1\n0,2\n', {}, 3, 't', /does not come after 0 \(row 2\)/],
      ['t,r,L\n0,1,1\n1,2,2\n', { conditions: ['L'] }, 3, 'L', /differs from 1 on row 2/],
      ['t,r,L\n0,1,\n', { conditions: ['L'] }, 2, 'L', /condition is missing/],
      ['t,r\n0,1\n', { conditions: ['L'] }, 1, 'L', /no condition column 'L'/],
      ['t,t\n0,1\n', {}, 1, 't', /appears twice/],
      ['t,\n0,1\n', {}, 1, undefined, /column 2 has no name/],
      ['t\n0\n', {}, 1, undefined, /no channel columns/],
      ['id,t,r\n,0,1\n', {}, 2, 'id', /trajectory id is empty/],
      ['t,r\n0,"1\n', {}, 2, undefined, /close the quoted cell/],
      ['t,r\n0,Infinity\n', {}, 2, 'r', /not a number/],
    ];
    for (const [text, options, row, column, message] of cases) {
      const e = catchError(() => datasetFromCsv(text, options));
      expect(e, text).toBeInstanceOf(CsvError);
      expect(e.message, text).toMatch(message);
      expect((e as CsvError).row, text).toBe(row);
      expect((e as CsvError).column, text).toBe(column);
    }
    const never = catchError(() => datasetFromCsv('t,r,c\n0,1,\n1,2,NA\n'));
    expect(never).toBeInstanceOf(DatasetError);
    expect((never as DatasetError).channel).toBe('c');
  });

  it('fuzz: random text never throws anything but the package errors', () => {
    const cell = fc.oneof(
      fc.constantFrom('', 'NA', 'NaN', '0', '1.5', '-2e3', 'x', '"q"', '"a,b"', ' 3 '),
      fc.double({ noNaN: false }).map(String),
      fc.string({ maxLength: 4 }),
    );
    const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 0, maxLength: 8 });
    fc.assert(
      fc.property(table, fc.constantFrom('t', 'id'), fc.boolean(), (rows, first, withL) => {
        const text = [`${first},t,r,L`, ...rows.map((r) => r.join(','))].join('\n');
        try {
          const ds = datasetFromCsv(text, withL ? { conditions: ['L'] } : {});
          sameDataset(ds, datasetFromCsv(datasetToCsv(ds), { conditions: [...ds.conditions] }));
        } catch (e) {
          if (!(e instanceof ObservablesError)) throw e;
        }
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('fuzz: datasets round-trip through CSV', () => {
    const traj = fc.record({
      times: fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 6 }),
      seed: fc.array(fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }), {
        minLength: 6,
        maxLength: 6,
      }),
      L: fc.double({ noNaN: true, noDefaultInfinity: true }),
    });
    fc.assert(
      fc.property(fc.array(traj, { minLength: 1, maxLength: 4 }), (trs) => {
        let ds: Dataset;
        try {
          ds = createDataset({
            channels: ['r'],
            conditions: ['L'],
            trajectories: trs.map((t, i) => {
              const times = [...t.times].sort((a, b) => a - b);
              return {
                id: `t${i}`,
                times,
                values: { r: times.map((_, k) => t.seed[k] ?? null) },
                conditions: { L: t.L },
              };
            }),
          });
        } catch (e) {
          if (e instanceof DatasetError) return; // e.g. r never observed
          throw e;
        }
        sameDataset(ds, datasetFromCsv(datasetToCsv(ds, { alwaysTrajectory: true }), { conditions: ['L'] }));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvError } from './errors.js';
import { readDatasetCsv, writeDatasetCsv } from './node.js';

describe('@odekit/observables/node', () => {
  it('writes and reads CSV files; errors name the file, row and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'odekit-observables-'));
    const file = join(dir, 'data.csv');
    writeFileSync(file, 'id,t,r,L\na,0,1,0.5\na,1,,0.5\nb,0,2,1\n');
    const ds = readDatasetCsv(file, { conditions: ['L'] });
    expect(ds.trajectories.map((t) => t.id)).toEqual(['a', 'b']);
    const out = join(dir, 'out.csv');
    writeDatasetCsv(out, ds);
    expect(readDatasetCsv(out, { conditions: ['L'] })).toEqual(ds);
    writeFileSync(file, 't,r\n0,1\n1,x\n');
    let error: unknown;
    try {
      readDatasetCsv(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvError);
    expect((error as CsvError).message).toContain(`${file}: datasetFromCsv: row 3, column 'r'`);
    expect(() => readDatasetCsv(join(dir, 'missing.csv'))).toThrow(/cannot read/);
  });
});

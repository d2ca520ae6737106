import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRun, keyOf, type Protocol, type RunRecord, readRuns, summaries } from './sr-suite-runs.js';
import { searchVariant } from './sr-variants.js';

const protocol: Protocol = { secondsPerTarget: 40, workers: 2, clock: 'cpu', maxEvals: null, knownNoise: false };
const run = (c: string, family: string, condition: string, search: string, recovered: boolean): RunRecord => ({
  workload: 'SR-suite',
  case: c,
  family,
  condition,
  search,
  recovered,
  recoveredOnFront: recovered,
  seconds: 10,
  stopReason: search === 'new' ? 'earlyStop' : 'timeout',
  protocol,
});

describe('SR-suite run records (--resume)', () => {
  it('appends one line per run, reads them back, and refuses a file made under another protocol', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sr-suite-')), 'runs.jsonl');
    expect(readRuns(file, protocol)).toEqual([]);
    appendRun(file, run('E01', 'ecology', 'clean', 'old', true));
    appendRun(file, run('E01', 'ecology', 'clean', 'new', true));
    const back = readRuns(file, protocol);
    expect(back.map(keyOf)).toEqual(['E01|clean|old', 'E01|clean|new']);
    expect(() => readRuns(file, { ...protocol, secondsPerTarget: 10 })).toThrow(/resume with the same --seconds/);
    writeFileSync(file, 'not json\n', { flag: 'a' });
    expect(() => readRuns(file, protocol)).toThrow(/runs\.jsonl:3 is not JSON/);
  });

  it('summarises per search × condition and family, and pairs old with new', () => {
    const runs = [
      run('E01', 'ecology', 'clean', 'old', true),
      run('E01', 'ecology', 'clean', 'new', true),
      run('E02', 'ecology', 'clean', 'old', false),
      run('E02', 'ecology', 'clean', 'new', true),
      run('M01', 'mechanics-oscillators', 'noise1', 'old', true),
      run('M01', 'mechanics-oscillators', 'noise1', 'new', false),
    ];
    const lines = summaries(runs);
    const find = (o: Record<string, unknown>) =>
      lines.find((l) => Object.entries(o).every(([k, v]) => l[k] === v)) as Record<string, unknown>;
    expect(find({ case: 'summary', search: 'new', condition: 'clean', family: 'all' })).toMatchObject({
      recovered: 2,
      total: 2,
      rate: 1,
      earlyStops: 2,
    });
    expect(find({ case: 'summary', search: 'old', condition: 'clean', family: 'ecology' })).toMatchObject({
      rate: 0.5,
    });
    expect(find({ case: 'compare', condition: 'clean' })).toMatchObject({ paired: 2, old: 1, new: 2, gained: ['E02'] });
    expect(find({ case: 'compare', condition: 'noise1' })).toMatchObject({ lost: ['M01'] });
  });

  it("pins 'old' to main's defaults and names the flag for an unknown search", () => {
    expect(searchVariant('old', undefined)).toEqual({ seedSimpleCoefficients: false });
    expect(searchVariant('old', 0.1)).toEqual({ seedSimpleCoefficients: false, noiseVariance: 0.1 });
    expect(searchVariant('new', undefined)).toHaveProperty('earlyStop');
    expect(() => searchVariant('newest', undefined)).toThrow(/unknown search 'newest' in --search/);
  });
});

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { main } from './main.js';

const bin = fileURLToPath(new URL('../../bin/odekit-demo.mjs', import.meta.url));
const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const good = { model: join(fixtures, 'logistic/model.json'), data: join(fixtures, 'logistic/data.csv') };
const bad = (name: string) => join(fixtures, 'bad', name);

/** Runs the command as a child process: exit code, stdout, stderr. */
function demo(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Runs the command in this process (the argument, file and validation layers): exit code, stdout, stderr. */
async function demoInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: false,
  });
  return { code, out, err };
}

const out = mkdtempSync(join(tmpdir(), 'odekit-demo-cli-'));
const earlier = join(out, 'earlier');
mkdirSync(earlier);
writeFileSync(join(earlier, 'report.json'), '{"mine": true}\n');
const cases: [string, string[], RegExp][] = [
  ['unknown flag', ['--bogus'], /unknown flag --bogus/],
  ['flag without value', ['--seed'], /--seed needs a value/],
  ['bad number', ['--budget', 'soon'], /--budget must be a number/],
  ['model without data', ['--model', good.model], /--model needs --data/],
  ['unreadable file', ['--model', good.model, '--data', bad('nope.csv')], /data: no file '.*nope\.csv'/],
  [
    'model not JSON',
    ['--model', bad('not-json.txt'), '--data', good.data],
    /model: '.*not-json\.txt' is not valid JSON/,
  ],
  ['malformed CSV (quote)', ['--model', good.model, '--data', bad('unclosed-quote.csv')], /data: .*row 3/],
  ['malformed CSV (cell)', ['--model', good.model, '--data', bad('not-a-number.csv')], /data: .*row 3, column 'x'/],
  ['missing column', ['--model', good.model, '--data', bad('missing-column.csv')], /data: .*'y' is not a channel|'x'/],
  [
    'extra column',
    ['--model', good.model, '--data', bad('extra-column.csv')],
    /data: column 'z' is not a channel of the model/,
  ],
  ['non-increasing times', ['--model', good.model, '--data', bad('non-increasing.csv')], /data: .*row 4, column 't'/],
  [
    'equation that does not parse',
    ['--model', bad('parse-error.json'), '--data', good.data],
    /model: .*equations.*position 6/,
  ],
  ['unknown symbol', ['--model', bad('unknown-symbol.json'), '--data', good.data], /model: .*'b'/],
  ['network with the wrong number of inputs', ['--model', bad('wrong-arity.json'), '--data', good.data], /model: .*NN/],
  ['unknown stage', ['--stages', 'mechanistic,dance'], /--stages: unknown stage 'dance'/],
  [
    '--out holding an earlier report',
    ['--out', earlier],
    /--out: '.*earlier' holds an earlier report \(report\.json\); pass --force/,
  ],
];
const withOut = (args: string[]) => [...args, ...(args.includes('--out') ? [] : ['--out', join(out, 'x')])];

/** One clear line naming the place, no stack trace. */
function expectOneLine(err: string, message: RegExp): void {
  const lines = err.trim().split('\n');
  expect(lines, err).toHaveLength(1);
  expect(lines[0]).toMatch(/^odekit-demo: /);
  expect(lines[0]).toMatch(message);
  expect(err).not.toMatch(/\n\s+at /);
}

describe('the command on bad input (in-process): one clear line, exit code 2, no stack trace', () => {
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await demoInProcess(withOut(args));
    expect(r.code).toBe(2);
    expectOneLine(r.err, message);
  });
  it('leaves the earlier report as it was', () => {
    expect(readFileSync(join(earlier, 'report.json'), 'utf8')).toBe('{"mine": true}\n');
  });
});

describe.concurrent('the command as a child process', () => {
  it('exits 2 with one line on stderr for bad input (a flag, a CSV cell), and 0 with the usage for --help', async () => {
    const picked = [0, 7].map((i) => cases[i] as (typeof cases)[number]);
    const [h, ...runs] = await Promise.all([demo(['--help']), ...picked.map(([, args]) => demo(withOut(args)))]);
    runs.forEach((r, k) => {
      expect(r.code).toBe(2);
      expectOneLine(r.err, (picked[k] as (typeof cases)[number])[2]);
    });
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--model FILE/);
  });
  it('runs a short pipeline, writing report.json, report.html and model.json; --json gives JSON lines', async () => {
    const dir = join(out, 'run');
    cpSync(join(fixtures, 'logistic'), join(out, 'in'), { recursive: true });
    const r = await demo([
      '--model',
      join(out, 'in/model.json'),
      '--data',
      join(out, 'in/data.csv'),
      '--out',
      dir,
      '--stages',
      'mechanistic',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]?.type).toBe('stage-start');
    expect(lines[lines.length - 1]?.type).toBe('done');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['mechanistic', 'report']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/<svg/);
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).equations.x).toBeDefined();
  });
});

describe('parseArgs', () => {
  it('reads --name value and --name=value, with defaults', () => {
    const o = parseArgs(['--seed=3', '--workers', '0', '--stages', 'mechanistic, hybrid']);
    expect(o).toMatchObject({ seed: 3, workers: 0, budget: 30, out: 'demo-output', stages: ['mechanistic', 'hybrid'] });
    expect(parseArgs([]).workers).toBe(0);
    expect(parseArgs(['--workers', 'auto']).workers).toBe('auto');
    expect(() => parseArgs(['--workers', '-1'])).toThrow(/--workers must be an integer >= 0/);
    expect(() => parseArgs(['--seed', '1', '--seed', '2'])).toThrow(/given twice/);
  });
  it('reads --choose NETWORK=EXPRESSION pairs (the pipeline checks them against the model)', () => {
    expect(parseArgs(['--choose', 'NN=0.3*c^2 - 0.1*c^3']).choose).toEqual({ NN: '0.3*c^2 - 0.1*c^3' });
    expect(parseArgs(['--choose=NN=c; G = r*c']).choose).toEqual({ NN: 'c', G: 'r*c' });
    expect(parseArgs([]).choose).toBeUndefined();
    expect(() => parseArgs(['--choose', '0.3*c^2'])).toThrow(/--choose takes NETWORK=EXPRESSION/);
  });
});

// The command: `pnpm demo [--model model.json --data data.csv] [--out dir] ...` (see --help).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SearchFunction } from '../pipeline/discover.js';
import { type ModelSpec, UserInputError } from '../pipeline/types.js';
import { parseArgs, USAGE } from './args.js';
import { progressPrinter } from './progress.js';

/** The files a report consists of; an --out folder holding any of them is an earlier report. */
export const REPORT_FILES = ['report.json', 'report.html', 'model.json'] as const;

/** The embedded example: rabbits and cats, a network for the cats' missing term. */
export const EMBEDDED = fileURLToPath(new URL('../../scenarios/lotka-volterra/', import.meta.url));

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new UserInputError(`${what}: no file '${path}'; check the path.`);
  if (statSync(path).isDirectory()) throw new UserInputError(`${what}: '${path}' is a folder; pass a file.`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserInputError(
      `${what}: cannot read '${path}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
    );
  }
}

function readSpec(path: string): ModelSpec {
  const text = readText(path, 'model');
  try {
    const spec = JSON.parse(text) as unknown;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new UserInputError(`model: '${path}' must hold a JSON object with states, parameters and equations.`);
    }
    return spec as ModelSpec;
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    throw new UserInputError(`model: '${path}' is not valid JSON (${(e as Error).message}).`);
  }
}

/** Refuses an --out folder that holds an earlier report unless --force (the folder is made when the report is written). */
function prepareOut(out: string, force: boolean): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UserInputError(`--out: '${out}' is a file; pass a folder.`);
    const earlier = REPORT_FILES.filter((f) => readdirSync(out).includes(f));
    if (earlier.length > 0 && !force) {
      throw new UserInputError(
        `--out: '${out}' holds an earlier report (${earlier.join(', ')}); pass --force to replace it, or another --out.`,
      );
    }
  }
}

/** Where the command writes: the process's streams, or a test's buffers. */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (progress bars) rather than a pipe (plain lines). */
  readonly isTTY: boolean;
}

const processIO: CommandIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
};

/**
 * Runs the command with the arguments after the command's name; resolves with the exit code (0
 * done, 2 bad input, 1 failure, 130 stopped). Tests call it in-process with their own `io`.
 */
export async function main(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const args = parseArgs(argv);
    debug = args.debug;
    if (args.help) {
      io.stdout(USAGE);
      return 0;
    }
    const modelPath = args.model ?? join(EMBEDDED, 'model.json');
    const dataPath = args.data ?? join(EMBEDDED, 'data.csv');
    const spec = readSpec(modelPath);
    const csv = readText(dataPath, 'data');
    const out = resolve(args.out);
    prepareOut(out, args.force);
    // The heavy modules load only now: flag and file errors come back at once.
    const [
      { silenceTfjs, useBackend },
      { symbolicRegression },
      tf,
      { renderReportHtml },
      { runPipeline },
      { katexInlineCss },
    ] = await Promise.all([
      import('@odekit/core'),
      import('@odekit/symbolic/node'),
      import('@tensorflow/tfjs'),
      import('../pipeline/report/html.js'),
      import('../pipeline/run-pipeline.js'),
      import('../node/katex-css.js'),
    ]);
    silenceTfjs();
    tf.enableProdMode();
    await useBackend('cpu');
    const mode = args.json ? 'json' : io.isTTY ? 'tty' : 'plain';
    const print = progressPrinter(mode, (s) => io.stdout(s));
    if (mode !== 'json') {
      io.stdout(
        `odekit demo: ${args.model === undefined ? 'the embedded rabbits-and-cats example' : modelPath} on ${dataPath}\n`,
      );
    }
    const search: SearchFunction = (o) => symbolicRegression(o);
    const result = await runPipeline(
      {
        spec,
        csv,
        dataName: args.data === undefined ? 'lotka-volterra/data.csv (embedded)' : basename(dataPath),
        options: {
          seed: args.seed,
          budget: args.budget,
          workers: args.workers,
          ...(args.stages === undefined ? {} : { stages: args.stages }),
          ...(args.choose === undefined ? {} : { choose: args.choose }),
          timeColumn: args.timeColumn,
          trajectoryColumn: args.trajectoryColumn,
          onEvent: print,
          predictionEvery: 1e9,
        },
      },
      { search },
    );
    const html = await renderReportHtml(result.report, { katexCss: katexInlineCss() });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'report.json'), `${JSON.stringify(result.report, null, 2)}\n`);
    writeFileSync(join(out, 'report.html'), html);
    writeFileSync(join(out, 'model.json'), `${JSON.stringify(result.model, null, 2)}\n`);
    if (mode === 'json') {
      const cpu = process.cpuUsage();
      io.stdout(`${JSON.stringify({ type: 'done', out, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
    } else {
      io.stdout('\nFinal equations:\n');
      for (const [s, e] of Object.entries(result.report.equations)) io.stdout(`  d${s}/dt = ${e}\n`);
      for (const [n, d] of Object.entries(result.report.discovered)) {
        io.stdout(`  ${n}(${d.inputs.join(', ')}) ≈ ${d.expression}\n`);
      }
      io.stdout(`\nReport: ${join(out, 'report.html')} (and report.json, model.json)\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UserInputError) {
      io.stderr(`odekit-demo: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    if (err?.name === 'AbortError') {
      io.stderr('odekit-demo: stopped.\n');
      return 130;
    }
    io.stderr(
      `odekit-demo: failed: ${String(err?.message ?? e).split('\n')[0]}${debug ? '' : ' (run with --debug for details)'}\n`,
    );
    if (debug) io.stderr(`${err?.stack ?? ''}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}

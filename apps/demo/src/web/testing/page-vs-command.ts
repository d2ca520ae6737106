// Speed and sameness of the page against the command, on the same machine, from one script:
//
//   npx tsx --conditions=@odekit/source apps/demo/src/web/testing/page-vs-command.ts [--budget 30] [--no-cpu] [--short]
//
// --short: both sides run the embedded model with few steps per stage (its spec's `discovery`),
// for a quick sameness check. The reports are saved in apps/demo/test-output/page-vs-command/.
//
// 1. the command: `pnpm demo --seed 0 --workers 0 --budget B` on the embedded scenario (timed);
// 2. the page, built and served locally, in headless Chromium with the wasm backend: the same
//    scenario and budget (timed from the Run click; longest main-thread task while it trained);
// 3. unless --no-cpu: the page again with the cpu backend (the command's backend).
// Prints the times, their ratio, and whether each page report.json equals the command's
// (timings aside; it does on both backends: the loss sums in float64 on the host and pow/tanh are
// portablePow/portableTanh, so neither the backend nor the V8 version changes a number). Exits 1
// when the page (wasm) takes over 2x the command or a report differs.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultSetup, encodeSetup, type PageBackend } from '../setup.js';
import { buildPage, launchChromium } from './browser.js';
import { downloadText, openDemo, runOnPage } from './drive.js';
import { firstDifference, withoutTimings } from './report-diff.js';
import { serveStatic } from './static-server.js';

const argv = process.argv.slice(2);
const budget = Number(argv[argv.indexOf('--budget') + 1] ?? 30) || 30;
const withCpu = !argv.includes('--no-cpu');
const appRoot = fileURLToPath(new URL('../../..', import.meta.url));

const short = argv.includes('--short');
const saved = join(appRoot, 'test-output', 'page-vs-command');
mkdirSync(saved, { recursive: true });
const out = mkdtempSync(join(tmpdir(), 'odekit-command-'));
const tsx = join(appRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SHORT = { mechanisticIterations: 4, hybridSteps: 5, networkIterations: 5, jointSteps: 5, refitIterations: 5 };
const embedded = JSON.parse(readFileSync(join(appRoot, 'scenarios', 'lotka-volterra', 'model.json'), 'utf8'));
const specText = `${JSON.stringify({ ...embedded, discovery: SHORT }, null, 2)}\n`;
const modelArgs: string[] = [];
if (short) {
  writeFileSync(join(out, 'model.json'), specText);
  modelArgs.push(
    '--model',
    join(out, 'model.json'),
    '--data',
    join(appRoot, 'scenarios', 'lotka-volterra', 'data.csv'),
  );
}
const flags = ['--out', join(out, 'result'), '--seed', '0', '--workers', '0', '--budget', String(budget)];
const t0 = performance.now();
await promisify(execFile)(
  process.execPath,
  [tsx, '--conditions=@odekit/source', 'src/cli/main.ts', ...modelArgs, ...flags],
  {
    cwd: appRoot,
    maxBuffer: 64 << 20,
  },
);
const commandSeconds = (performance.now() - t0) / 1000;
const commandReport = JSON.parse(readFileSync(join(out, 'result', 'report.json'), 'utf8'));
writeFileSync(join(saved, 'command-report.json'), `${JSON.stringify(commandReport, null, 2)}\n`);
rmSync(out, { recursive: true, force: true });
console.log(`command (cpu backend, --workers 0, --budget ${budget}): ${commandSeconds.toFixed(1)} s`);

const dist = await buildPage();
const server = await serveStatic(dist);
const browser = await launchChromium();
let failed = false;
try {
  for (const backend of withCpu ? ['wasm', 'cpu'] : ['wasm']) {
    const csv = readFileSync(join(appRoot, 'scenarios', 'lotka-volterra', 'data.csv'), 'utf8');
    const setup = {
      ...defaultSetup('lotka-volterra'),
      budget,
      backend: backend as PageBackend,
      // --short: the command read the files by name, so its report calls the data 'data.csv'
      ...(short ? { spec: specText, csv, csvName: 'data.csv' } : {}),
    };
    const { page, consoleErrors } = await openDemo(browser.context, server.url, await encodeSetup(setup));
    const run = await runOnPage(page);
    if (run.phase !== 'done') throw new Error(`page (${backend}) did not finish: ${run.status}`);
    const report = JSON.parse(await downloadText(page, '#dl-report-json'));
    writeFileSync(join(saved, `page-${backend}-report.json`), `${JSON.stringify(report, null, 2)}\n`);
    const diff = firstDifference(withoutTimings(report), withoutTimings(commandReport));
    const ratio = run.wallSeconds / commandSeconds;
    console.log(
      `page (${backend}): ${run.wallSeconds.toFixed(1)} s from Run to results (worker ${run.runSeconds.toFixed(1)} s) = ${ratio.toFixed(2)}x the command; ` +
        `${run.longTasks} main-thread tasks over 50 ms while training, longest ${run.longestTaskMs.toFixed(0)} ms; ` +
        `report.json ${diff === null ? 'equals the command’s (timings aside)' : `differs from the command’s at ${diff}`}` +
        (consoleErrors.length > 0 ? `; console errors: ${consoleErrors.join(' | ')}` : ''),
    );
    if (backend === 'wasm' && ratio > 2) failed = true;
    if (diff !== null) failed = true;
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dist, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

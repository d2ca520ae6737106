// The demo page in a real headless Chromium (Debian's, launched by playwright-core): build the
// static site, serve it, run the embedded scenario with a short budget, and check what a user sees.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../pipeline/index.js';
import { buildPage, launchChromium } from './testing/browser.js';
import { type DemoTab, downloadText, openDemo, type PageRun, runOnPage, workerTensors } from './testing/drive.js';
import { type MainThreadTask, type MainThreadTrace, traceMainThread } from './testing/main-thread.js';
import { firstDifference, withoutTimings } from './testing/report-diff.js';
import { type StaticServer, serveStatic } from './testing/static-server.js';

const OUT = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));

/** Short stage settings so that one run takes seconds (the setup travels in the URL, as a link would). */
const SHORT_SETTINGS = {
  mechanisticIterations: 3,
  hybridSteps: 4,
  networkIterations: 3,
  jointSteps: 3,
  refitIterations: 3,
};
const SHORT_RUN = `#scenario=lotka-volterra&budget=0.3&${Object.entries(SHORT_SETTINGS)
  .map(([k, v]) => `${k}=${v}`)
  .join('&')}`;

let server: StaticServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let tab: DemoTab;
let page: Page;

describe('the demo page in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const dist = await buildPage();
    server = await serveStatic(dist);
    browser = await launchChromium();
    tab = await openDemo(browser.context, server.url, SHORT_RUN);
    page = tab.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  let firstReport: unknown = null;
  let mainThread: MainThreadTrace | null = null;

  it('runs the embedded scenario: the loss falls, the front has rows, KaTeX shows the equations, downloads hold JSON', async () => {
    // traced (CDP): the main thread's tasks while the pipeline trains, with their CPU time
    let run: PageRun | undefined;
    const trace = await traceMainThread(browser.context, page, async () => {
      run = await runOnPage(page, 150_000);
    });
    if (run === undefined) throw new Error('the run did not end');
    expect(run.phase, run.status).toBe('done');
    mainThread = trace;

    const losses = await page.evaluate(() =>
      (globalThis as unknown as { odekit: { lossPoints(): { loss: number }[] } }).odekit
        .lossPoints()
        .map((p) => p.loss),
    );
    expect(losses.length).toBeGreaterThan(20);
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 2);
    // drawn by vega in the plot worker: line marks (one per stage phase) in the bitmap on the canvas
    const marks = (await page.getAttribute('#loss-plot canvas', 'data-marks')) ?? '';
    expect(Number(/line:(\d+)/.exec(marks)?.[1] ?? 0), marks).toBeGreaterThan(0);

    expect(await page.locator('#pareto-table tbody tr').count()).toBeGreaterThan(0);

    // the final equations, typeset by KaTeX, with the scenario's states r and c
    const annotations = await page.locator('#eq-after .katex annotation').allTextContents();
    expect(annotations.length).toBe(2);
    expect(annotations[0]).toContain('\\frac{dr}{dt}');
    expect(annotations[1]).toContain('\\frac{dc}{dt}');
    expect(annotations.join(' ')).toMatch(/r\b.*c\b/);

    const reportJson = await downloadText(page, '#dl-report-json');
    const report = JSON.parse(reportJson);
    expect(report.version).toBe(1);
    expect(Object.keys(report.equations)).toEqual(['r', 'c']);
    expect(JSON.parse(await downloadText(page, '#dl-model-json')).states).toEqual(['r', 'c']);
    const html = await downloadText(page, '#dl-report-html');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<svg');
    firstReport = report;

    // on wasm the pipeline leaves a few tensors per run (reported to its owner); cpu is checked below
    console.log(`wasm: ${await workerTensors(page)} tensors alive in the worker after run 1`);
    await page.screenshot({ path: `${OUT}page-finished.png`, fullPage: true });

    console.log(
      `page run 1: ${run.wallSeconds.toFixed(1)} s; Long Tasks API while training: ${run.longTasks} tasks over 50 ms, longest ${run.longestTaskMs.toFixed(0)} ms (wall clock)`,
    );
  }, 150_000);

  it("gives the same report.json as the pipeline in Node on tfjs's cpu backend (the command's run) for the same seed", async () => {
    expect(firstReport).not.toBeNull();
    // what the command runs with --workers 0 on the embedded scenario, with the link's step settings
    const scenario = new URL('../../scenarios/lotka-volterra/', import.meta.url);
    const { report } = await runPipeline({
      spec: JSON.parse(readFileSync(new URL('model.json', scenario), 'utf8')),
      csv: readFileSync(new URL('data.csv', scenario), 'utf8'),
      dataName: 'lotka-volterra/data.csv (embedded)',
      options: { seed: 0, budget: 0.3, workers: 0, settings: SHORT_SETTINGS },
    });
    writeFileSync(`${OUT}command-report.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${OUT}page-wasm-report.json`, `${JSON.stringify(firstReport, null, 1)}\n`);
    // the page ran on wasm in Chromium's V8, this on cpu in Node's: every number the same
    expect(firstDifference(withoutTimings(firstReport), withoutTimings(JSON.parse(JSON.stringify(report))))).toBeNull();
  }, 120_000);

  it('kept every main-thread task under 50 ms of CPU time while the pipeline trained', () => {
    expect(mainThread).not.toBeNull();
    const { tasks, marks } = mainThread as MainThreadTrace;
    const from = marks['odekit:training-start'];
    const to = marks['odekit:training-end'];
    expect(from, 'the page marks the training window').toBeDefined();
    expect(to).toBeGreaterThan(from as number);
    const during = tasks.filter((t) => t.start >= (from as number) && t.start <= (to as number));
    const longest = during.reduce((m, t) => (t.threadMs > m.threadMs ? t : m), {
      threadMs: 0,
      wallMs: 0,
      parts: [],
    } as Pick<MainThreadTask, 'threadMs' | 'wallMs' | 'parts'>);
    const wall = Math.max(0, ...during.map((t) => t.wallMs));
    console.log(
      `main thread while training (trace): longest task ${longest.threadMs.toFixed(1)} ms CPU (${longest.wallMs.toFixed(0)} ms wall: ${longest.parts.join(' | ')}); longest wall-clock task ${wall.toFixed(0)} ms`,
    );
    // The bound is on the CPU time a task of the page takes on the main thread (the trace's
    // thread clock): on this shared 2-core machine other processes stretch wall-clock durations
    // (a 26 ms task was seen to take 280 ms of wall clock), not what the page asks of the thread.
    expect(longest.threadMs, longest.parts.join(' | ')).toBeLessThanOrEqual(50);
  });

  it('on the cpu backend, runs again from scratch, held mid-L-BFGS by Pause and stepped one iteration at a time: no tensor leaks, the same report', async () => {
    expect(firstReport).not.toBeNull();
    await page.selectOption('#backend', 'cpu');
    await page.waitForFunction(() => location.hash.includes('backend=cpu'));
    const plain = await runOnPage(page, 150_000);
    expect(plain.phase, plain.status).toBe('done');
    const tensorsAfterPlain = await workerTensors(page);
    const plainReport = JSON.parse(await downloadText(page, '#dl-report-json'));
    // the backend does not change a number: cpu gives the wasm run's report
    expect(firstDifference(withoutTimings(plainReport), withoutTimings(firstReport))).toBeNull();
    // Step on an idle page starts the run paused: it holds after the first iteration of the
    // mechanistic stage's L-BFGS, and each Step lets exactly one more iteration through.
    await page.click('#step');
    for (const n of [1, 2, 3]) {
      if (n > 1) await page.click('#step');
      await page.waitForFunction((k) => lossCount() === k, n, { timeout: 60_000, polling: 50 });
      // held: a second later still n iterations, still in the L-BFGS stage, still paused
      await page.waitForTimeout(1000);
      expect(await page.evaluate(() => lossCount())).toBe(n);
      expect(await page.getAttribute('[data-stage="mechanistic"]', 'class')).toContain('running');
      expect(await page.evaluate(() => document.body.dataset.phase)).toBe('paused');
    }
    await page.click('#pause'); // Resume
    await page.waitForFunction(() => ['done', 'failed', 'stopped'].includes(document.body.dataset.phase ?? ''), null, {
      timeout: 150_000,
      polling: 250,
    });
    expect(await page.evaluate(() => document.body.dataset.phase), (await page.textContent('#status')) ?? '').toBe(
      'done',
    );
    expect(await workerTensors(page)).toBe(tensorsAfterPlain);
    const second = JSON.parse(await downloadText(page, '#dl-report-json'));
    expect(withoutTimings(second)).toEqual(withoutTimings(plainReport));
  }, 200_000);

  it('shows a broken equation and a malformed CSV at their place, keeping the last good result', async () => {
    const spec = page.locator('#spec');
    const good = await spec.inputValue();
    await spec.fill(good.replace('"alpha*r - beta*r*c"', '"alpha*r - beta*r*"'));
    await page.waitForSelector('#spec-errors li');
    const specError = await page.textContent('#spec-errors li');
    expect(specError).toMatch(/line 5, column \d+: equations.r: expected/);
    expect(await page.locator('#spec-gutter .bad').allTextContents()).toEqual(['5']);
    await page.click('#run');
    // Run checks the current spec and data in the worker first: wait for its verdict
    await statusMatches(page, '^Not run: line 5');
    expect(await page.textContent('#status')).toMatch(/^Not run: line 5/);
    // the last good result stays on screen
    expect(await page.locator('#eq-after .katex').count()).toBe(2);
    expect(await page.locator('#pareto-table tbody tr').count()).toBeGreaterThan(0);
    await spec.fill(good);
    await page.waitForFunction(() => document.querySelectorAll('#spec-errors li').length === 0);

    await page.setInputFiles('#csv', {
      name: 'broken.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('t,r,c\n0,1,2\n0.5,oops,1.9\n1,1.2,1.8\n'),
    });
    await page.waitForSelector('#csv-errors li');
    expect(await page.textContent('#csv-errors li')).toMatch(/row 3, column 'r'/);
    await page.click('#run');
    await statusMatches(page, '^Not run: data: ');
    expect(await page.textContent('#status')).toMatch(/^Not run: data: .*row 3, column 'r'/);
    expect(await page.locator('#eq-after .katex').count()).toBe(2);
    expect(page.url()).toContain('csvName=broken.csv');
    await page.screenshot({ path: `${OUT}page-errors.png`, fullPage: true });
    await page.click('#csv-reset');
    await page.waitForFunction(() => document.querySelectorAll('#csv-errors li').length === 0);
    expect(page.url()).not.toContain('csv=');
  }, 60_000);

  it('refits with a front entry chosen by a click on its row', async () => {
    const row = page.locator('#pareto-table tbody tr').first();
    const expression = (await row.getAttribute('title'))?.replace(/^Use (.*) for the refit$/, '$1') ?? '';
    await row.click();
    expect(await row.getAttribute('aria-selected')).toBe('true');
    await page.click('#refit-choice');
    await page.waitForFunction(
      () =>
        /^(Finished|Failed|Stopped)|^[a-z]+:/.test(document.getElementById('status')?.textContent ?? '') &&
        document.body.dataset.phase !== 'running',
      null,
      {
        timeout: 120_000,
        polling: 250,
      },
    );
    expect(await page.textContent('#status')).toMatch(/refit with NN ≈/);
    const model = JSON.parse(await downloadText(page, '#dl-model-json'));
    expect(JSON.stringify(model.equations)).not.toContain('NN(');
    expect(expression).not.toBe('');
    // the pipeline's `choose`: the chosen entry (same seed, same front) is the one refit
    const report = JSON.parse(await downloadText(page, '#dl-report-json'));
    expect(report.options.choose).toEqual({ NN: expression });
    const entry = report.discovered.NN.front.find((e: { expression: string }) => e.expression === expression);
    expect(entry, `${expression} on the new run's front`).toBeDefined();
    expect(report.discovered.NN.complexity).toBe(entry.complexity);
  }, 150_000);

  it('Stop lands mid-run, also in the middle of an L-BFGS phase, and keeps the last good result', async () => {
    // paused mid-L-BFGS (after the first mechanistic iteration), then stopped: nothing more runs
    await page.click('#step');
    await page.waitForFunction(() => lossCount() === 1, null, { timeout: 60_000, polling: 50 });
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.phase === 'stopped', null, { timeout: 30_000, polling: 50 });
    expect(await page.textContent('#status')).toMatch(/^Stopped/);
    expect(await page.evaluate(() => lossCount())).toBe(1);
    // running: Stop in the middle of the hybrid stage (900 Adam steps of its joint phase here,
    // seconds even on a fast machine) ends the run there
    await page.fill('#jointSteps', '900');
    await page.dispatchEvent('#jointSteps', 'change');
    await page.click('#run');
    await page.waitForFunction(
      () => document.querySelector('[data-stage="hybrid"]')?.classList.contains('running') && lossCount() >= 20,
      null,
      { timeout: 60_000, polling: 50 },
    );
    await page.click('#stop');
    await page.waitForFunction(() => ['stopped', 'done'].includes(document.body.dataset.phase ?? ''), null, {
      timeout: 60_000,
      polling: 50,
    });
    expect(await page.evaluate(() => document.body.dataset.phase)).toBe('stopped');
    expect(await page.textContent('#status')).toMatch(/^Stopped/);
    expect(await page.getAttribute('[data-stage="hybrid"]', 'class')).toContain('running');
    expect(await page.getAttribute('[data-stage="report"]', 'class')).not.toContain('done');
    // the last finished run stays on screen and for download
    expect(await page.locator('#eq-after .katex').count()).toBe(2);
    expect(JSON.parse(await downloadText(page, '#dl-report-json')).version).toBe(1);
  }, 90_000);

  it('logged no console errors', () => {
    expect(tab.consoleErrors).toEqual([]);
  });
});

/** The loss plot's points so far (one per optimiser step or iteration), in the page. */
declare function lossCount(): number;

/** Waits until the page's status line matches `pattern` (a regular expression's source). */
async function statusMatches(page: Page, pattern: string): Promise<void> {
  await page.waitForFunction((p) => new RegExp(p).test(document.querySelector('#status')?.textContent ?? ''), pattern, {
    timeout: 30_000,
    polling: 50,
  });
}

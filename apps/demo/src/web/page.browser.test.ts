// The demo page in a real headless Chromium (Debian's, launched by playwright-core): build the
// static site, serve it, run the embedded scenario with a short budget, and check what a user sees.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage, launchChromium } from './testing/browser.js';
import { type StaticServer, serveStatic } from './testing/static-server.js';

const OUT = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));

/** Short stage settings so that one run takes seconds (the setup travels in the URL, as a link would). */
export const SHORT_RUN =
  '#scenario=lotka-volterra&budget=1&mechanisticIterations=8&hybridSteps=15&jointSteps=15&refitIterations=15';

interface LongTask {
  start: number;
  duration: number;
}

let server: StaticServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
const consoleErrors: string[] = [];

async function runToEnd(timeout = 100_000): Promise<{ startedAt: number; endedAt: number }> {
  const startedAt = await page.evaluate(() => performance.now());
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'failed', 'stopped'].includes(document.body.dataset.phase ?? ''), null, {
    timeout,
    polling: 200,
  });
  const endedAt = await page.evaluate(() => performance.now());
  const phase = await page.evaluate(() => document.body.dataset.phase);
  expect(phase, (await page.textContent('#status')) ?? '').toBe('done');
  return { startedAt, endedAt };
}

async function download(selector: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFileSync(await file.path(), 'utf8');
}

const withoutTimings = (report: { stages: { seconds: number }[] }) => ({
  ...report,
  stages: report.stages.map((s) => ({ ...s, seconds: 0 })),
});

describe('the demo page in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const dist = await buildPage();
    server = await serveStatic(dist);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    await page.addInitScript(() => {
      const tasks: { start: number; duration: number }[] = [];
      (globalThis as { longTasks?: typeof tasks }).longTasks = tasks;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(server.url + SHORT_RUN);
    await page.waitForFunction(() => document.body.dataset.phase === 'idle', null, { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  let firstReport: { stages: { seconds: number }[] } | null = null;
  let tensorsAfterFirst = -1;

  it('runs the embedded scenario: the loss falls, the front has rows, KaTeX shows the equations, downloads hold JSON', async () => {
    const { startedAt, endedAt } = await runToEnd();

    const losses = await page.evaluate(() =>
      (globalThis as unknown as { odekit: { lossPoints(): { loss: number }[] } }).odekit
        .lossPoints()
        .map((p) => p.loss),
    );
    expect(losses.length).toBeGreaterThan(20);
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 2);
    expect(await page.locator('#loss-plot canvas').count()).toBe(1);

    expect(await page.locator('#pareto-table tbody tr').count()).toBeGreaterThan(0);

    // the final equations, typeset by KaTeX, with the scenario's states r and c
    const annotations = await page.locator('#eq-after .katex annotation').allTextContents();
    expect(annotations.length).toBe(2);
    expect(annotations[0]).toContain('\\frac{dr}{dt}');
    expect(annotations[1]).toContain('\\frac{dc}{dt}');
    expect(annotations.join(' ')).toMatch(/r\b.*c\b/);

    const reportJson = await download('#dl-report-json');
    const report = JSON.parse(reportJson);
    expect(report.version).toBe(1);
    expect(Object.keys(report.equations)).toEqual(['r', 'c']);
    expect(JSON.parse(await download('#dl-model-json')).states).toEqual(['r', 'c']);
    const html = await download('#dl-report-html');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<svg');
    firstReport = report;

    // no main-thread task over 50 ms while the pipeline trained
    const tasks = await page.evaluate(() => (globalThis as unknown as { longTasks: LongTask[] }).longTasks);
    const during = tasks.filter((t) => t.start >= startedAt && t.start <= endedAt);
    const longest = Math.max(0, ...during.map((t) => t.duration));
    console.log(
      `run 1: ${((endedAt - startedAt) / 1000).toFixed(1)} s, ${during.length} long tasks, longest ${longest.toFixed(0)} ms`,
    );
    expect(longest).toBeLessThanOrEqual(50);

    tensorsAfterFirst = await page.evaluate(
      async () =>
        (await (globalThis as unknown as { odekit: { memory(): Promise<{ numTensors: number }> } }).odekit.memory())
          .numTensors,
    );
    await page.screenshot({ path: `${OUT}page-finished.png`, fullPage: true });
  }, 150_000);

  it('runs again from scratch: no tensor leaks, the same report for the same seed', async () => {
    expect(firstReport).not.toBeNull();
    await runToEnd();
    const tensors = await page.evaluate(
      async () =>
        (await (globalThis as unknown as { odekit: { memory(): Promise<{ numTensors: number }> } }).odekit.memory())
          .numTensors,
    );
    expect(tensors).toBe(tensorsAfterFirst);
    const second = JSON.parse(await download('#dl-report-json'));
    expect(withoutTimings(second)).toEqual(withoutTimings(firstReport as { stages: { seconds: number }[] }));
  }, 150_000);

  it('shows a broken equation and a malformed CSV at their place, keeping the last good result', async () => {
    const spec = page.locator('#spec');
    const good = await spec.inputValue();
    await spec.fill(good.replace('"alpha*r - beta*r*c"', '"alpha*r - beta*r*"'));
    await page.waitForSelector('#spec-errors li');
    const specError = await page.textContent('#spec-errors li');
    expect(specError).toMatch(/line 5, column \d+: equations.r: expected/);
    expect(await page.locator('#spec-gutter .bad').allTextContents()).toEqual(['5']);
    await page.click('#run');
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
    expect(await page.textContent('#status')).toMatch(/^Not run: data: row 3/);
    expect(await page.locator('#eq-after .katex').count()).toBe(2);
    expect(page.url()).toContain('csvName=broken.csv');
    await page.screenshot({ path: `${OUT}page-errors.png`, fullPage: true });
  }, 60_000);

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

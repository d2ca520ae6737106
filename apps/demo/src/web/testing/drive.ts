import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';

/** A page opened by {@link openDemo}: the page and the console errors it logged. */
export interface DemoTab {
  readonly page: Page;
  readonly consoleErrors: string[];
}

/**
 * Opens the demo at `url` + `hash` with a Long Tasks observer installed before any script runs,
 * collecting console errors; resolves once the page is idle (worker and backend started).
 */
export async function openDemo(context: BrowserContext, url: string, hash: string): Promise<DemoTab> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
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
    // the loss plot's points so far (one per optimiser step or iteration), for waitForFunction
    (globalThis as { lossCount?: () => number }).lossCount = () =>
      (globalThis as unknown as { odekit?: { lossPoints(): unknown[] } }).odekit?.lossPoints().length ?? 0;
  });
  await page.goto(url + hash);
  await page.waitForFunction(() => document.body.dataset.phase === 'idle', null, { timeout: 120_000 });
  return { page, consoleErrors };
}

/** What one run on the page took. */
export interface PageRun {
  /** Seconds from the Run click to the finished page (results drawn). */
  readonly wallSeconds: number;
  /** The worker's own time for the run (as the page's status says). */
  readonly runSeconds: number;
  /** Main-thread long tasks (> 50 ms) while the pipeline ran, and the longest one (ms). */
  readonly longTasks: number;
  readonly longestTaskMs: number;
  readonly phase: string;
  readonly status: string;
}

/** Clicks Run and waits for the run to end (done, failed or stopped). */
export async function runOnPage(page: Page, timeoutMs = 600_000): Promise<PageRun> {
  const startedAt = await page.evaluate(() => performance.now());
  const before = await page.evaluate(() => Number(document.body.dataset.run ?? 0));
  await page.click('#run');
  // Run checks the inputs (asynchronously, in the worker) before it starts: until then the phase
  // is still the previous run's 'done', so wait for this run's number, or for the refusal
  await page.waitForFunction(
    (previous) =>
      (Number(document.body.dataset.run ?? 0) > previous &&
        ['done', 'failed', 'stopped'].includes(document.body.dataset.phase ?? '')) ||
      (document.getElementById('status')?.textContent ?? '').startsWith('Not run'),
    before,
    { timeout: timeoutMs, polling: 250 },
  );
  const endedAt = await page.evaluate(() => performance.now());
  const status = (await page.textContent('#status')) ?? '';
  const phase = (await page.evaluate(() => document.body.dataset.phase)) ?? '';
  const runSeconds = Number(/in ([\d.]+) s/.exec(status)?.[1] ?? Number.NaN);
  // training ends when the worker answers; the status line is written right after
  const trainingEnd = startedAt + (Number.isFinite(runSeconds) ? runSeconds * 1000 : endedAt - startedAt);
  const tasks = await page.evaluate(
    () => (globalThis as unknown as { longTasks: { start: number; duration: number }[] }).longTasks,
  );
  const during = tasks.filter((t) => t.start >= startedAt && t.start <= trainingEnd);
  return {
    wallSeconds: (endedAt - startedAt) / 1000,
    runSeconds,
    longTasks: during.length,
    longestTaskMs: Math.max(0, ...during.map((t) => t.duration)),
    phase,
    status,
  };
}

/** Clicks a download button and returns the saved file's text. */
export async function downloadText(page: Page, selector: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFileSync(await file.path(), 'utf8');
}

/** `tf.memory().numTensors` inside the page's worker. */
export async function workerTensors(page: Page): Promise<number> {
  return page.evaluate(
    async () =>
      (await (globalThis as unknown as { odekit: { memory(): Promise<{ numTensors: number }> } }).odekit.memory())
        .numTensors,
  );
}

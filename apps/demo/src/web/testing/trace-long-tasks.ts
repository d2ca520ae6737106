// What the page's main-thread long tasks are made of, from a Chrome trace of one short run:
//
//   npx tsx --conditions=@odekit/source apps/demo/src/web/testing/trace-long-tasks.ts [hash]
//
// Builds and serves the page, runs the embedded scenario (short settings unless a hash is given)
// with CDP tracing on, and prints each main-thread task over 50 ms wall or 10 ms thread time, with
// its wall and thread (CPU) time, whether it fell in the training window, and its biggest parts.
import { buildPage, launchChromium } from './browser.js';
import { openDemo, runOnPage } from './drive.js';
import { traceMainThread } from './main-thread.js';
import { serveStatic } from './static-server.js';

const hash =
  process.argv[2] ??
  '#scenario=lotka-volterra&budget=0.3&mechanisticIterations=3&hybridSteps=4&networkIterations=3&jointSteps=3&refitIterations=3';
const dist = await buildPage();
const server = await serveStatic(dist);
const browser = await launchChromium();
try {
  const { page } = await openDemo(browser.context, server.url, hash);
  let summary = '';
  const trace = await traceMainThread(browser.context, page, async () => {
    const run = await runOnPage(page);
    summary = `run: ${run.phase} in ${run.wallSeconds.toFixed(1)} s; Long Tasks API while training: ${run.longTasks}, longest ${run.longestTaskMs.toFixed(0)} ms`;
  });
  console.log(summary);
  const from = trace.marks['odekit:training-start'] ?? 0;
  const to = trace.marks['odekit:training-end'] ?? Number.POSITIVE_INFINITY;
  for (const t of trace.tasks) {
    const when = t.start >= from && t.start <= to ? 'training' : 'after';
    console.log(
      `+${((t.start - from) / 1000).toFixed(1)} s (${when}): ${t.wallMs.toFixed(0)} ms wall, ${t.threadMs.toFixed(0)} ms thread: ${t.parts.join(' | ')}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}

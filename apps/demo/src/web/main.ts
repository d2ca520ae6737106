// The odekit demo page's entry: the page on the main thread, the pipeline in a Web Worker.
import 'katex/dist/katex.min.css';
import './styles.css';
import { wrap } from 'comlink';
import { DemoPage } from './page.js';
import type { PlotWorkerApi } from './plot-worker-api.js';
import { bundledScenarios } from './scenarios.js';
import type { WorkerApi } from './worker-api.js';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'odekit-pipeline' });
const api = wrap<WorkerApi>(worker);
// the live plots are drawn in a second worker: the main thread only swaps SVG in
const plotWorker = new Worker(new URL('./plot-worker.ts', import.meta.url), { type: 'module', name: 'odekit-plots' });
const page = new DemoPage(api, wrap<PlotWorkerApi>(plotWorker), bundledScenarios());

/** Hooks for the browser test and the console (read-only views of the page). */
const hooks = {
  memory: () => api.memory(),
  lossPoints: () => page.results.lossPoints(),
  state: () => page.state(),
  renderStats: () => page.results.renderStats(),
};
(globalThis as { odekit?: typeof hooks }).odekit = hooks;

page.start().catch((e: unknown) => {
  const status = document.getElementById('status');
  if (status) {
    status.textContent = `The page could not start: ${(e as Error).message}`;
    status.className = 'status error';
  }
  console.error(e);
});

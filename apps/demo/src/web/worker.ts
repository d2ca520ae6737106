// The page's Web Worker: runs the same pipeline module as the command, off the main thread.

import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import { runPipeline } from '../pipeline/index.js';
import type { PipelineEvent, StageSettings } from '../pipeline/types.js';
import { renderFigures, reportFiles } from './report-files.js';
import { EventBatcher, RunGate } from './run-gate.js';
import type { PageBackend } from './setup.js';
import type { RunOutcome, RunRequest, WorkerApi } from './worker-api.js';
import { availableBackends, startBackend } from './worker-backend.js';
import { checkInputs } from './worker-check.js';

/** The worker's one piece of state: the run in progress (a worker runs one at a time). */
let gate: RunGate | null = null;

async function ensureBackend(wanted: PageBackend): Promise<string> {
  for (const name of [wanted, 'wasm', 'cpu'] as PageBackend[]) {
    try {
      await startBackend(name);
      return name;
    } catch (e) {
      console.warn(`backend ${name} could not start: ${(e as Error).message}`);
    }
  }
  throw new Error('no tfjs backend could start in this browser');
}

const api: WorkerApi = {
  async init(backend) {
    const active = await ensureBackend(backend);
    return { available: availableBackends(), active };
  },

  async check(specText, csv) {
    return checkInputs(specText, csv);
  },

  async run(request: RunRequest, onEvents: (events: PipelineEvent[]) => void): Promise<RunOutcome> {
    if (gate !== null) throw new Error('a run is already in progress; stop it first');
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const myGate = new RunGate(request.startPaused);
    gate = myGate;
    const batcher = new EventBatcher((events) => onEvents(events));
    try {
      await ensureBackend(request.backend);
      const check = checkInputs(request.specText, request.csv);
      const first = check.specIssues[0] ?? check.csvIssues[0];
      if (first !== undefined || check.spec === null) {
        return {
          status: 'failed',
          message: first?.message ?? 'model: not a JSON object',
          userError: true,
          seconds: seconds(),
        };
      }
      const result = await runPipeline({
        spec: check.spec,
        csv: request.csv,
        dataName: request.dataName,
        options: {
          seed: request.seed,
          budget: request.budget,
          workers: 0,
          settings: request.settings as Partial<StageSettings>,
          ...(request.choose === undefined ? {} : { choose: request.choose }),
          signal: myGate.signal,
          // the model's trajectories twice a second are enough for the live plot (each is a solve)
          predictionEvery: 500,
          onEvent: (event: PipelineEvent) => batcher.push(event),
          // after every Adam step and L-BFGS iteration: Pause holds here, Step lets one through
          gate: () => myGate.pass(() => batcher.flush()),
        },
      });
      batcher.flush();
      const files = await reportFiles(result);
      const figures = await renderFigures(result.report);
      return { status: 'done', report: result.report, files, figures, seconds: seconds() };
    } catch (e) {
      batcher.flush();
      const error = e as Error;
      if (myGate.signal.aborted || error.name === 'AbortError') return { status: 'stopped', seconds: seconds() };
      if (error.name !== 'UserInputError') console.error(error);
      return {
        status: 'failed',
        message: error.message.split('\n')[0] ?? String(error),
        userError: error.name === 'UserInputError',
        seconds: seconds(),
      };
    } finally {
      gate = null;
    }
  },

  pause: () => gate?.pause(),
  resume: () => gate?.resume(),
  step: () => gate?.step(),
  stop: () => gate?.stop(),

  memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },
};

expose(api);

// Dumps one pipeline run's step losses (17 digits) and report for a backend, to find where two runs part:
//   npx tsx --conditions=@odekit/source apps/demo/src/web/testing/dump-run.ts cpu|wasm out.json
import { readFileSync, writeFileSync } from 'node:fs';
import { useBackend } from '@odekit/core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { runPipeline } from '../../pipeline/index.js';
import type { PipelineEvent } from '../../pipeline/types.js';

const [backend = 'cpu', out = '/tmp/dump.json'] = process.argv.slice(2);
await useBackend(backend as 'cpu' | 'wasm');
const root = new URL('../../../scenarios/lotka-volterra/', import.meta.url);
const spec = JSON.parse(readFileSync(new URL('model.json', root), 'utf8'));
const csv = readFileSync(new URL('data.csv', root), 'utf8');
const steps: string[] = [];
const { report } = await runPipeline({
  spec,
  csv,
  dataName: 'data.csv',
  options: {
    seed: 0,
    budget: 0.3,
    workers: 0,
    settings: { mechanisticIterations: 3, hybridSteps: 4, networkIterations: 3, jointSteps: 3, refitIterations: 3 },
    onEvent: (e: PipelineEvent) => {
      if (e.type === 'step') steps.push(`${e.stage} ${e.phase} ${e.step} ${e.loss.toPrecision(17)}`);
    },
  },
});
writeFileSync(out, JSON.stringify({ steps, report }, null, 1));
console.log(`${backend}: ${steps.length} steps; final ${JSON.stringify(report.parameters.final)}`);

// Worker-thread entry of the parallel search (see parallel-search.ts): one IslandGroup per worker.
import { parentPort } from 'node:worker_threads';
import { IslandGroup, type IslandInit, type IslandStep } from './island-worker.js';

const port = parentPort;
if (port === null) throw new Error('search-worker: must run in a worker thread (started by symbolicRegression).');
let group: IslandGroup | undefined;
port.on('message', (msg: IslandInit | IslandStep) => {
  if (msg.type === 'init') {
    group = new IslandGroup(msg);
    port.postMessage(group.report(true));
  } else if (group !== undefined) {
    port.postMessage(group.step(msg));
  }
});

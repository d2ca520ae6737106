// Starts the search worker from TypeScript source (tests, tsx with the @odekit/source condition):
// registers tsx in this worker thread, then loads the .ts entry. The built package uses dist/search-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./search-worker.ts');

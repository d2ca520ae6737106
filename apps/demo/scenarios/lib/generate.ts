// Shared by the scenarios' generator scripts: integrates a stated truth in float64 (classic RK4
// with a fine fixed step), samples it on a grid, adds seeded Gaussian noise and writes the CSV and
// truth.json next to the calling script. Node only (writes files); run with
// `npx tsx apps/demo/scenarios/<name>/generate.ts`.
import { writeFileSync } from 'node:fs';
import { makeCsv, type Rhs, type Truth } from '../../src/scenarios/make-csv.js';

export { gaussian, grid, integrate, makeCsv, type Rhs, type Truth } from '../../src/scenarios/make-csv.js';

/** Writes data.csv and truth.json into `dir` (a URL of the scenario's folder). */
export function writeScenario(dir: URL, f: Rhs, truth: Truth): void {
  writeFileSync(new URL('data.csv', dir), makeCsv(f, truth));
  writeFileSync(new URL('truth.json', dir), `${JSON.stringify(truth, null, 2)}\n`);
}

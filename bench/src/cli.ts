// `pnpm bench --workload W1|W2|W3|W4|W5|W6|W7|SR|SR-suite|SR-eval|demo|discovery [--backend cpu|wasm]`: runs a workload of
// packages/testing/fixtures/workloads.json and prints one JSON line per case.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const i = args.indexOf('--workload');
const workload = i >= 0 ? args[i + 1] : undefined;
const rest = args.filter((_, k) => k !== i && k !== i + 1);
const here = fileURLToPath(new URL('.', import.meta.url));
const scripts: Record<string, string[][]> = {
  W1: [['w1.ts']],
  W2: [['w2.ts'], ['w2-train.ts']],
  W3: [['w3.ts']],
  W4: [['w4.ts']],
  W6: [['w6.ts']],
  W5: [
    ...['recursive-checkpoint', 'recursive-checkpoint-per-stage', 'direct'].flatMap((adjoint) =>
      ['10', '100', '1000'].map((T) => ['w5-one.ts', '--T', T, '--adjoint', adjoint]),
    ),
    ...['10', '100', '1000'].map((T) => ['w5-one.ts', '--T', T, '--field', 'compiled']),
    ...['10', '100', '1000'].map((T) => ['w5-one.ts', '--T', T, '--field', 'tensor']),
  ],
  W7: [['w7.ts']],
  SR: [['sr.ts']],
  demo: [['demo.ts']],
  discovery: [['discovery.ts']],
  'SR-suite': [['sr-suite.ts']],
  'SR-eval': [['sr.ts', '--eval-only']],
};
if (workload === undefined || !(workload in scripts)) {
  console.error(`bench: pass --workload one of ${Object.keys(scripts).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const [script, ...extra] of scripts[workload] as string[][]) {
  const file = `${here}${script}`;
  if (!existsSync(file)) {
    console.error(`bench: ${script} does not exist yet; skipping`);
    continue;
  }
  // each case in a fresh process (W5 measures peak memory per process)
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@odekit/source', file, ...extra, ...rest], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// The `odekit-demo` command: runs src/cli/main.ts with tsx (workspace sources through the
// @odekit/source condition), passing the arguments through and returning its exit code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const r = spawnSync(
  process.execPath,
  ['--import', tsx, '--conditions=@odekit/source', main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);

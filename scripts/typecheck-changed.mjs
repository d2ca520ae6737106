#!/usr/bin/env node
// Type-checks the workspace packages that contain the given files (the pre-commit hook passes
// the staged ones), so a commit in one package is not blocked by work in progress elsewhere.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const roots = new Set();
for (const file of process.argv.slice(2)) {
  const m = /^((?:packages|apps)\/[^/]+|bench)\//.exec(file);
  if (m && existsSync(`${m[1]}/tsconfig.json`)) roots.add(m[1]);
}
let failed = false;
for (const root of roots) {
  const r = spawnSync('npx', ['tsc', '-p', `${root}/tsconfig.json`, '--noEmit'], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

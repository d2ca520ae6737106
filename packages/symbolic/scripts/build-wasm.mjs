// Compiles assembly/sr-kernels.ts with AssemblyScript and writes src/sr-kernels-wasm.ts, the
// module's bytes as base64. `node scripts/build-wasm.mjs --check` only compares, exiting 1 when
// the committed file is stale (the test suite runs the same comparison).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '@odekit/assembly/build-module';
import asc from 'assemblyscript/asc';

await main(asc, {
  root: join(dirname(fileURLToPath(import.meta.url)), '..'),
  entry: 'assembly/sr-kernels.ts',
  target: 'src/sr-kernels-wasm.ts',
  name: 'SR_KERNELS_WASM_BASE64',
  what: 'symbolic-regression column kernels',
  pkg: '@odekit/symbolic',
});

// Moved to @odekit/assembly (packages/assembly/build-module.mjs): packages import it as
// '@odekit/assembly/build-module' (a devDependency). This re-export keeps build scripts written
// before the move working; remove it once none imports '../../../scripts/wasm-module.mjs'.
export { generate, main } from '../packages/assembly/build-module.mjs';

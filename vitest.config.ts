import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Every package or app with a `src/` folder is a vitest project, tested from source. */
const roots = ['packages', 'apps']
  .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).map((name) => `${dir}/${name}`) : []))
  .concat(existsSync('bench/src') ? ['bench'] : [])
  .filter((root) => existsSync(`${root}/src`));

const conditions = ['@odekit/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  test: {
    projects: roots.map((root) => ({
      resolve: { conditions },
      ssr: { resolve: { conditions, externalConditions: ['@odekit/source'] } },
      test: {
        name: root.split('/').pop() as string,
        root,
        include: ['src/**/*.test.ts'],
        setupFiles: [new URL('./packages/testing/src/setup.ts', import.meta.url).pathname],
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    })),
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { katexInlineCss } from './src/web/katex-inline-plugin.js';

/**
 * The odekit demo page: `pnpm --filter @odekit/demo dev` serves it, `build` writes a static site
 * to `dist/` that works offline (relative URLs, no CDN: KaTeX's fonts and tfjs's wasm binaries
 * are bundled assets).
 *
 * Workspace packages are read from their sources through the `@odekit/source` export condition,
 * as in the tests, so the page needs no package build first.
 */
const conditions = ['@odekit/source', 'module', 'browser', 'development|production'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { conditions },
  plugins: [katexInlineCss()],
  worker: { format: 'es', plugins: () => [katexInlineCss()] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs alone is ~1.5 MB minified; the page loads it in the worker, not on the main thread.
    chunkSizeWarningLimit: 4000,
    assetsInlineLimit: 0,
  },
  server: { port: 5173 },
  preview: { port: 4173 },
});

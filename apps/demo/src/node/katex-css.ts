import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * KaTeX's stylesheet with every font inlined as a woff2 data URL (the woff and ttf fallbacks
 * dropped: every browser that opens the report reads woff2), so that report.html opens offline.
 */
export function katexInlineCss(): string {
  const require = createRequire(import.meta.url);
  const cssPath = require.resolve('katex/dist/katex.min.css');
  const dir = dirname(cssPath);
  const css = readFileSync(cssPath, 'utf8');
  return css.replace(/src:([^;}]*)/g, (_m, sources: string) => {
    const woff2 = /url\(([^)]+\.woff2)\)/.exec(sources)?.[1];
    if (woff2 === undefined) return `src:${sources}`;
    const data = readFileSync(join(dir, woff2.replace(/^['"]|['"]$/g, ''))).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
}

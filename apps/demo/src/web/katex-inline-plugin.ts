import type { Plugin } from 'vite';
import { katexInlineCss as katexInlineCssText } from '../node/katex-css.js';

const ID = 'virtual:katex-inline-css';

/**
 * A Vite plugin serving `virtual:katex-inline-css`: KaTeX's stylesheet with its fonts inlined,
 * made at build time by the command's own `katexInlineCss()` (src/node), so the page's
 * report.html carries the same stylesheet as the command's.
 */
export function katexInlineCss(): Plugin {
  return {
    name: 'odekit-katex-inline-css',
    resolveId: (id) => (id === ID ? `\0${ID}` : null),
    load: (id) => (id === `\0${ID}` ? `export default ${JSON.stringify(katexInlineCssText())};` : null),
  };
}

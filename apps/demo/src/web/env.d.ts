/// <reference types="vite/client" />

declare module 'virtual:katex-inline-css' {
  /** KaTeX's CSS with its fonts inlined (built by src/web/katex-inline-plugin.ts). */
  const css: string;
  export default css;
}

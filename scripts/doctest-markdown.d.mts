// Types of scripts/doctest-markdown.mjs, for the docs tests that import it.
export interface MarkdownBlock {
  line: number;
  code: string;
  expected: string[] | undefined;
  expectedAt: [number, number] | undefined;
  rtol: number;
  atol: number;
  skip: string | undefined;
}
export function markdownFiles(root: string): string[];
export function parseBlocks(text: string): MarkdownBlock[];
export function rewriteImports(code: string): string;
export function outputMatches(actual: string[], expected: string[], rtol?: number, atol?: number): boolean;
export function runMarkdown(
  root: string,
  only?: string[],
): { ok: boolean; executed: number; skipped: number; checked: number; total: number };

// The Markdown doctest's rules (scripts/doctest-markdown.mjs): block parsing, import rewriting,
// output matching with tolerances, and which pages it covers.
import { describe, expect, it } from 'vitest';
import { markdownFiles, outputMatches, parseBlocks, rewriteImports } from '../../../scripts/doctest-markdown.mjs';
import { docsRoot } from './site.js';

describe('Markdown doctest', () => {
  it('reads ts blocks, their output blocks and their options', () => {
    const md = [
      '# Page',
      '```ts',
      'console.log(1);',
      '```',
      '',
      '<!-- doctest: rtol=0.1 -->',
      '```text',
      '1',
      '```',
      '<!-- doctest: skip needs a GPU -->',
      '```ts',
      'gpu();',
      '```',
      '```sh',
      'pnpm x',
      '```',
    ].join('\n');
    const blocks = parseBlocks(md);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatchObject({ line: 2, code: 'console.log(1);', expected: ['1'], rtol: 0.1, skip: undefined });
    expect(blocks[1]).toMatchObject({ code: 'gpu();', expected: undefined, skip: 'needs a GPU' });
  });

  it('turns imports into dynamic imports where they stand', () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { a, type B, c as d } from 'm';",
      "import type { T } from 't';",
      "import 'side-effect';",
      'import {',
      '  x,',
      '  y,',
      "} from 'multi';",
    ].join('\n');
    expect(rewriteImports(code).split('\n')).toEqual([
      'var tf = await import("@tensorflow/tfjs");',
      'var { a, c: d } = await import("m");',
      'await import("side-effect");',
      'var { x, y } = await import("multi");',
    ]);
  });

  it('compares numbers within tolerance and text exactly', () => {
    expect(outputMatches(['loss 1.0004e-3 after 20 steps'], ['loss 1.0e-3 after 20 steps'])).toBe(true);
    expect(outputMatches(['loss 1.1e-3 after 20 steps'], ['loss 1.0e-3 after 20 steps'])).toBe(false);
    expect(outputMatches(['loss 1.1e-3 after 20 steps'], ['loss 1.0e-3 after 20 steps'], 0.2)).toBe(true);
    expect(outputMatches(['loss 1.0e-3 after 20 iterations'], ['loss 1.0e-3 after 20 steps'])).toBe(false);
    expect(outputMatches(['a', 'b', 'c', 'd'], ['a', '...', 'd'])).toBe(true);
    expect(outputMatches(['a', 'b'], ['a', 'b', 'c'])).toBe(false);
    expect(outputMatches(['', '17', ''], ['17'])).toBe(true);
  });

  it('covers the package READMEs and every docs page except generated ones', () => {
    const files = markdownFiles(`${docsRoot}/../..`);
    expect(files).toEqual(
      expect.arrayContaining([
        'packages/solvers/README.md',
        'apps/docs/guide/solving-odes.md',
        'apps/docs/tutorial/index.md',
      ]),
    );
    expect(files.some((f) => f.startsWith('apps/docs/api/') || f === 'apps/docs/README.md')).toBe(false);
  });
});

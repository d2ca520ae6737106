// The lint rule that keeps library numerics on portablePow / portableTanh
// (scripts/lint-portable-math.mjs, run by `pnpm lint`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { codeOnly, covered, findings } from '../../../scripts/lint-portable-math.mjs';

type Finding = { line: number; what: string };
const find = (src: string): Finding[] => findings(src) as Finding[];

describe('lint-portable-math', () => {
  it('flags Math.pow, Math.tanh and ** with exponents engines round differently', () => {
    const src = [
      'const a = Math.pow(x, 0.2);',
      'const b = Math.tanh(z);',
      'const c = 0.9 ** t;',
      'let d = 1; d **= y;',
    ].join('\n');
    expect(find(src)).toEqual([
      { line: 1, what: '`Math.pow`' },
      { line: 2, what: '`Math.tanh`' },
      { line: 3, what: '`**`' },
      { line: 4, what: '`**`' },
    ]);
  });

  it('allows squares, powers of two with integer literals, comments, strings and marked lines', () => {
    const src = [
      'const a = (x - m) ** 2;',
      'const b = 2 ** -24 + 2 ** 10;',
      '// Math.pow(x, y) in a comment',
      '/* x ** 0.5 */ const s = "Math.tanh(1)";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      'const t = `Math.pow(${n}) ** 3`;',
      'const u = x ** y; // portable-math: allow (a reference value)',
    ].join('\n');
    expect(find(src)).toEqual([]);
  });

  it('still sees code inside template substitutions and keeps line numbers', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
    const src = 'const a = `x`;\nconst t = `v = ${Math.tanh(v)} and ${`${y ** 0.5}`}`;\n';
    expect(find(src)).toEqual([
      { line: 2, what: '`Math.tanh`' },
      { line: 2, what: '`**`' },
    ]);
    expect((codeOnly(src) as string).split('\n').length).toBe(src.split('\n').length);
  });

  it('covers library and app sources, not tests, builds or AssemblyScript', () => {
    expect(covered('packages/core/src/portable-math.ts')).toBe(true);
    expect(covered('apps/demo/src/pipeline/discover.ts')).toBe(true);
    expect(covered('packages/core/src/portable-math.test.ts')).toBe(false);
    expect(covered('packages/core/dist/index.js')).toBe(false);
    expect(covered('packages/assembly/assembly/sr-kernels.ts')).toBe(false);
    expect(covered('bench/src/w1.ts')).toBe(false);
  });

  it('finds nothing in the repository as committed (the check pnpm lint runs)', () => {
    const script = fileURLToPath(new URL('../../../scripts/lint-portable-math.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

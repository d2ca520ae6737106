import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Relative modules reachable from `entry` by static imports, and the bare specifiers they import. */
function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(new URL(file, import.meta.url), 'utf8');
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith('.')) visit(spec.replace(/\.js$/, '.ts'));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('entry points', () => {
  it('the browser entry reaches no node: module; the ./node entry does (worker threads)', () => {
    const browser = importGraph('./index.ts');
    expect([...browser.bare].filter((s) => s.startsWith('node:'))).toEqual([]);
    expect(browser.files.size).toBeGreaterThan(20);
    expect(browser.files.has('./parallel-search.ts')).toBe(false);
    const node = importGraph('./node-index.ts');
    expect(node.bare.has('node:worker_threads')).toBe(true);
  });
});

// The packages the API reference documents: every published (non-private) package under
// packages/ whose src/index.ts exports something.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../../..', import.meta.url).pathname;

/** Folder names under packages/, sorted. */
export function apiPackages(root = repoRoot): string[] {
  return readdirSync(join(root, 'packages'))
    .filter((name) => {
      const pkg = join(root, 'packages', name, 'package.json');
      const index = join(root, 'packages', name, 'src', 'index.ts');
      if (!existsSync(pkg) || !existsSync(index)) return false;
      if (JSON.parse(readFileSync(pkg, 'utf8')).private) return false;
      return /^export\s+(?!\{\s*\};?\s*$)/m.test(readFileSync(index, 'utf8'));
    })
    .sort();
}

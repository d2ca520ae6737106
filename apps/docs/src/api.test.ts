// The API reference documents exactly the public exports of every published package: each name
// exported by a package's src/index.ts has its page (or its entry on the package's page), no page
// documents a name that is not exported, and every published package has a section.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiDir, docsRoot, ensureBuilt, walk } from './site.js';

const repo = join(docsRoot, '..', '..');

/** The names a module exports, read with the TypeScript parser (types included). */
export function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const names: string[] = [];
  for (const stmt of source.statements) {
    if (ts.isExportDeclaration(stmt)) {
      if (!stmt.exportClause) throw new Error(`${file}: 'export *' is against the house style (explicit lists only)`);
      if (ts.isNamedExports(stmt.exportClause)) for (const el of stmt.exportClause.elements) names.push(el.name.text);
    } else if (
      ts.canHaveModifiers(stmt) &&
      ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      const named = stmt as ts.DeclarationStatement;
      if (named.name && ts.isIdentifier(named.name)) names.push(named.name.text);
      if (ts.isVariableStatement(stmt))
        for (const d of stmt.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    }
  }
  return names.sort();
}

/** Published packages (packages/* not private) whose index exports anything. */
function publishedPackages(): string[] {
  return readdirSync(join(repo, 'packages'))
    .filter((name) => existsSync(join(repo, 'packages', name, 'src', 'index.ts')))
    .filter((name) => !JSON.parse(readFileSync(join(repo, 'packages', name, 'package.json'), 'utf8')).private)
    .filter((name) => exportedNames(join(repo, 'packages', name, 'src', 'index.ts')).length > 0)
    .sort();
}

describe('API reference', () => {
  beforeAll(ensureBuilt, 600_000);

  it('has a section for every published package', () => {
    expect(publishedPackages()).toEqual(expect.arrayContaining(['core', 'nn', 'solvers', 'symbolic', 'train']));
    expect(readdirSync(join(apiDir, '@odekit')).sort()).toEqual(publishedPackages());
  });

  for (const pkg of publishedPackages()) {
    it(`documents exactly the exports of @odekit/${pkg}`, () => {
      const exported = exportedNames(join(repo, 'packages', pkg, 'src', 'index.ts'));
      expect(exported.length).toBeGreaterThan(5);
      const dir = join(apiDir, '@odekit', pkg);
      const pages = walk(dir)
        .filter((f) => f.endsWith('.md') && !f.endsWith('index.md'))
        .map((f) => (f.split('/').pop() as string).replace(/\.md$/, ''));
      const index = readFileSync(join(dir, 'index.md'), 'utf8');
      // a name is documented by its own page, or (for re-exported names typedoc merges) in the index
      const missing = exported.filter((name) => !pages.includes(name) && !new RegExp(`\\b${name}\\b`).test(index));
      expect(missing).toEqual([]);
      const extra = pages.filter((name) => !exported.includes(name));
      expect(extra).toEqual([]);
    });
  }

  it('reads export lists the way the test expects (the check can fail)', () => {
    const names = exportedNames(join(repo, 'packages', 'solvers', 'src', 'index.ts'));
    expect(names).toContain('diffeqsolve');
    expect(names).toContain('SolveProblem'); // `export type { … }`
    expect(names).not.toContain('replayController'); // internal
  });
});

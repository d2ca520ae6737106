// Every internal link and anchor of the built site resolves, and every asset a page loads exists.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dist, ensureBuilt, walk } from './site.js';

/** The ids a page defines (targets of `#anchor`). */
function idsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] as string));
}

/** The file a site URL path is served from. */
function fileOf(path: string): string {
  const p = join(dist, decodeURIComponent(path));
  if (path.endsWith('/')) return join(p, 'index.html');
  if (existsSync(p)) return p;
  return `${p}.html`;
}

describe('docs site links', () => {
  beforeAll(ensureBuilt, 600_000);

  it('has no broken internal link, anchor or asset', () => {
    const pages = walk(dist).filter((f) => f.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(50);
    const ids = new Map<string, Set<string>>();
    const idsFor = (file: string) => {
      let s = ids.get(file);
      if (!s) {
        s = idsOf(readFileSync(file, 'utf8'));
        ids.set(file, s);
      }
      return s;
    };
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      const pagePath = `/${relative(dist, page)}`;
      for (const m of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
        const target = m[2] as string;
        if (/^(https?:|mailto:|data:|javascript:)/.test(target) || target === '') continue;
        const [pathPart, anchor] = target.split('#') as [string, string | undefined];
        const path =
          pathPart === '' ? pagePath : pathPart.startsWith('/') ? pathPart : join(dirname(pagePath), pathPart);
        const file = fileOf(path);
        checked++;
        if (!existsSync(file)) {
          broken.push(`${pagePath}: ${target} (no file ${relative(dist, file)})`);
          continue;
        }
        if (anchor && file.endsWith('.html') && !idsFor(file).has(decodeURIComponent(anchor)))
          broken.push(`${pagePath}: ${target} (no id '${anchor}')`);
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(broken).toEqual([]);
  });

  it('loads nothing from another host (offline: no CDN, no external fonts)', () => {
    const external: string[] = [];
    for (const file of walk(dist).filter((f) => /\.(html|css|js)$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      // what a browser would fetch by itself: scripts, styles, fonts, images, imports
      for (const m of text.matchAll(
        /(?:<script[^>]+src|<link[^>]+href|<img[^>]+src)="(https?:[^"]+)"|url\((https?:[^)]+)\)|@import\s+["'](https?:[^"']+)/g,
      ))
        external.push(`${relative(dist, file)}: ${m[1] ?? m[2] ?? m[3]}`);
    }
    expect(external).toEqual([]);
  });
});

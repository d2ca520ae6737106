// Shared by the docs tests: the built site (built once, reused), a static server for it, and
// the pages' internal links.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

export const docsRoot = new URL('..', import.meta.url).pathname;
export const dist = join(docsRoot, '.vitepress', 'dist');
export const apiDir = join(docsRoot, 'api');
export const outputDir = join(docsRoot, 'test-output');

/**
 * Builds the site unless a build is already there (`pnpm docs:build` in CI before the tests, or a
 * previous test file); set DOCS_REBUILD=1 to force one. A lock directory keeps two test files
 * from building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(docsRoot, '.vitepress', '.build-lock');
  const ready = () => existsSync(join(dist, 'index.html')) && existsSync(join(apiDir, 'index.md'));
  for (;;) {
    if (ready() && !process.env.DOCS_REBUILD) return;
    try {
      mkdirSync(lock);
    } catch {
      await new Promise((r) => setTimeout(r, 1000)); // another file is building
      continue;
    }
    try {
      if (!ready() || process.env.DOCS_REBUILD) {
        const r = spawnSync('npx', ['-y', 'pnpm@12.4.2', 'run', 'build'], { cwd: docsRoot, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`docs build failed:\n${r.stdout}\n${r.stderr}`);
      }
      delete process.env.DOCS_REBUILD;
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Every file under `dir`, recursively. */
export function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
};

/** Serves the built site on a free port (as `vitepress preview` does, without the CLI). */
export async function serveSite(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dist, path));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) && existsSync(`${file}.html`)) file = `${file}.html`;
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': TYPES['.html'] }).end(readFileSync(join(dist, '404.html')));
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('serveSite: no port');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

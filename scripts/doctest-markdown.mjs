// The Markdown half of the doctest: runs every ```ts block of the package READMEs and of the docs
// site's pages (apps/docs/**/*.md, without the generated API reference), and checks printed
// output where a page shows it.
//
// Rules, as a page author sees them:
// - A page runs as one module, its blocks in order. On docs pages (apps/docs) the blocks share
//   one scope, like a notebook: a later block uses what an earlier one defined (top-level
//   `const`/`let` run as `var`, so a block may reuse a name). In READMEs each
//   block is a scope of its own (`{ … }`), so blocks are independent examples.
// - `import` lines become dynamic imports where they stand, so blocks import what they use.
// - A ```text (or ```txt) block right after a ```ts block is the expected console output of that
//   block: lines are compared after trimming; numbers within `atol + rtol·|expected|`
//   (default rtol 1e-3, atol 1e-6), everything else exactly. A line `...` matches any lines.
// - `<!-- doctest: rtol=0.05 atol=1e-4 -->` right before a ```ts block (or its output block) sets
//   its tolerances;
//   `<!-- doctest: skip reason -->` marks a block that cannot run (it is counted; at most 5 % of
//   all blocks may be skipped).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MAX_SKIPPED = 0.05;

/** The Markdown files the doctest runs, relative to the repository root. */
export function markdownFiles(root) {
  const out = [];
  for (const dir of ['packages', 'apps']) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of readdirSync(join(root, dir))) {
      const readme = join(root, dir, name, 'README.md');
      if (dir === 'packages' && existsSync(readme)) out.push(readme);
    }
  }
  const docs = join(root, 'apps', 'docs');
  const skipDirs = new Set(['node_modules', 'api', 'generated', '.vitepress', 'test-output', '.doctest']);
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (!skipDirs.has(name)) walk(p);
      } else if (name.endsWith('.md') && p !== join(docs, 'README.md')) out.push(p);
    }
  };
  if (existsSync(docs)) walk(docs);
  return out.map((p) => relative(root, p));
}

/** Parses the ```ts blocks of a Markdown text: code, line, expected output, options. */
export function parseBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let i = 0;
  const fence = (line) => /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
  while (i < lines.length) {
    const f = fence(lines[i]);
    if (!f) {
      i++;
      continue;
    }
    const [, marks, lang] = f;
    const start = i;
    const body = [];
    i++;
    while (i < lines.length && !new RegExp(`^\\s*${marks[0]}{${marks.length},}\\s*$`).test(lines[i]))
      body.push(lines[i++]);
    i++; // closing fence
    if (lang !== 'ts' && lang !== 'typescript') continue;
    // options from the nearest non-blank line above
    let k = start - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const opt = k >= 0 ? /^<!--\s*doctest:\s*(.*?)\s*-->$/.exec(lines[k].trim()) : null;
    const options = { rtol: 1e-3, atol: 1e-6, skip: undefined };
    if (opt) {
      const s = opt[1];
      if (/^skip\b/.test(s)) options.skip = s.replace(/^skip\s*/, '') || 'no reason given';
      for (const m of s.matchAll(/(rtol|atol)=([\d.e+-]+)/g)) options[m[1]] = Number(m[2]);
    }
    // expected output: a ```text block right after (blank lines only in between)
    let j = i;
    while (j < lines.length && (lines[j].trim() === '' || /^<!--\s*doctest:.*-->$/.test(lines[j].trim()))) {
      // tolerances may also stand right above the output block
      for (const m of lines[j].matchAll(/(rtol|atol)=([\d.e+-]+)/g)) options[m[1]] = Number(m[2]);
      j++;
    }
    let expected;
    let expectedAt;
    const g = j < lines.length ? fence(lines[j]) : null;
    if (g && (g[2] === 'text' || g[2] === 'txt')) {
      const out = [];
      let m = j + 1;
      while (m < lines.length && !new RegExp(`^\\s*${g[1][0]}{${g[1].length},}\\s*$`).test(lines[m]))
        out.push(lines[m++]);
      expected = out;
      expectedAt = [j + 1, m]; // the lines between the fences
    }
    blocks.push({ line: start + 1, code: body.join('\n'), expected, expectedAt, ...options });
  }
  return blocks;
}

/** Rewrites `import` statements into dynamic imports (`var` so that blocks may repeat them). */
export function rewriteImports(code) {
  const out = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (!/^\s*import\s/.test(line)) {
      out.push(line);
      continue;
    }
    while (
      !/from\s*['"][^'"]+['"]\s*;?\s*$/.test(line) &&
      !/^\s*import\s*['"][^'"]+['"]\s*;?\s*$/.test(line) &&
      i + 1 < lines.length
    )
      line += ` ${lines[++i].trim()}`;
    const bare = /^\s*import\s*['"]([^'"]+)['"]\s*;?\s*$/.exec(line);
    if (bare) {
      out.push(`await import(${JSON.stringify(bare[1])});`);
      continue;
    }
    const m = /^\s*import\s+(type\s+)?(.*?)\s*from\s*['"]([^'"]+)['"]\s*;?\s*$/.exec(line);
    if (!m) throw new Error(`cannot read the import: ${line}`);
    if (m[1]) continue; // import type
    const mod = JSON.stringify(m[3]);
    let spec = m[2];
    const parts = [];
    const ns = /^\*\s+as\s+(\w+)$/.exec(spec);
    if (ns) {
      out.push(`var ${ns[1]} = await import(${mod});`);
      continue;
    }
    const def = /^(\w+)\s*(?:,\s*(.*))?$/.exec(spec);
    if (def && !spec.startsWith('{')) {
      parts.push(`default: ${def[1]}`);
      spec = def[2] ?? '';
    }
    const named = /\{(.*)\}/.exec(spec);
    if (named)
      for (const n of named[1].split(',')) {
        const t = n.trim();
        if (!t || t.startsWith('type ')) continue;
        const as = /^(\w+)\s+as\s+(\w+)$/.exec(t);
        parts.push(as ? `${as[1]}: ${as[2]}` : t);
      }
    out.push(parts.length ? `var { ${parts.join(', ')} } = await import(${mod});` : `await import(${mod});`);
  }
  return out.join('\n');
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;

/** Does one output line match one expected line (numbers within tolerance)? */
function lineMatches(actual, expected, rtol, atol) {
  const skel = (s) => s.replace(NUMBER, '#').replace(/\s+/g, ' ').trim();
  if (skel(actual) !== skel(expected)) return false;
  const a = actual.match(NUMBER) ?? [];
  const e = expected.match(NUMBER) ?? [];
  return a.every((x, i) => Math.abs(Number(x) - Number(e[i])) <= atol + rtol * Math.abs(Number(e[i])));
}

/** Matches output lines against expected lines, where an expected `...` matches any lines. */
export function outputMatches(actual, expected, rtol = 1e-3, atol = 1e-6) {
  const trimEnds = (xs) => {
    const ys = xs.map((x) => x.trimEnd());
    while (ys.length && ys[0].trim() === '') ys.shift();
    while (ys.length && ys.at(-1).trim() === '') ys.pop();
    return ys;
  };
  const a = trimEnds(actual);
  const e = trimEnds(expected);
  const go = (i, j) => {
    if (j === e.length) return i === a.length;
    if (e[j].trim() === '...') {
      for (let k = i; k <= a.length; k++) if (go(k, j + 1)) return true;
      return false;
    }
    return i < a.length && lineMatches(a[i], e[j], rtol, atol) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/** The module a page becomes: blocks in order, each announcing itself to the runner. */
function pageModule(file, blocks, shared) {
  const parts = ['const __d = (globalThis as any).__doctest;'];
  blocks.forEach((b, n) => {
    if (b.skip) return;
    // shared scope: top-level const/let become var, so a later block may reuse a name (`sol`)
    const code = shared ? rewriteImports(b.code).replace(/^(const|let) /gm, 'var ') : rewriteImports(b.code);
    parts.push(`__d.begin(${n});`);
    parts.push(shared ? code : `{\n${code}\n}`);
  });
  parts.push('export {};');
  return `// generated by scripts/doctest-markdown.mjs from ${file}\n${parts.join('\n')}\n`;
}

const RUNNER = `
import { format } from 'node:util';
const pages: [string, string, number][] = JSON.parse(process.env.DOCTEST_PAGES as string);
const results: { file: string; outputs: string[][]; failed?: { block: number; error: string } }[] = [];
let current: string[] = [];
let page: (typeof results)[number];
let block = -1;
(globalThis as any).__doctest = {
  begin(n: number) { block = n; current = []; page.outputs[n] = current; },
};
const log = console.log;
console.log = (...args: unknown[]) => { current.push(...format(...args).split('\\n')); };
console.info = console.log;
const tf = await import('@tensorflow/tfjs');
tf.enableProdMode();
for (const [file, url] of pages) {
  page = { file, outputs: [] };
  results.push(page);
  block = -1;
  current = [];
  const t0 = performance.now();
  try {
    await import(url);
  } catch (e) {
    page.failed = { block, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  log(\`ran \${file} in \${((performance.now() - t0) / 1000).toFixed(1)} s\`);
}
(await import('node:fs')).writeFileSync(process.env.DOCTEST_RESULTS as string, JSON.stringify(results));
process.exit(0);
`;

/** DOCTEST_FILL=1: writes each block's actual output into its ```text block (for authors). */
function fill(root, results, parsed) {
  for (const page of results) {
    const blocks = parsed.get(page.file);
    const lines = readFileSync(join(root, page.file), 'utf8').split('\n');
    const edits = blocks
      .map((b, n) => [b, page.outputs[n]])
      .filter(([b, out]) => b.expectedAt && out)
      .reverse();
    for (const [b, out] of edits) lines.splice(b.expectedAt[0], b.expectedAt[1] - b.expectedAt[0], ...out);
    writeFileSync(join(root, page.file), lines.join('\n'));
  }
}

/**
 * Runs the given Markdown files (all when empty) in one process and reports.
 * Returns { ok, executed, skipped, checked }.
 */
export function runMarkdown(root, only = []) {
  const files = only.length ? only.map((f) => relative(root, resolve(f))) : markdownFiles(root);
  const pages = [];
  const tmpDirs = new Set();
  let total = 0;
  let skipped = 0;
  const parsed = new Map();
  for (const file of files) {
    const blocks = parseBlocks(readFileSync(join(root, file), 'utf8'));
    total += blocks.length;
    skipped += blocks.filter((b) => b.skip).length;
    for (const b of blocks.filter((b) => b.skip)) console.log(`skip ${file}:${b.line} (${b.skip})`);
    if (blocks.every((b) => b.skip)) continue;
    parsed.set(file, blocks);
    // the module lives next to the page's package, so its imports resolve as the package's own
    const pkgRoot = file.startsWith('apps/docs/') ? 'apps/docs' : dirname(file);
    const tmp = join(root, pkgRoot, '.doctest');
    tmpDirs.add(tmp);
    mkdirSync(tmp, { recursive: true });
    const mod = join(tmp, `${file.replace(/[^\w]+/g, '_')}.mts`);
    writeFileSync(mod, pageModule(file, blocks, file.startsWith('apps/docs/')));
    pages.push([file, pathToFileURL(mod).href]);
  }
  const runner = join(root, 'apps', 'docs', '.doctest', 'run.mts');
  tmpDirs.add(dirname(runner));
  mkdirSync(dirname(runner), { recursive: true });
  writeFileSync(runner, RUNNER);
  const resultsFile = join(dirname(runner), 'results.json');
  const t0 = Date.now();
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=@odekit/source', runner], {
    cwd: join(root, 'apps', 'docs'),
    encoding: 'utf8',
    env: { ...process.env, DOCTEST_PAGES: JSON.stringify(pages), DOCTEST_RESULTS: resultsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stdout.write(r.stdout);
  let failures = 0;
  let checked = 0;
  let executed = 0;
  if (r.status !== 0 || !existsSync(resultsFile)) {
    process.stdout.write(r.stderr);
    console.log(`FAIL the Markdown doctest runner exited with ${r.status}`);
    failures++;
  } else {
    for (const page of JSON.parse(readFileSync(resultsFile, 'utf8'))) {
      const blocks = parsed.get(page.file);
      blocks.forEach((b, n) => {
        if (b.skip) return;
        const where = `${page.file}:${b.line}`;
        if (page.failed && page.failed.block === n) {
          failures++;
          console.log(`FAIL ${where}: ${page.failed.error}`);
          return;
        }
        if (page.failed && page.failed.block === -1 && n === blocks.findIndex((c) => !c.skip)) {
          failures++;
          console.log(`FAIL ${page.file}: the page did not load: ${page.failed.error}`);
          return;
        }
        if (page.failed && (page.failed.block < n || page.failed.block === -1)) {
          failures++;
          console.log(`FAIL ${where}: not run (an earlier block of the page failed)`);
          return;
        }
        executed++;
        if (process.env.DOCTEST_SHOW) console.log(`--- output of ${where}\n${(page.outputs[n] ?? []).join('\n')}`);
        if (!b.expected) return;
        checked++;
        const actual = page.outputs[n] ?? [];
        if (!outputMatches(actual, b.expected, b.rtol, b.atol)) {
          failures++;
          console.log(
            `FAIL ${where}: output differs (rtol ${b.rtol}, atol ${b.atol})\n--- expected\n${b.expected.join('\n')}\n--- actual\n${actual.join('\n')}`,
          );
        }
      });
    }
  }
  if (process.env.DOCTEST_FILL && existsSync(resultsFile))
    fill(root, JSON.parse(readFileSync(resultsFile, 'utf8')), parsed);
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  const fraction = total ? skipped / total : 0;
  const tooMany = only.length === 0 && fraction > MAX_SKIPPED; // the rule is over all pages
  console.log(
    `doctest (Markdown): ${files.length} pages, ${total} ts blocks: ${executed} executed (${checked} with checked output), ${skipped} skipped (${(100 * fraction).toFixed(1)} %, at most ${100 * MAX_SKIPPED} %), ${failures} failing; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (tooMany) console.log(`FAIL more than ${100 * MAX_SKIPPED} % of the blocks are skipped`);
  return { ok: failures === 0 && !tooMany, executed, skipped, checked, total };
}

#!/usr/bin/env node
// Executes the TypeScript examples of the repository:
//
// 1. every ```ts block in the TSDoc @example sections of packages/*/src (tests excluded).
//    Examples of one package run together in one process: their imports are hoisted and merged,
//    each body runs in its own async function, and a failure names the file and line;
// 2. every ```ts block of the Markdown pages: the package READMEs and the docs site
//    (apps/docs, without the generated API reference). See scripts/doctest-markdown.mjs.
//
//   node scripts/doctest.mjs                 # all of it
//   node scripts/doctest.mjs core            # one package's TSDoc examples
//   node scripts/doctest.mjs --md [files…]   # only Markdown (all pages, or the given ones)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runMarkdown } from './doctest-markdown.mjs';

const root = new URL('..', import.meta.url).pathname;
const mdOnly = process.argv[2] === '--md';
const only = mdOnly ? undefined : process.argv[2];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

function examplesOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*```ts\s*$/.test(lines[i])) continue;
    // only blocks that follow an @example tag inside the same comment
    let j = i - 1;
    while (j >= 0 && !/@example/.test(lines[j]) && !/\/\*\*/.test(lines[j])) j--;
    if (j < 0 || !/@example/.test(lines[j])) continue;
    const body = [];
    let k = i + 1;
    for (; k < lines.length && !/^\s*\*\s*```\s*$/.test(lines[k]); k++) body.push(lines[k].replace(/^\s*\* ?/, ''));
    out.push({ file, line: i + 1, code: body.join('\n') });
    i = k;
  }
  return out;
}

function build(examples) {
  const imports = new Map(); // module -> { names:Set, namespace?:string, bare:boolean }
  const bodies = examples.map((ex, n) => {
    const rest = [];
    for (const line of ex.code.split('\n')) {
      const m = /^import\s+(.*?)\s*from\s*['"](.+)['"];?\s*$/.exec(line);
      const bare = /^import\s+['"](.+)['"];?\s*$/.exec(line);
      if (bare) {
        const e = imports.get(bare[1]) ?? { names: new Set(), bare: true };
        imports.set(bare[1], e);
      } else if (m) {
        const e = imports.get(m[2]) ?? { names: new Set(), bare: false };
        const spec = m[1];
        const ns = /^\*\s+as\s+(\w+)$/.exec(spec);
        if (ns) e.namespace = ns[1];
        else
          for (const name of spec
            .replace(/^type\s+/, '')
            .replace(/[{}]/g, '')
            .split(','))
            if (name.trim()) e.names.add(name.trim());
        imports.set(m[2], e);
      } else rest.push(line);
    }
    const where = `${relative(root, ex.file)}:${ex.line}`;
    return `async function example${n}() {\n${rest.join('\n')}\n}\ncases.push([${JSON.stringify(where)}, example${n}]);`;
  });
  const head = [];
  for (const [mod, e] of imports) {
    if (e.namespace) head.push(`import * as ${e.namespace} from '${mod}';`);
    if (e.names.size) head.push(`import { ${[...e.names].join(', ')} } from '${mod}';`);
    if (!e.namespace && !e.names.size) head.push(`import '${mod}';`);
  }
  return `${head.join('\n')}
import * as __tf from '@tensorflow/tfjs';
__tf.enableProdMode();
await __tf.setBackend('cpu');
const cases: [string, () => Promise<void>][] = [];
${bodies.join('\n')}
let failed = 0;
for (const [where, fn] of cases) {
  try { await fn(); console.log('ok   ' + where); }
  catch (e) { failed++; console.log('FAIL ' + where + ': ' + (e instanceof Error ? e.message : String(e))); }
}
console.log(\`doctest: \${cases.length - failed} passed, \${failed} failed\`);
process.exit(failed ? 1 : 0);
`;
}

let total = 0;
let bad = 0;
for (const dir of mdOnly ? [] : ['packages']) {
  for (const pkg of readdirSync(join(root, dir))) {
    if (only && pkg !== only) continue;
    const src = join(root, dir, pkg, 'src');
    let files;
    try {
      files = walk(src);
    } catch {
      continue;
    }
    const examples = files.flatMap(examplesOf);
    if (examples.length === 0) continue;
    const tmp = join(root, dir, pkg, '.doctest');
    mkdirSync(tmp, { recursive: true });
    const file = join(tmp, 'examples.mts');
    writeFileSync(file, build(examples));
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, ['--conditions=@odekit/source', file], { cwd: join(root, dir, pkg), encoding: 'utf8' });
    process.stdout.write(`# ${dir}/${pkg}: ${examples.length} examples\n${r.stdout}${r.stderr}`);
    total += examples.length;
    if (r.status !== 0) bad++;
    rmSync(tmp, { recursive: true, force: true });
  }
}
if (!mdOnly) console.log(`doctest: ${total} TSDoc examples in all, ${bad} package(s) failing`);
let mdFailed = false;
if (!only) {
  const md = runMarkdown(root, mdOnly ? process.argv.slice(3) : []);
  mdFailed = !md.ok;
}
process.exit(bad || mdFailed ? 1 : 0);

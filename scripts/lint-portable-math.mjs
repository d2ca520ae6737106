#!/usr/bin/env node
// Lint: numerics that must give the same bits in Node and in the browser.
//
// V8 versions round `Math.pow` / `**` (on about 10 % of arguments) and `Math.tanh` (on about
// 0.07 %) differently, so Node 20 and a current Chromium disagree in the last bit, and a seeded
// run stops being reproducible between the command and the page. Library and app code therefore
// uses `portablePow` and `portableTanh` from `@odekit/core`. This check fails on a bare
// `Math.pow(`, `Math.tanh(` or `**` outside comments and strings in the source that runs in both
// places (packages' and the demo app's `src`, tests excluded). A line that really needs one (for
// example a reference inside a test helper) says so with the comment `portable-math: allow`.
//
// Usage: node scripts/lint-portable-math.mjs [files...]   (no files: the whole tree)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['packages', 'apps/demo/src'];

/** Whether a repository-relative path is source this rule covers. */
export function covered(path) {
  const p = path.replaceAll('\\', '/');
  if (!/\.(ts|tsx|mts|js|mjs)$/.test(p) || /\.test\.|\.test-support\.|\.d\.ts$/.test(p)) return false;
  if (/(^|\/)(node_modules|dist|assembly)\//.test(p)) return false;
  return /^packages\/[^/]+\/src\//.test(p) || p.startsWith('apps/demo/src/');
}

/**
 * The code of a TypeScript/JavaScript source with comments and string contents blanked out
 * (newlines kept, so offsets keep their line numbers). Template literals keep their `${…}` code.
 */
export function codeOnly(src) {
  let out = '';
  let i = 0;
  const braceStack = []; // for each open `${`: the brace depth at which its template resumes
  let depth = 0;
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  const template = () => {
    // at a position inside a template literal's text: copy blanks up to `${` or the closing backtick
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') {
        out += blank(src.slice(i, i + 2));
        i += 2;
      } else if (c === '`') {
        out += '`';
        i += 1;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        out += '${';
        i += 2;
        braceStack.push(depth);
        depth += 1;
        return;
      } else {
        out += c === '\n' ? '\n' : ' ';
        i += 1;
      }
    }
  };
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += c + blank(src.slice(i + 1, j)) + (src[j] ?? '');
      i = j + 1;
    } else if (c === '`') {
      out += '`';
      i += 1;
      template();
    } else if (c === '{') {
      depth += 1;
      out += c;
      i += 1;
    } else if (c === '}') {
      depth -= 1;
      out += c;
      i += 1;
      if (braceStack.length > 0 && braceStack[braceStack.length - 1] === depth) {
        braceStack.pop();
        template();
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * Whether the `**` at `at` is one both engines compute exactly: a square (`x ** 2`, which fdlibm
 * and V8's older pow both return as `x * x`) or a power of two with an integer literal exponent
 * (`2 ** -24`, exactly representable).
 */
function exactPower(code, at) {
  const after = code.slice(at + 2);
  if (/^\s*2(?![\w.])/.test(after)) return true;
  return /(^|[^\w.])2\s*$/.test(code.slice(Math.max(0, at - 8), at)) && /^\s*\(?\s*-?\d+\s*\)?(?![\w.])/.test(after);
}

/** The offending uses in one source: `{ line, what }` for each. */
export function findings(src) {
  const code = codeOnly(src);
  const lines = src.split('\n');
  const found = [];
  const re = /\bMath\s*\.\s*(pow|tanh)\s*\(|\*\*(?!=)|\*\*=/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    const line = code.slice(0, m.index).split('\n').length;
    if ((lines[line - 1] ?? '').includes('portable-math: allow')) continue;
    if (m[1] === undefined && exactPower(code, m.index)) continue;
    const what = m[1] === undefined ? '`**`' : `\`Math.${m[1]}\``;
    found.push({ line, what });
  }
  return found;
}

function walk(dir, files) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, files);
    else files.push(relative(root, full));
  }
  return files;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const given = process.argv.slice(2);
  const files = (given.length > 0 ? given : roots.flatMap((r) => walk(join(root, r), []))).filter(covered);
  let bad = 0;
  for (const file of files) {
    for (const { line, what } of findings(readFileSync(join(root, file), 'utf8'))) {
      bad += 1;
      const fix = what.includes('tanh') ? 'portableTanh' : 'portablePow';
      console.error(
        `${file}:${line}: ${what} rounds differently in Node 20 and in Chromium; use ${fix} from @odekit/core (or mark the line "portable-math: allow" where the bits do not matter)`,
      );
    }
  }
  if (bad > 0) {
    console.error(`lint-portable-math: ${bad} finding(s) in ${files.length} files`);
    process.exit(1);
  }
  console.log(`lint-portable-math: ${files.length} files clean`);
}

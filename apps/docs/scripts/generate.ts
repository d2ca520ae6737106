// Runs before `vitepress build` / `vitepress dev`: regenerates what the pages include, from code.
//
// 1. The story (examples/story*.ts) runs; the console output of each step goes to
//    generated/story/<step>.txt (the tutorial page includes it under the step's code) and the
//    numbers of each figure are rendered to generated/story/<figure>.svg with vega-lite.
// 2. typedoc writes the API reference (api/) of every published package, failing on any
//    validation warning (typedoc.json: treatValidationWarningsAsErrors).
//
// 3. The demo's web page (apps/demo) is built into public/demo/, served as /demo/.
//
// They run at once (separate processes). Flags: --no-api, --no-story, --no-demo.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPackages } from './api-packages.js';
import { renderFigure } from './figures.js';

const root = new URL('..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const flags = new Set(process.argv.slice(2));

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${out}${err}`)),
    );
  });
}

async function story(file: string, outDir: string): Promise<number> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const stdout = await run(bin('tsx'), ['--conditions=@odekit/source', file], { ODEKIT_STORY_OUT: outDir });
  let lines: string[] = [];
  let steps = 0;
  for (const line of stdout.split('\n')) {
    const m = /^@@step (\S+)$/.exec(line);
    if (m) {
      writeFileSync(join(outDir, `${m[1]}.txt`), `${lines.join('\n')}\n`);
      lines = [];
      steps++;
    } else lines.push(line);
  }
  for (const f of readdirSync(outDir).filter((f) => f.endsWith('.json'))) {
    const name = f.replace(/\.json$/, '');
    const svg = await renderFigure(name, JSON.parse(readFileSync(join(outDir, f), 'utf8')));
    writeFileSync(join(outDir, `${name}.svg`), svg);
  }
  return steps;
}

const start = performance.now();
const jobs: Promise<string>[] = [];
if (!flags.has('--no-api'))
  jobs.push(
    (async () => {
      rmSync(join(root, 'api'), { recursive: true, force: true });
      // one entry point per published package (typedoc.json holds the rest of the options)
      const entries = apiPackages().flatMap((name) => ['--entryPoints', `../../packages/${name}/src/index.ts`]);
      await run(bin('typedoc'), ['--options', 'typedoc.json', ...entries]);
      return `api: ${readdirSync(join(root, 'api', '@odekit')).length} packages`;
    })(),
  );
if (!flags.has('--no-story'))
  for (const [file, dir] of [
    ['examples/story.ts', 'generated/story'],
    ['examples/story-general.ts', 'generated/story-general'],
  ] as const) {
    if (!existsSync(join(root, file))) continue;
    jobs.push(story(file, join(root, dir)).then((n) => `${file}: ${n} steps`));
  }
// the demo's web page (apps/demo), built into public/demo/ so the site links to it
const demo = join(root, '..', 'demo');
if (!flags.has('--no-demo') && existsSync(join(demo, 'index.html')))
  jobs.push(
    run(join(demo, 'node_modules', '.bin', 'vite'), [
      'build',
      '--config',
      join(demo, 'vite.config.ts'),
      '--outDir',
      join(root, 'public', 'demo'),
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ]).then(() => 'demo page: public/demo/'),
  );
const results = await Promise.allSettled(jobs);
for (const r of results) console.log(r.status === 'fulfilled' ? r.value : String(r.reason));
console.log(`generate: ${((performance.now() - start) / 1000).toFixed(1)} s`);
if (results.some((r) => r.status === 'rejected')) process.exit(1);

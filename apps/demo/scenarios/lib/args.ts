// Flags of the generator scripts: `--noise 0.01 --seed 3 --out DIR` (defaults: the committed data).
import { pathToFileURL } from 'node:url';

/** `--name value` of the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** The folder to write to: `--out DIR`, or the script's own folder. */
export function outDir(scriptUrl: string): URL {
  const i = process.argv.indexOf('--out');
  const dir = i >= 0 ? process.argv[i + 1] : undefined;
  return dir === undefined ? new URL('./', scriptUrl) : pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`);
}

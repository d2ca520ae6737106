import { readFile, rename, writeFile } from 'node:fs/promises';
import type { CheckpointStore } from './checkpoint.js';
import type { ProgressInfo, ProgressReporter } from './progress.js';

/**
 * A checkpoint store in a file (Node only). Saves are atomic (a temporary file renamed over the
 * old one), so an interrupted save never corrupts the last checkpoint; `load` returns
 * `undefined` when the file does not exist yet.
 *
 * @example
 * ```ts
 * import { fileCheckpointStore } from '@odekit/train/node';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const store = fileCheckpointStore(`${mkdtempSync(`${tmpdir()}/odekit-`)}/run.ckpt.json`);
 * if ((await store.load()) !== undefined) throw new Error('should be empty');
 * await store.save('{"x":1}');
 * if ((await store.load()) !== '{"x":1}') throw new Error('bad');
 * ```
 */
export function fileCheckpointStore(file: string): CheckpointStore {
  if (typeof file !== 'string' || file === '') throw new Error("fileCheckpointStore: 'file' must be a non-empty path.");
  return {
    async save(text: string) {
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, file);
    },
    async load() {
      try {
        return await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
  };
}

/** A writable stream as much as the progress bar needs. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const fmt = (v: number) =>
  Number.isFinite(v) ? (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3)) : String(v);

/**
 * A progress bar for a Node terminal: one line redrawn in place (at most 10 times a second) on
 * a TTY, with the stage, the step, the loss and the speed; on a pipe or file, plain lines
 * (about `lines` of them per run, default 10). Pass it as `fit({ progress: terminalProgress() })`.
 *
 * @example
 * ```ts
 * import { terminalProgress } from '@odekit/train/node';
 * let text = '';
 * const bar = terminalProgress({ stream: { write: (s: string) => { text += s; }, isTTY: false } });
 * bar.start({ total: 10, stages: ['all'] });
 * for (let i = 1; i <= 10; i++) bar.update({ step: i, total: 10, stage: 0, stageName: 'all', loss: 1 / i, elapsedMs: i });
 * bar.stop({ stopReason: 'completed', message: 'done' });
 * if (!text.includes('10/10') || !text.includes('done')) throw new Error(text);
 * ```
 */
export function terminalProgress(
  options: { stream?: ProgressStream; width?: number; lines?: number } = {},
): ProgressReporter {
  const { stream = process.stderr, width = 24, lines = 10 } = options;
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastLine = -1;
  let current: ProgressInfo | undefined;
  const line = (p: ProgressInfo) => {
    const frac = p.total > 0 ? p.step / p.total : 1;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const rate = p.elapsedMs > 0 ? (1000 * p.step) / p.elapsedMs : 0;
    return `${bar} ${(100 * frac).toFixed(0).padStart(3)}% ${p.step}/${p.total} ${p.stageName} loss ${fmt(p.loss)} ${rate.toFixed(1)} it/s`;
  };
  return {
    start() {
      lastDraw = 0;
      lastLine = -1;
    },
    update(p) {
      current = p;
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && p.step < p.total) return;
        lastDraw = now;
        stream.write(`\r${line(p)}\x1b[K`);
      } else {
        const bucket = Math.floor((p.step * lines) / Math.max(p.total, 1));
        if (bucket !== lastLine) {
          lastLine = bucket;
          stream.write(`${line(p)}\n`);
        }
      }
    },
    stop({ message }) {
      if (tty && current !== undefined) stream.write(`\r${line(current)}\x1b[K\n`);
      stream.write(`${message}\n`);
    },
  };
}

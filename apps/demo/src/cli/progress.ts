import type { PipelineEvent, StageName } from '../pipeline/types.js';

/** Writes progress: a bar per stage on a terminal, plain lines when piped, or JSON lines. */
export function progressPrinter(
  mode: 'tty' | 'plain' | 'json',
  write: (s: string) => void,
): (e: PipelineEvent) => void {
  let current: StageName | undefined;
  let lastPlain = 0;
  let lastDraw = 0;
  const bar = (fraction: number, width = 24) => {
    const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
  };
  return (e) => {
    if (mode === 'json') {
      if (e.type === 'predictions') return; // bulky: the report holds them
      write(`${JSON.stringify(e)}\n`);
      return;
    }
    switch (e.type) {
      case 'stage-start':
        current = e.stage;
        lastPlain = 0;
        write(`${mode === 'tty' ? '\n' : ''}▶ ${e.stage}: ${e.detail}\n`);
        break;
      case 'step': {
        const t = performance.now();
        if (mode === 'tty') {
          if (t - lastDraw < 100 && e.fraction < 1) return;
          lastDraw = t;
          write(
            `\r  ${bar(e.fraction)} ${(e.fraction * 100).toFixed(0).padStart(3)} %  loss ${e.loss.toExponential(3)}  ${e.phase.padEnd(28).slice(0, 28)}`,
          );
        } else if (t - lastPlain > 2000) {
          lastPlain = t;
          write(`  ${e.stage} ${(e.fraction * 100).toFixed(0)} %: loss ${e.loss.toExponential(3)} (${e.phase})\n`);
        }
        break;
      }
      case 'pareto': {
        if (mode === 'tty') {
          const t = performance.now();
          if (t - lastDraw < 200 && e.fraction < 1) return;
          lastDraw = t;
          const best = e.front[e.front.length - 1];
          write(
            `\r  ${bar(e.fraction)} ${(e.fraction * 100).toFixed(0).padStart(3)} %  ${e.network}: ${e.front.length} on the front, best ${best?.expression.slice(0, 30) ?? ''}`.padEnd(
              100,
            ),
          );
        }
        break;
      }
      case 'stage-end':
        if (mode === 'tty') write('\n');
        write(
          `  ✓ ${e.stage} in ${e.seconds.toFixed(1)} s${e.loss === null ? '' : `, loss ${e.loss.toExponential(3)}`} (${e.stopReason})${e.message ? `: ${e.message}` : ''}\n`,
        );
        current = undefined;
        break;
      case 'log':
        write(`${mode === 'tty' && current ? '\n' : ''}  ${e.level === 'warn' ? 'warning: ' : ''}${e.message}\n`);
        break;
      case 'predictions':
        break;
    }
  };
}

/** What a search's `timeoutSeconds` counts: wall-clock seconds, or CPU seconds of the process per search thread. */
export type SearchClock = 'wall' | 'cpu';

interface CpuUsage {
  user: number;
  system: number;
}

/** `process.cpuUsage` where the platform has it (Node), else undefined (browsers). */
function cpuUsageFn(): ((prev?: CpuUsage) => CpuUsage) | undefined {
  const p = (globalThis as { process?: { cpuUsage?: (prev?: CpuUsage) => CpuUsage } }).process;
  return typeof p?.cpuUsage === 'function' ? p.cpuUsage.bind(p) : undefined;
}

/**
 * A stopwatch started now, reading seconds: of the wall clock (`'wall'`), or of the process's CPU
 * time (user + system, all threads) divided by `threads` (`'cpu'`), so a budget buys the same work
 * however loaded the machine is (on an idle machine with a core per thread the two agree).
 *
 * @throws Error when `kind` is not 'wall' or 'cpu', or 'cpu' where `process.cpuUsage` is missing.
 * @example
 * ```ts
 * import { startClock } from '@odekit/symbolic';
 * const elapsed = startClock('cpu', 1);
 * let s = 0;
 * for (let i = 0; i < 1e6; i++) s += Math.sqrt(i);
 * if (!(elapsed() >= 0) || !(s > 0)) throw new Error('bad clock');
 * ```
 */
export function startClock(kind: SearchClock, threads = 1): () => number {
  if (kind === 'wall') {
    const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
    const t0 = now();
    return () => (now() - t0) / 1000;
  }
  if (kind !== 'cpu') throw new Error(`symbolicRegression: 'clock' must be 'wall' or 'cpu', got ${String(kind)}.`);
  const usage = cpuUsageFn();
  if (usage === undefined) {
    throw new Error("symbolicRegression: clock 'cpu' needs process.cpuUsage (Node); use clock 'wall' here.");
  }
  const c0 = usage();
  return () => {
    const u = usage(c0);
    return (u.user + u.system) / 1e6 / Math.max(1, threads);
  };
}

import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Rng } from '@odekit/core';
import { budgetProgress, stallMonitorOf } from './early-stop.js';
import { HallOfFame, scoreFront } from './hall-of-fame.js';
import { RestartTracker } from './island-restart.js';
import { type IslandReport, type IslandStep, thawTree, type WireMember } from './island-worker.js';
import type { ExprNode } from './node.js';
import { polishFinal, polishFront } from './polish.js';
import { startClock } from './search-clock.js';
import type { HallOfFameEntry, SymbolicRegressionOptions } from './search-options.js';
import { setupSearch } from './search-setup.js';
import {
  atNoiseFloor,
  earlyStopReached,
  finishOf,
  residualNoiseOf,
  type SymbolicRegressionResult,
  searchResult,
  symbolicRegression as serialSearch,
} from './symbolic-regression.js';

/** Options of the Node `symbolicRegression`: the browser one's plus `workers`. */
export interface NodeSymbolicRegressionOptions extends SymbolicRegressionOptions {
  /**
   * Worker threads to run the islands in: a count, or `'auto'` (one per available core, at most one
   * per population). Left out (the default): the serial search of `@odekit/symbolic`, on this thread.
   */
  readonly workers?: number | 'auto';
}

/** Resolves `workers` to a thread count (at most one per population), or throws naming the option. */
export function resolveWorkers(workers: number | 'auto', populations: number): number {
  if (workers === 'auto') {
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
    return Math.max(1, Math.min(populations, cores));
  }
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) {
    throw new Error(
      `symbolicRegression: 'workers' must be an integer from 1 to 1024 or 'auto', got ${String(workers)}; leave it out for a serial search.`,
    );
  }
  return Math.min(workers, populations);
}

/** The worker script: built JS next to this module, or a tsx bootstrap when running from source. */
function workerEntry(): { url: URL; execArgv: string[] | undefined } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { url: new URL('./search-worker-source.mjs', here), execArgv: ['--conditions=@odekit/source'] };
  }
  return { url: new URL('./search-worker.js', here), execArgv: undefined };
}

/** Sends `msg` to `w` and resolves with its next report; rejects if the worker fails or exits. */
function request(w: Worker, msg: unknown): Promise<IslandReport> {
  return new Promise((resolve, reject) => {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (r: IslandReport) => {
      done();
      resolve(r);
    };
    const onError = (e: Error) => {
      done();
      reject(new Error(`symbolicRegression: a search worker failed: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`symbolicRegression: a search worker exited early (code ${code}).`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(msg);
  });
}

const now = (): number => performance.now();

/**
 * PySR-style symbolic regression (see `symbolicRegression` of `@odekit/symbolic`) with the islands
 * optionally run in Node worker threads. With `workers` set, each thread evolves a share of the
 * populations one iteration at a time; at each iteration boundary the main thread gathers every
 * island's best members and the hall of fame and sends them back as the next iteration's migrants.
 * `onProgress`, `earlyStop`, `timeoutSeconds`, `maxEvals` (split evenly between the threads) and
 * `signal` work as in the serial search; the threads are terminated before the promise settles.
 *
 * Differences: PySR (SymbolicRegression.jl) runs islands in Julia threads or processes and migrates
 * asynchronously; here migrants are exchanged synchronously at iteration boundaries (from the
 * previous boundary's populations), so a run is deterministic for a seed and a worker count when
 * not stopped by time, but differs from the serial run of the same seed. Adaptive-parsimony
 * statistics are kept per thread. Worth it when an iteration costs far more than copying the
 * populations (about 1 ms): the default 380 cycles per iteration qualify.
 *
 * @throws Error for the serial search's bad options, or when `workers` is not a positive integer or
 *   `'auto'`; the promise rejects if a worker thread fails.
 * @example
 * ```ts
 * // a drop-in for the browser-safe symbolicRegression (aliased here only to sit beside it)
 * import { symbolicRegression as searchInThreads } from '@odekit/symbolic/node';
 * const x = Float64Array.from({ length: 40 }, (_, i) => -2 + i / 10);
 * const result = await searchInThreads({
 *   X: { x }, y: x.map((v) => v * v + 1), seed: 0, binaryOperators: ['+', '*'],
 *   maxSize: 9, populations: 4, iterations: 20, earlyStop: 1e-12, workers: 2,
 * });
 * const y = result.best.expr.evaluate({ x: [3] })[0] ?? 0;
 * if (Math.abs(y - 10) > 1e-6 || result.iterations < 1) throw new Error(result.best.expr.toString());
 * ```
 */
export async function symbolicRegression(options: NodeSymbolicRegressionOptions): Promise<SymbolicRegressionResult> {
  const { workers, onProgress, signal, earlyStop, ...rest } = options;
  if (workers === undefined) return serialSearch(options);
  const start = now();
  // validates every option here, before any thread starts
  const setup = setupSearch(rest, () => false);
  const count = resolveWorkers(workers, setup.populations);
  const { populations, iterations, maxSize, topn, lossFloor, timeoutSeconds, maxEvals } = setup;
  const clock = options.clock ?? 'wall';
  const elapsed = startClock(clock, count);
  const stopFlag = new SharedArrayBuffer(4);
  const flag = new Int32Array(stopFlag);
  const stop = () => Atomics.store(flag, 0, 1);
  signal?.addEventListener('abort', stop);
  // CPU budget: the workers cannot read it (a worker's process.cpuUsage is the whole process's), the
  // main thread, idle while they run, checks it and raises the stop flag
  const cpuTimer =
    clock === 'cpu' && Number.isFinite(timeoutSeconds)
      ? setInterval(() => {
          if (elapsed() >= timeoutSeconds) stop();
        }, 20)
      : undefined;
  const monitor = stallMonitorOf(earlyStop, maxSize, setup.objective.full.n, lossFloor);
  const residual = monitor !== undefined && setup.noiseVariance === undefined ? residualNoiseOf(setup) : undefined;
  const owned = Array.from({ length: count }, (_, w) =>
    Array.from({ length: populations }, (_, p) => p).filter((p) => p % count === w),
  );
  const { url, execArgv } = workerEntry();
  const threads = owned.map(() => new Worker(url, execArgv ? { execArgv } : {}));
  const hof = new HallOfFame(maxSize);
  const polished = new WeakSet<ExprNode>();
  const islands: WireMember[][] = Array.from({ length: populations }, () => []);
  // worker evaluations at the last boundary, plus the main thread's (hall-of-fame refits)
  let workerEvaluations = 0;
  const evaluationsNow = () => workerEvaluations + setup.objective.evaluations;
  // whether each island put a new holder into the hall of fame at the last boundary (restarts)
  const contributed = new Array<boolean>(populations).fill(false);
  const absorb = (reports: readonly IslandReport[]): boolean => {
    workerEvaluations = 0;
    let finished = true;
    reports.forEach((r, w) => {
      workerEvaluations += r.evaluations;
      finished &&= r.finished;
      r.islands.forEach((members, k) => {
        const p = owned[w]?.[k] as number;
        const thawed = members.map((m) => ({ ...m, tree: thawTree(m.tree) }));
        islands[p] = thawed;
        contributed[p] = false;
        for (const m of thawed) {
          if (m.fullLoss !== undefined && hof.update({ tree: m.tree, loss: m.fullLoss, complexity: m.complexity }))
            contributed[p] = true;
        }
      });
    });
    return finished;
  };
  const restarts =
    setup.restartStagnant !== undefined ? new RestartTracker(populations, setup.restartStagnant) : undefined;
  const progressNow = (iteration: number): number =>
    budgetProgress(elapsed(), timeoutSeconds, evaluationsNow(), maxEvals, iteration, iterations);
  const front = (): HallOfFameEntry[] => scoreFront(hof.front(lossFloor), lossFloor);
  let stopReason: SymbolicRegressionResult['stopReason'] = 'iterations';
  let done = 0;
  let islandRestarts = 0;
  try {
    const deadline = clock === 'cpu' ? 8.64e15 : Date.now() + Math.min(timeoutSeconds * 1000, 8.64e15);
    absorb(
      await Promise.all(
        threads.map((t, w) =>
          request(t, {
            type: 'init',
            options: rest,
            islands: owned[w],
            deadline,
            maxEvals: maxEvals / count,
            stopFlag,
          }),
        ),
      ),
    );
    for (let iter = 0; iter < iterations; iter++) {
      const restart =
        restarts === undefined ? [] : islands.map((_, p) => p).filter((p) => restarts.due(p, progressNow(iter), iter));
      islandRestarts += restart.length;
      const step: IslandStep = {
        type: 'step',
        iteration: iter,
        migrants: islands.flatMap((pop) => [...pop].sort((a, b) => a.cost - b.cost).slice(0, topn)),
        hofMigrants: hof.front(lossFloor).map((c) => ({ ...c, cost: 0 })),
        holderLosses: Array.from({ length: maxSize + 1 }, (_, c) => hof.at(c)?.loss ?? Number.POSITIVE_INFINITY),
        restart,
      };
      const finished = absorb(await Promise.all(threads.map((t) => request(t, step))));
      if (!finished) {
        if (signal?.aborted) stopReason = 'aborted';
        else if (elapsed() >= timeoutSeconds) stopReason = 'timeout';
        else stopReason = 'maxEvals';
        break;
      }
      done = iter + 1;
      if (restarts !== undefined) {
        const progress = progressNow(done);
        contributed.forEach((c, p) => {
          restarts.record(p, c, progress);
        });
      }
      polishFront(hof, setup.context, lossFloor, polished, setup.rngs[0] as Rng);
      onProgress?.({
        iteration: done,
        iterations,
        evaluations: evaluationsNow(),
        elapsedSeconds: (now() - start) / 1000,
        hallOfFame: front(),
      });
      if (earlyStopReached(hof, earlyStop)) {
        stopReason = 'earlyStop';
        break;
      }
      if (monitor !== undefined) {
        const progress = progressNow(done);
        monitor.observe(hof.front(lossFloor), progress);
        if (monitor.shouldStop(progress, () => atNoiseFloor(hof, setup, residual))) {
          stopReason = 'earlyStop';
          break;
        }
      }
    }
  } finally {
    if (cpuTimer !== undefined) clearInterval(cpuTimer);
    stop();
    signal?.removeEventListener('abort', stop);
    await Promise.all(threads.map((t) => t.terminate()));
  }
  if (!signal?.aborted) {
    polishFront(hof, setup.context, lossFloor, polished, setup.rngs[0] as Rng);
    polishFinal(hof, setup.context, lossFloor, setup.rngs[0] as Rng);
  }
  return searchResult(
    hof,
    lossFloor,
    {
      evaluations: evaluationsNow(),
      iterations: done,
      elapsedSeconds: (now() - start) / 1000,
      stopReason,
      islandRestarts,
    },
    signal?.aborted ? { noiseVariance: setup.noiseVariance } : finishOf(setup),
  );
}

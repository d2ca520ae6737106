import type { BrowserContext, Page } from 'playwright-core';

/** One main-thread task of the page's renderer, from a Chrome trace. */
export interface MainThreadTask {
  /** Start, in ms of the trace clock. */
  readonly start: number;
  /** Wall-clock duration (ms): what the Long Tasks API reports; inflated when the machine is busy. */
  readonly wallMs: number;
  /**
   * CPU time the main thread spent in the task (ms, the trace's thread clock): the page's own cost,
   * which other processes on the machine do not inflate.
   */
  readonly threadMs: number;
  /** Its biggest parts (over 3 ms wall): script calls with function and file, parsing, style, layout, paint, GC. */
  readonly parts: readonly string[];
}

/** What {@link traceMainThread} recorded. */
export interface MainThreadTrace {
  /** Main-thread tasks over 50 ms wall or 10 ms thread time. */
  readonly tasks: readonly MainThreadTask[];
  /** `performance.mark` times by name (ms of the trace clock, the last of each name). */
  readonly marks: Readonly<Record<string, number>>;
}

type TraceEvent = {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  cat?: string;
  args?: { name?: string; data?: { functionName?: string; url?: string; lineNumber?: number } };
};

/**
 * Runs `action` with Chrome's tracing on (CDP `Tracing`, the DevTools timeline categories) and
 * returns the page's main-thread tasks and user-timing marks.
 */
export async function traceMainThread(
  context: BrowserContext,
  page: Page,
  action: () => Promise<void>,
): Promise<MainThreadTrace> {
  const cdp = await context.newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => void events.push(...(e.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((ok) => cdp.once('Tracing.tracingComplete', () => ok()));
  await cdp.send('Tracing.start', {
    categories: 'toplevel,devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing',
    transferMode: 'ReportEvents',
  });
  try {
    await action();
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
  }
  // the renderer's main thread that ran the page's scripts
  const mains = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const main = mains.find((m) => events.some((x) => x.pid === m.pid && x.tid === m.tid && x.name === 'FunctionCall'));
  if (main === undefined) throw new Error('traceMainThread: no renderer main thread with script calls in the trace');
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && (e.dur ?? 0) > 0);
  const tasks = onMain
    .filter((e) => e.name === 'RunTask' && ((e.dur ?? 0) > 50_000 || (e.tdur ?? 0) > 10_000))
    .sort((a, b) => a.ts - b.ts)
    .map((t) => {
      const end = t.ts + (t.dur ?? 0);
      const parts = onMain
        .filter((e) => e !== t && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= end && (e.dur ?? 0) > 3000)
        .slice(0, 12)
        .map((e) => {
          const d = e.args?.data;
          const where =
            d?.functionName || d?.url
              ? ` ${d?.functionName ?? ''}@${(d?.url ?? '').split('/').pop()}:${d?.lineNumber ?? ''}`
              : '';
          return `${e.name}${where} ${((e.dur ?? 0) / 1000).toFixed(0)} ms`;
        });
      return { start: t.ts / 1000, wallMs: (t.dur ?? 0) / 1000, threadMs: (t.tdur ?? t.dur ?? 0) / 1000, parts };
    });
  const marks: Record<string, number> = {};
  for (const e of events)
    if (e.cat?.includes('blink.user_timing') && e.name.startsWith('odekit:')) marks[e.name] = e.ts / 1000;
  return { tasks, marks };
}

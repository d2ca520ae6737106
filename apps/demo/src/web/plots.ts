import { changeset, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Live plots: a vega-lite spec compiled once to a vega `View` whose named datasets are replaced
 * through changesets (no re-parse per update), re-rendered at most every `minIntervalMs`.
 */
export class LivePlot {
  private readonly view: View;
  private pending = new Map<string, { replace: boolean; rows: object[] }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastRun = 0;
  private running: Promise<unknown> = Promise.resolve();
  /** Renders done and the longest one, in ms of main-thread time (for the page's diagnostics). */
  readonly stats = { renders: 0, longestMs: 0 };

  /**
   * @param container Element the plot is drawn into.
   * @param spec A vega-lite spec whose data are named datasets (`data: { name: 'loss' }`).
   * @param minIntervalMs Least time between two renders (default 250: at most 4 per second).
   */
  constructor(
    container: HTMLElement,
    spec: TopLevelSpec,
    private readonly minIntervalMs = 250,
  ) {
    this.view = new View(parse(compile(spec).spec), { renderer: 'canvas', container, hover: true });
    this.running = this.view.runAsync();
  }

  /** Replaces the rows of dataset `name`; drawn at the next allowed render. */
  set(name: string, rows: readonly object[]): void {
    this.pending.set(name, { replace: true, rows: rows.slice() });
    this.schedule();
  }

  /** Adds rows to dataset `name` (cheaper than {@link LivePlot.set} for a growing series). */
  append(name: string, rows: readonly object[]): void {
    const queued = this.pending.get(name);
    if (queued) queued.rows.push(...rows);
    else this.pending.set(name, { replace: false, rows: rows.slice() });
    this.schedule();
  }

  /** Draws pending data now (e.g. when a run ends), ignoring the rate limit. */
  async flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.render();
  }

  /** The rows dataset `name` currently holds (what is drawn). */
  rows(name: string): object[] {
    return this.view.data(name) as object[];
  }

  /** Calls `handler` with the datum under a click (or Enter on the canvas), if any. */
  onClick(handler: (datum: Record<string, unknown>) => void): void {
    this.view.addEventListener('click', (_event, item) => {
      const datum = (item as { datum?: Record<string, unknown> } | null | undefined)?.datum;
      if (datum) handler(datum);
    });
  }

  /** Stops rendering and frees the view's listeners. */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.view.finalize();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastRun + this.minIntervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.render();
    }, wait);
  }

  private async render(): Promise<void> {
    await this.running;
    if (this.pending.size === 0) return;
    const updates = this.pending;
    this.pending = new Map();
    for (const [name, { replace, rows }] of updates) {
      const change = replace ? changeset().remove(() => true) : changeset();
      this.view.change(name, change.insert(rows.map((r) => ({ ...r }))));
    }
    const start = performance.now();
    this.lastRun = start;
    this.running = this.view.runAsync();
    await this.running;
    this.stats.renders++;
    this.stats.longestMs = Math.max(this.stats.longestMs, performance.now() - start);
  }
}

/**
 * Keeps a growing series drawable: every `stride`-th point is shown, and the stride doubles
 * whenever more than `max` points would be shown (so a long run redraws in full only
 * log2(n / max) times; otherwise new points are appended).
 */
export class Decimator<T> {
  private all: T[] = [];
  private stride = 1;
  private shown = 0;

  constructor(private readonly max: number) {}

  /** Every point pushed so far. */
  get points(): readonly T[] {
    return this.all;
  }

  /**
   * Adds points; returns what the plot must do: `append` these rows, or `replace` everything
   * with these rows.
   */
  push(points: readonly T[]): { mode: 'append' | 'replace'; rows: T[] } {
    const rows: T[] = [];
    for (const p of points) {
      if (this.all.length % this.stride === 0) rows.push(p);
      this.all.push(p);
    }
    this.shown += rows.length;
    if (this.shown <= this.max) return { mode: 'append', rows };
    while (Math.ceil(this.all.length / this.stride) > this.max) this.stride *= 2;
    const all = this.all.filter((_, i) => i % this.stride === 0);
    this.shown = all.length;
    return { mode: 'replace', rows: all };
  }

  clear(): void {
    this.all = [];
    this.stride = 1;
    this.shown = 0;
  }
}

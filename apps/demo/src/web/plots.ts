import type { Remote } from 'comlink';
import type { TopLevelSpec } from 'vega-lite';
import type { PlotChange, PlotImage, PlotWorkerApi } from './plot-worker-api.js';

/**
 * A live plot: a vega-lite spec drawn by the plot worker (vega views updated through
 * changesets, no re-parse per update, drawn to a bitmap there); the page only puts the returned
 * bitmap on its canvas, at most once per `minIntervalMs`, with one update in flight at a time. So
 * the main thread does no plotting work (no SVG to parse, style or lay out) while the pipeline
 * trains.
 */
export class LivePlot {
  private pending = new Map<string, { replace: boolean; rows: object[] }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastRun = 0;
  private running: Promise<void>;
  private width: number;
  private sentWidth: number;
  /** Updates drawn and the longest main-thread time one took (ms): the bitmap swap only. */
  readonly stats = { renders: 0, longestMs: 0 };
  private readonly canvas: HTMLCanvasElement;

  /**
   * @param container Element the plot is drawn into (its width is the plot's).
   * @param spec A vega-lite spec whose data are named datasets (`data: { name: 'loss' }`).
   * @param minIntervalMs Least time between two renders (default 250: at most 4 per second).
   */
  constructor(
    private readonly container: HTMLElement,
    spec: TopLevelSpec,
    private readonly plots: Remote<PlotWorkerApi>,
    private readonly id: string,
    private readonly minIntervalMs = 250,
  ) {
    this.width = this.sentWidth = this.innerWidth();
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('aria-hidden', 'true'); // the container is the image, with its label
    container.replaceChildren(this.canvas);
    this.running = plots.create(id, spec, this.width, devicePixelRatio || 1).then((image) => this.draw(image));
    new ResizeObserver(() => {
      const w = this.innerWidth();
      if (Math.abs(w - this.width) < 8) return;
      this.width = w;
      this.schedule();
    }).observe(container);
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

  private innerWidth(): number {
    // the specs autosize to fit this width, axes and legends included
    return Math.max(240, Math.round(this.container.clientWidth));
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
    if (this.pending.size === 0 && this.width === this.sentWidth) return;
    const changes: PlotChange[] = [...this.pending].map(([name, c]) => ({ name, ...c }));
    this.pending = new Map();
    this.lastRun = performance.now();
    const width = this.width !== this.sentWidth ? this.width : undefined;
    this.sentWidth = this.width;
    this.running = this.plots.update(this.id, changes, width).then((image) => this.draw(image));
    await this.running;
  }

  private draw({ bitmap, width, height, marks }: PlotImage): void {
    const start = performance.now();
    const c = this.canvas;
    if (c.width !== bitmap.width || c.height !== bitmap.height) {
      c.width = bitmap.width;
      c.height = bitmap.height;
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const context = c.getContext('bitmaprenderer');
    if (context === null) throw new Error('plot: no bitmaprenderer canvas context in this browser');
    context.transferFromImageBitmap(bitmap);
    c.dataset.marks = Object.entries(marks)
      .map(([k, n]) => `${k}:${n}`)
      .join(' ');
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

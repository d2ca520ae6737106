import { changeset, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Live plots: a vega-lite spec compiled once to a vega `View` whose named datasets are replaced
 * through changesets (no re-parse per update), re-rendered at most every `minIntervalMs`.
 */
export class LivePlot {
  private readonly view: View;
  private pending = new Map<string, readonly object[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastRun = 0;
  private running: Promise<unknown> = Promise.resolve();

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
    this.pending.set(name, rows);
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
    for (const [name, rows] of updates) {
      this.view.change(
        name,
        changeset()
          .remove(() => true)
          .insert(rows.map((r) => ({ ...r }))),
      );
    }
    this.lastRun = performance.now();
    this.running = this.view.resize().runAsync();
    await this.running;
  }
}

/** Keeps at most `max` points of a long series, evenly spaced, always with the last one. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const stride = points.length / max;
  const out: T[] = [];
  for (let k = 0; k < max - 1; k++) out.push(points[Math.floor(k * stride)] as T);
  out.push(points[points.length - 1] as T);
  return out;
}

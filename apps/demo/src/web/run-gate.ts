import type { PipelineEvent } from '../pipeline/types.js';

/**
 * Run / Pause / Step / Stop for one pipeline run, as in TensorFlow Playground. The pipeline
 * awaits its `gate` option after every optimiser step (each Adam step and L-BFGS iteration, in
 * every stage), so {@link RunGate.pass} holds the run there while paused; Step lets exactly one
 * more iteration through; Stop aborts `signal` (the pipeline stops at its next iteration) and
 * releases a paused run.
 */
export class RunGate {
  private paused: boolean;
  private credits = 0;
  private wakers: (() => void)[] = [];
  private readonly controller = new AbortController();

  /** @param startPaused Hold the run at its first step (Step pressed on an idle page). */
  constructor(startPaused = false) {
    this.paused = startPaused;
  }

  /** Aborted by {@link RunGate.stop}; pass it to the pipeline. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isPaused(): boolean {
    return this.paused && !this.controller.signal.aborted;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.credits = 0;
    this.release();
  }

  /** While paused, lets one more step through; while running, pauses after the next step. */
  step(): void {
    if (this.paused) this.credits++;
    else this.paused = true;
    this.release();
  }

  stop(): void {
    this.controller.abort();
    this.release();
  }

  /**
   * Resolves when a step may proceed: at once while running, after Resume/Step/Stop while paused.
   * `onHold` runs once when the run starts waiting (e.g. to flush events to the page).
   */
  async pass(onHold?: () => void): Promise<void> {
    let held = false;
    while (this.paused && this.credits === 0 && !this.controller.signal.aborted) {
      if (!held) onHold?.();
      held = true;
      await new Promise<void>((resolve) => {
        this.wakers.push(resolve);
      });
    }
    if (this.paused && this.credits > 0) this.credits--;
  }

  private release(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

/**
 * Collects pipeline events and sends them in batches: at most one batch per `intervalMs`, at
 * once for stage changes and logs. Within a batch only the newest `predictions` event (per
 * stage) and the newest `pareto` event per network are kept: the page draws only those.
 */
export class EventBatcher {
  private buffer: PipelineEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (events: PipelineEvent[]) => void,
    private readonly intervalMs = 100,
  ) {}

  push(event: PipelineEvent): void {
    if (event.type === 'predictions') {
      this.buffer = this.buffer.filter((e) => e.type !== 'predictions');
    } else if (event.type === 'pareto') {
      this.buffer = this.buffer.filter((e) => !(e.type === 'pareto' && e.network === event.network));
    }
    this.buffer.push(event);
    if (event.type === 'stage-start' || event.type === 'stage-end' || event.type === 'log') this.flush();
    else if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.send(batch);
  }
}

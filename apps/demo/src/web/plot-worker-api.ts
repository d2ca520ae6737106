import type { TopLevelSpec } from 'vega-lite';

/** Rows for one named dataset of a plot: added, or replacing what it held. */
export interface PlotChange {
  readonly name: string;
  readonly replace: boolean;
  readonly rows: readonly object[];
}

/** The plot worker's API (comlink). */
export interface PlotWorkerApi {
  /** Compiles `spec` (vega-lite, named datasets) at `width` px; returns its SVG. */
  create(id: string, spec: TopLevelSpec, width: number): Promise<string>;
  /** Applies `changes` (and a new width) to plot `id`; returns its SVG. */
  update(id: string, changes: readonly PlotChange[], width?: number): Promise<string>;
}

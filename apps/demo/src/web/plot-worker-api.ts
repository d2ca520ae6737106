import type { TopLevelSpec } from 'vega-lite';

/** Rows for one named dataset of a plot: added, or replacing what it held. */
export interface PlotChange {
  readonly name: string;
  readonly replace: boolean;
  readonly rows: readonly object[];
}

/**
 * A plot drawn by the plot worker: a bitmap (transferred, not copied) of `width` × `height` CSS
 * pixels at the page's pixel ratio, and the scenegraph's item count per mark type (e.g.
 * `{ line: 4, symbol: 200 }`: what was drawn, for tests and the plot's description).
 */
export interface PlotImage {
  readonly bitmap: ImageBitmap;
  readonly width: number;
  readonly height: number;
  readonly marks: Readonly<Record<string, number>>;
}

/** The plot worker's API (comlink). */
export interface PlotWorkerApi {
  /** Compiles `spec` (vega-lite, named datasets) at `width` CSS px and `pixelRatio`; returns its image. */
  create(id: string, spec: TopLevelSpec, width: number, pixelRatio: number): Promise<PlotImage>;
  /** Applies `changes` (and a new width) to plot `id`; returns its image. */
  update(id: string, changes: readonly PlotChange[], width?: number): Promise<PlotImage>;
}

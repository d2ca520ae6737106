// A Web Worker that draws the page's live plots: vega views updated through changesets, each
// update drawn by vega's canvas renderer into an OffscreenCanvas (its external-context mode) and
// sent to the page as a transferred ImageBitmap. The page only puts the bitmap on a canvas: no
// SVG to parse, style and lay out on the main thread while the pipeline trains.
import { expose, transfer } from 'comlink';
import { changeset, parse, type Scene, type SceneItem, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { PlotChange, PlotImage, PlotWorkerApi } from './plot-worker-api.js';

/** The views this worker draws, with their pixel ratio, by plot id (the worker's only state). */
const views = new Map<string, { view: View; pixelRatio: number }>();

function viewOf(id: string): { view: View; pixelRatio: number } {
  const entry = views.get(id);
  if (entry === undefined) throw new Error(`plot worker: no plot '${id}'; create it first`);
  return entry;
}

/** Items per mark type in a scenegraph (groups descended into, not counted). */
function countMarks(scene: Scene | SceneItem, out: Record<string, number> = {}): Record<string, number> {
  const s = scene as { marktype?: string; items?: (Scene | SceneItem)[] };
  if (s.marktype !== undefined && s.marktype !== 'group')
    out[s.marktype] = (out[s.marktype] ?? 0) + (s.items?.length ?? 0);
  else for (const item of s.items ?? []) countMarks(item, out);
  return out;
}

/** Draws the view's current scene into a fresh OffscreenCanvas and returns it as a bitmap. */
async function draw(view: View, pixelRatio: number): Promise<PlotImage> {
  await view.runAsync();
  // the full size with axes and legends: vega's own render-size (view size + padding)
  const pad = view.padding() as { left: number; right: number; top: number; bottom: number };
  const inner = view as unknown as { _viewWidth: number; _viewHeight: number };
  const width = Math.max(1, Math.ceil(inner._viewWidth + pad.left + pad.right));
  const height = Math.max(1, Math.ceil(inner._viewHeight + pad.top + pad.bottom));
  const canvas = new OffscreenCanvas(Math.round(width * pixelRatio), Math.round(height * pixelRatio));
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('plot worker: OffscreenCanvas has no 2d context in this browser');
  await view.toCanvas(pixelRatio, { externalContext: context } as never);
  const bitmap = canvas.transferToImageBitmap();
  const marks = countMarks((view.scenegraph() as unknown as { root: Scene }).root);
  return transfer({ bitmap, width, height, marks }, [bitmap]);
}

const api: PlotWorkerApi = {
  async create(id, spec: TopLevelSpec, width, pixelRatio) {
    views.get(id)?.view.finalize();
    const view = new View(parse(compile({ ...spec, width } as TopLevelSpec).spec), { renderer: 'none' });
    views.set(id, { view, pixelRatio });
    return draw(view, pixelRatio);
  },

  async update(id, changes: readonly PlotChange[], width) {
    const { view, pixelRatio } = viewOf(id);
    for (const { name, replace, rows } of changes) {
      const change = replace ? changeset().remove(() => true) : changeset();
      view.change(name, change.insert(rows as object[]));
    }
    if (width !== undefined && width !== view.width()) view.width(width);
    return draw(view, pixelRatio);
  },
};

expose(api);

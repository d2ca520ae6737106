// A Web Worker that draws the page's live plots: vega views (renderer 'none') updated through
// changesets, each update answered with the view's SVG. The page only swaps the SVG in, so no
// plotting work runs on the main thread while the pipeline trains.
import { expose } from 'comlink';
import { changeset, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { PlotChange, PlotWorkerApi } from './plot-worker-api.js';

/** The views this worker draws, by plot id (the worker's only state). */
const views = new Map<string, View>();

function viewOf(id: string): View {
  const view = views.get(id);
  if (view === undefined) throw new Error(`plot worker: no plot '${id}'; create it first`);
  return view;
}

const api: PlotWorkerApi = {
  async create(id, spec: TopLevelSpec, width) {
    views.get(id)?.finalize();
    const view = new View(parse(compile({ ...spec, width } as TopLevelSpec).spec), { renderer: 'none' });
    views.set(id, view);
    await view.runAsync();
    return view.toSVG();
  },

  async update(id, changes: readonly PlotChange[], width) {
    const view = viewOf(id);
    for (const { name, replace, rows } of changes) {
      const change = replace ? changeset().remove(() => true) : changeset();
      view.change(name, change.insert(rows as object[]));
    }
    if (width !== undefined && width !== view.width()) view.width(width);
    await view.runAsync();
    return view.toSVG();
  },
};

expose(api);

// The story's figures: vega-lite specs filled with the numbers the story wrote, rendered to SVG
// in Node (vega's headless renderer; no canvas, no fonts fetched).
import * as vega from 'vega';
import * as vl from 'vega-lite';

type Series = { ts: number[]; data: number[][]; model?: number[][] };

const config: vl.Config = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  view: { stroke: 'transparent' },
  axis: { grid: true, gridOpacity: 0.4 },
  legend: { orient: 'top' },
};

/** Rows { t, value, species, kind } of data (points) and model (lines). */
function rows({ ts, data, model }: Series) {
  const out: { t: number; value: number; species: string; kind: string }[] = [];
  const names = ['rabbits r', 'cats c'];
  ts.forEach((t, i) => {
    names.forEach((species, j) => {
      out.push({ t, value: data[i]?.[j] as number, species, kind: 'data' });
      if (model) out.push({ t, value: model[i]?.[j] as number, species, kind: 'model' });
    });
  });
  return out;
}

function timeSeries(values: Series, title: string): vl.TopLevelSpec {
  const color = { field: 'species', type: 'nominal', title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 220,
    data: { values: rows(values) },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'data'" }],
        mark: { type: 'point', filled: true, size: 18, opacity: 0.7 },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color },
      },
      {
        transform: [{ filter: "datum.kind === 'model'" }],
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color },
      },
    ],
    config,
  };
}

const titles: Record<string, string> = {
  data: 'The data: rabbits and cats (points)',
  mechanistic: 'Mechanistic model after the fit (lines) against the data (points)',
  hybrid: 'Hybrid model after training (lines) against the data (points)',
  refit: 'Discovered equations after the refit (lines) against the data (points)',
};

function specOf(name: string, values: Record<string, unknown>): vl.TopLevelSpec {
  if (name === 'symbolic') {
    const v = values as { c: number[]; network: number[]; expression: number[] };
    const data = v.c.flatMap((c, i) => [
      { c, value: v.network[i], source: 'network NN(r, c)' },
      { c, value: v.expression[i], source: 'symbolic regression' },
    ]);
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'The trained network and the expression found for it, on the states of the trajectory',
      width: 560,
      height: 220,
      data: { values: data },
      mark: { type: 'point', filled: true, size: 22, opacity: 0.75 },
      encoding: {
        x: { field: 'c', type: 'quantitative', title: 'cats c' },
        y: { field: 'value', type: 'quantitative', title: 'NN(r, c)' },
        color: { field: 'source', type: 'nominal', title: null },
        shape: { field: 'source', type: 'nominal', title: null },
      },
      config,
    };
  }
  if (name === 'general') {
    const v = values as { trajectories: { id: string; times: number[]; w: number[]; data: number[] }[] };
    const rows = v.trajectories.flatMap((tr) =>
      tr.times.flatMap((t, i) => [
        { t, value: tr.w[i], trajectory: tr.id, kind: 'model' },
        ...(Number.isFinite(tr.data[i]) ? [{ t, value: tr.data[i], trajectory: tr.id, kind: 'data' }] : []),
      ]),
    );
    const color = { field: 'trajectory', type: 'nominal', title: 'latitude' } as const;
    const x = { field: 't', type: 'quantitative' } as const;
    const y = { field: 'value', type: 'quantitative', title: 'rabbit output w' } as const;
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'The general model (lines) against the observed rabbit output (points), cats hidden',
      width: 560,
      height: 220,
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'data'" }],
          mark: { type: 'point', filled: true, size: 22 },
          encoding: { x, y, color },
        },
        {
          transform: [{ filter: "datum.kind === 'model'" }],
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y, color },
        },
      ],
      config,
    };
  }
  if (Array.isArray(values.ts)) return timeSeries(values as unknown as Series, titles[name] ?? name);
  throw new Error(`figures: no figure is defined for '${name}' (add it to apps/docs/scripts/figures.ts).`);
}

/** Renders the figure `name` of the story with its numbers to an SVG string. */
export async function renderFigure(name: string, values: Record<string, unknown>): Promise<string> {
  const { spec } = vl.compile(specOf(name, values));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

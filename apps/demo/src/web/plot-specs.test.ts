// The page's live plots start empty and get their rows later (changesets in the plot worker).
// Their layout must follow: axis labels and titles that appear with the data have to fit inside
// the drawn area, as they do when the view is built with the data up front.
import { changeset, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { lossPlotSpec, paretoPlotSpec, trajectoryPlotSpec } from './plot-specs.js';

type Rows = Record<string, object[]>;
const inner = (v: View) => v as unknown as { _origin: [number, number]; _viewWidth: number };

async function origin(spec: TopLevelSpec, rows: Rows, emptyFirst: boolean): Promise<[number, number]> {
  const view = new View(parse(compile({ ...spec, width: 300 } as TopLevelSpec).spec), { renderer: 'none' });
  if (emptyFirst) await view.runAsync();
  for (const [name, r] of Object.entries(rows)) view.change(name, changeset().insert(r));
  await view.runAsync();
  const o = inner(view)._origin;
  view.finalize();
  return [o[0], o[1]];
}

const cases: [string, TopLevelSpec, Rows][] = [
  [
    'loss',
    lossPlotSpec(),
    { loss: Array.from({ length: 40 }, (_, i) => ({ step: i, loss: 10 ** (-i / 10), stage: 'hybrid', phase: 'a' })) },
  ],
  [
    'pareto',
    paretoPlotSpec(),
    {
      front: [1, 5, 11].map((complexity, i) => ({
        complexity,
        loss: [1.2e-4, 2.6e-8, 2.7e-10][i],
        expression: 'x',
        chosen: i === 1,
        network: 'NN',
      })),
    },
  ],
  [
    'trajectory',
    trajectoryPlotSpec(),
    {
      observed: Array.from({ length: 20 }, (_, i) => ({
        t: i,
        value: 1000 * Math.sin(i),
        channel: 'r',
        trajectory: 0,
      })),
      model: Array.from({ length: 20 }, (_, i) => ({ t: i, value: 1000 * Math.sin(i), channel: 'r', trajectory: 0 })),
    },
  ],
];

describe('page plot specs', () => {
  it.each(cases)(
    '%s: rows added after an empty first draw get the same room for axes as rows given up front',
    async (_, spec, rows) => {
      const later = await origin(spec, rows, true);
      const upFront = await origin(spec, rows, false);
      expect(later).toEqual(upFront);
      // the y axis's labels and title need room left of the plot
      expect(later[0]).toBeGreaterThan(30);
    },
  );
});

// The report's plots as vega-lite specs (data inlined), built from the report alone.
import type { TopLevelSpec } from 'vega-lite';
import type { Report, SeriesSet, StageName } from '../types.js';

/** A titled vega-lite spec for one figure of the report. */
export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

const STAGE_LABEL: Record<StageName, string> = {
  mechanistic: '1 mechanistic fit',
  hybrid: '2 hybrid (network)',
  symbolic: '3 symbolic',
  refit: '4 refit (final)',
  report: 'report',
};

type Row = { t: number; value: number; channel: string; trajectory: string; series: string };

function rows(sets: readonly SeriesSet[], series: string): Row[] {
  const out: Row[] = [];
  for (const s of sets) {
    for (const [channel, values] of Object.entries(s.values)) {
      values.forEach((value, i) => {
        if (Number.isFinite(value))
          out.push({ t: s.t[i] as number, value, channel, trajectory: `#${s.trajectory}`, series });
      });
    }
  }
  return out;
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white' } as const;

/**
 * Each channel's data range widened by its width on both sides: a stage's line beyond it is cut
 * there, so an early fit that runs off (a mechanistic fit without the missing term, growing to
 * thousands) does not squash the data and the final fit into a flat line at the panel's foot.
 */
export function plotWindows(
  data: readonly { readonly channel: string; readonly value: number }[],
): Map<string, readonly [number, number]> {
  const range = new Map<string, [number, number]>();
  for (const r of data) {
    const w = range.get(r.channel) ?? [r.value, r.value];
    range.set(r.channel, [Math.min(w[0], r.value), Math.max(w[1], r.value)]);
  }
  const out = new Map<string, readonly [number, number]>();
  for (const [ch, [lo, hi]] of range) {
    const width = hi - lo > 0 ? hi - lo : Math.abs(hi) || 1;
    out.set(ch, [lo - width, hi + width]);
  }
  return out;
}

/** The rows of model lines inside their channel's {@link plotWindows} window, and whether any was cut. */
export function cutToWindows<R extends { readonly channel: string; readonly value: number }>(
  rows: readonly R[],
  windows: ReadonlyMap<string, readonly [number, number]>,
): { kept: R[]; cut: boolean } {
  const kept: R[] = [];
  let cut = false;
  for (const r of rows) {
    const w = windows.get(r.channel);
    if (w === undefined || (r.value >= w[0] && r.value <= w[1])) kept.push(r);
    else cut = true;
  }
  return { kept, cut };
}

/** Data against each fitted stage's predictions, one panel per channel and trajectory. */
function fitFigure(report: Report): Figure {
  const data = rows(report.observed, 'data');
  const all: Row[] = [];
  for (const [stage, sets] of Object.entries(report.predictions.byStage)) {
    if (sets) all.push(...rows(sets, STAGE_LABEL[stage as StageName]));
  }
  const { kept: lines, cut } = cutToWindows(all, plotWindows(data));
  return {
    id: 'fit',
    title: 'Data and each stage’s fit',
    caption: `Points: the data. Lines: the model at the end of each stage, on the data’s times.${
      cut ? ' A line is cut where it leaves the data’s range by more than the range’s width.' : ''
    }`,
    spec: {
      ...base,
      data: { values: [...data, ...lines] },
      facet: { row: { field: 'channel', title: null }, column: { field: 'trajectory', title: 'trajectory' } },
      spec: {
        width: 260,
        height: 140,
        layer: [
          {
            transform: [{ filter: "datum.series !== 'data'" }],
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'value', type: 'quantitative', title: null },
              color: { field: 'series', type: 'nominal', title: 'stage' },
              strokeDash: { field: 'series', type: 'nominal', title: 'stage' },
            },
          },
          {
            transform: [{ filter: "datum.series === 'data'" }],
            mark: { type: 'point', filled: true, size: 14, color: '#222' },
            encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** The final model run to twice the data's time span, with the data. */
function extrapolationFigure(report: Report): Figure {
  const [, t1] = report.data.timeSpan;
  return {
    id: 'extrapolation',
    title: 'Extrapolation to twice the time span',
    caption: `The final model from each trajectory's initial values to t = ${2 * t1 - report.data.timeSpan[0]}; the grey rule marks the end of the data.`,
    spec: {
      ...base,
      data: { values: [...rows(report.observed, 'data'), ...rows(report.predictions.extrapolation, 'final model')] },
      facet: { row: { field: 'channel', title: null }, column: { field: 'trajectory', title: 'trajectory' } },
      spec: {
        width: 260,
        height: 140,
        layer: [
          {
            transform: [{ filter: "datum.series !== 'data'" }],
            mark: { type: 'line', color: '#d62728' },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'value', type: 'quantitative', title: null },
            },
          },
          {
            transform: [{ filter: "datum.series === 'data'" }],
            mark: { type: 'point', filled: true, size: 14, color: '#222' },
            encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
          },
          { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { datum: t1 } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** Each network against its found expression on the sampled states. */
function networkFigures(report: Report): Figure[] {
  return Object.entries(report.discovered).map(([name, d]) => {
    const values = d.samples.network.map((n, i) => ({ network: n, expression: d.samples.expression[i] as number }));
    const lo = Math.min(...d.samples.network, ...d.samples.expression);
    const hi = Math.max(...d.samples.network, ...d.samples.expression);
    return {
      id: `network-${name}`,
      title: `${name}: network against the found expression`,
      caption: `On ${values.length} of the sampled states, the found expression with the multiples of the known terms it leaves to the physics; the diagonal is perfect agreement. RMS error ${d.errorRms.toPrecision(3)} (network RMS ${d.networkRms.toPrecision(3)}).`,
      spec: {
        ...base,
        width: 320,
        height: 260,
        layer: [
          {
            data: { values },
            mark: { type: 'point', size: 8, opacity: 0.5 },
            encoding: {
              x: { field: 'network', type: 'quantitative', title: `${name}(${d.inputs.join(', ')}) (network)` },
              y: { field: 'expression', type: 'quantitative', title: 'found expression' },
            },
          },
          {
            data: {
              values: [
                { network: lo, expression: lo },
                { network: hi, expression: hi },
              ],
            },
            mark: { type: 'line', color: '#999', strokeDash: [4, 3] },
            encoding: {
              x: { field: 'network', type: 'quantitative' },
              y: { field: 'expression', type: 'quantitative' },
            },
          },
        ],
      } as TopLevelSpec,
    };
  });
}

/** The Pareto fronts: loss against complexity, the chosen expression marked. */
function paretoFigure(report: Report): Figure | undefined {
  const values = Object.entries(report.discovered).flatMap(([name, d]) =>
    d.front.map((e) => ({
      network: name,
      complexity: e.complexity,
      loss: Math.max(e.loss, 1e-16),
      expression: e.expression,
      chosen: e.complexity === d.complexity,
    })),
  );
  if (values.length === 0) return undefined;
  return {
    id: 'pareto',
    title: 'Pareto front of the symbolic search',
    caption: 'Mean squared error against the network by complexity; the filled point is the chosen expression.',
    spec: {
      ...base,
      width: 420,
      height: 240,
      data: { values },
      layer: [
        {
          mark: { type: 'line', point: false, color: '#888' },
          encoding: {
            x: { field: 'complexity', type: 'quantitative' },
            y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (MSE)' },
            detail: { field: 'network' },
          },
        },
        {
          mark: { type: 'point', size: 60 },
          encoding: {
            x: { field: 'complexity', type: 'quantitative' },
            y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } },
            color: { field: 'network', type: 'nominal' },
            fill: { condition: { test: 'datum.chosen', field: 'network', type: 'nominal' }, value: 'white' },
            tooltip: [{ field: 'expression' }],
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** The loss of every step, per stage. */
function lossFigure(report: Report): Figure {
  const values: { step: number; loss: number; stage: string }[] = [];
  let offset = 0;
  for (const [stage, curve] of Object.entries(report.lossCurves)) {
    (curve ?? []).forEach((loss, i) => {
      if (Number.isFinite(loss) && loss > 0)
        values.push({ step: offset + i, loss, stage: STAGE_LABEL[stage as StageName] });
    });
    offset += curve?.length ?? 0;
  }
  return {
    id: 'loss',
    title: 'Loss curves',
    caption: 'Mean squared error per step or iteration (on the curriculum’s prefix of the data), stage after stage.',
    spec: {
      ...base,
      width: 520,
      height: 220,
      data: { values },
      mark: { type: 'line' },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss' },
        color: { field: 'stage', type: 'nominal' },
      },
    } as TopLevelSpec,
  };
}

/** Every figure of the report, in order. */
export function reportFigures(report: Report): Figure[] {
  const out: Figure[] = [fitFigure(report), extrapolationFigure(report)];
  out.push(...networkFigures(report));
  const pareto = paretoFigure(report);
  if (pareto) out.push(pareto);
  out.push(lossFigure(report));
  return out;
}

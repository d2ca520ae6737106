import type { TopLevelSpec } from 'vega-lite';
import { STAGE_NAMES } from '../pipeline/types.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = { labelFontSize: 12, titleFontSize: 12 };
/** Log axes: a label per power of ten, written 1e-3, not crowded fractions. */
const LOG_AXIS = { ...FONT, format: '.0e', tickCount: 6, labelOverlap: 'greedy' as const };

/**
 * Fit the container's width with axes and legends inside, laid out again on every update: the
 * live plots start empty, and without `resize` vega keeps the first (label-less) layout, so later
 * axis labels and titles are drawn left of the canvas and cut off.
 */
const AUTOSIZE = { type: 'fit-x', contains: 'padding', resize: true } as const;

/** Loss per step (log scale), one colour per stage; data `loss`: `{ step, loss, stage }`. */
export function lossPlotSpec(): TopLevelSpec {
  return {
    $schema: SCHEMA,
    width: 600,
    height: 220,
    autosize: AUTOSIZE,
    data: { name: 'loss' },
    mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step (all stages)', axis: FONT },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (MSE)', axis: LOG_AXIS },
      color: { field: 'stage', type: 'nominal', sort: [...STAGE_NAMES], legend: { orient: 'right', title: 'stage' } },
      detail: { field: 'phase', type: 'nominal' },
    },
  };
}

/**
 * Data (points) against the current model (lines): data `observed` and `model`, rows
 * `{ t, value, channel, trajectory }`; one panel colour per channel.
 */
export function trajectoryPlotSpec(): TopLevelSpec {
  const x = { field: 't', type: 'quantitative' as const, title: 't', axis: FONT };
  const y = { field: 'value', type: 'quantitative' as const, title: 'value', axis: FONT };
  const color = { field: 'channel', type: 'nominal' as const, legend: { orient: 'right' as const, title: 'channel' } };
  return {
    $schema: SCHEMA,
    width: 600,
    height: 220,
    autosize: AUTOSIZE,
    layer: [
      {
        data: { name: 'observed' },
        mark: { type: 'point', filled: true, size: 22, opacity: 0.8 },
        encoding: { x, y, color, shape: { field: 'trajectory', type: 'nominal', title: 'trajectory' } },
      },
      {
        data: { name: 'model' },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color, detail: { field: 'trajectory', type: 'nominal' } },
      },
    ],
  };
}

/**
 * The Pareto front: loss against complexity (log loss), the chosen entry ringed; data `front`:
 * `{ complexity, loss, expression, chosen }`.
 */
export function paretoPlotSpec(): TopLevelSpec {
  const x = { field: 'complexity', type: 'quantitative' as const, title: 'complexity', axis: FONT };
  const y = {
    field: 'loss',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    title: 'loss',
    axis: LOG_AXIS,
  };
  return {
    $schema: SCHEMA,
    width: 600,
    height: 200,
    autosize: AUTOSIZE,
    data: { name: 'front' },
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after', color: '#8a94a3' },
        encoding: { x, y, detail: { field: 'network' } },
      },
      {
        mark: { type: 'point', filled: true, size: 70, cursor: 'pointer' },
        encoding: {
          x,
          y,
          color: { field: 'network', type: 'nominal', legend: { orient: 'right', title: 'network' } },
          tooltip: [{ field: 'expression' }, { field: 'complexity' }, { field: 'loss', format: '.3e' }],
        },
      },
      {
        transform: [{ filter: 'datum.chosen' }],
        mark: { type: 'point', size: 260, strokeWidth: 2.5, color: '#e08a00' },
        encoding: { x, y },
      },
    ],
  };
}

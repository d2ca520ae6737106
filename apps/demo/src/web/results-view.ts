import { reportFigures } from '../pipeline/report/plots.js';
import { renderSvg } from '../pipeline/report/render-svg.js';
import {
  type FrontEntry,
  type PipelineEvent,
  type Report,
  type SeriesSet,
  STAGE_NAMES,
  type StageName,
} from '../pipeline/types.js';
import { lossPlotSpec, paretoPlotSpec, trajectoryPlotSpec } from './plot-specs.js';
import { LivePlot, thin } from './plots.js';
import { byId, el, type FrontRow, fmt, renderEquations, renderParameters, renderParetoTable } from './render.js';

/** A point of the loss plot. */
export interface LossPoint {
  readonly step: number;
  readonly loss: number;
  readonly stage: StageName;
  readonly phase: string;
}

type TrajRow = { t: number; value: number; channel: string; trajectory: number };

function trajRows(sets: readonly SeriesSet[]): TrajRow[] {
  const out: TrajRow[] = [];
  for (const s of sets) {
    for (const [channel, values] of Object.entries(s.values)) {
      values.forEach((value, i) => {
        if (Number.isFinite(value)) out.push({ t: s.t[i] as number, value, channel, trajectory: s.trajectory });
      });
    }
  }
  return out;
}

/** Most points the live loss plot draws (longer runs are thinned evenly). */
const MAX_LOSS_POINTS = 1500;

/**
 * The right-hand side of the page: live loss and trajectory plots, stage chips, the Pareto
 * front (table and plot, rows choosable), equations after the run, the parameter table, and the
 * report's own figures once a run has finished.
 */
export class ResultsView {
  private readonly lossPlot = new LivePlot(byId('loss-plot'), lossPlotSpec());
  private readonly trajPlot = new LivePlot(byId('traj-plot'), trajectoryPlotSpec());
  private paretoPlot: LivePlot | null = null;
  private losses: LossPoint[] = [];
  private fronts = new Map<string, readonly FrontEntry[]>();
  private chosen = new Map<string, number>();
  private stageState = new Map<StageName, string>();
  private stepCount = 0;
  private paretoDirty = false;
  private paretoTimer: ReturnType<typeof setTimeout> | null = null;
  /** Called when the user picks a front entry (null: choosing is off). */
  onChoose: ((network: string, entry: FrontEntry) => void) | null = null;

  /** Clears everything a run draws (the setup's data points stay). */
  clearLive(): void {
    this.losses = [];
    this.stepCount = 0;
    this.fronts.clear();
    this.chosen.clear();
    this.stageState.clear();
    this.lossPlot.set('loss', []);
    this.trajPlot.set('model', []);
    byId('loss-summary').textContent = '';
    byId('traj-summary').textContent = '';
    this.drawStages();
    this.drawPareto();
  }

  /** The data points of the trajectory plot. */
  setObserved(series: readonly SeriesSet[]): void {
    this.trajPlot.set('observed', trajRows(series));
  }

  /** Applies a batch of pipeline events. */
  handle(events: readonly PipelineEvent[]): void {
    let lossChanged = false;
    for (const e of events) {
      if (e.type === 'step') {
        if (Number.isFinite(e.loss) && e.loss > 0) {
          this.losses.push({ step: this.stepCount, loss: e.loss, stage: e.stage, phase: `${e.stage} ${e.phase}` });
          lossChanged = true;
        }
        this.stepCount++;
      } else if (e.type === 'predictions') {
        this.trajPlot.set('model', trajRows(e.series));
        byId('traj-summary').textContent = `Lines: the model during ${e.stage}.`;
      } else if (e.type === 'pareto') {
        this.fronts.set(e.network, e.front);
        this.paretoDirty = true;
      } else if (e.type === 'stage-start') {
        this.stageState.set(e.stage, 'running');
        this.drawStages();
      } else if (e.type === 'stage-end') {
        this.stageState.set(e.stage, e.stopReason === 'nonfinite' || e.stopReason === 'error' ? 'failed' : 'done');
        this.drawStages();
      }
    }
    if (lossChanged) this.drawLoss();
    if (this.paretoDirty && this.paretoTimer === null) {
      this.paretoTimer = setTimeout(() => {
        this.paretoTimer = null;
        this.drawPareto();
      }, 300);
    }
  }

  /** Shows a finished run: its loss curves, final fit, front, equations, parameters, figures. */
  async showReport(report: Report): Promise<void> {
    this.losses = [];
    let step = 0;
    for (const stage of STAGE_NAMES) {
      for (const loss of report.lossCurves[stage] ?? []) {
        if (Number.isFinite(loss) && loss > 0) this.losses.push({ step, loss, stage, phase: stage });
        step++;
      }
    }
    this.stepCount = step;
    this.drawLoss();
    this.setObserved(report.observed);
    const final = report.predictions.byStage.refit ?? report.predictions.byStage.mechanistic ?? [];
    this.trajPlot.set('model', trajRows(final));
    byId('traj-summary').textContent = 'Lines: the final model.';
    this.fronts = new Map(Object.entries(report.discovered).map(([n, d]) => [n, d.front]));
    this.chosen = new Map(Object.entries(report.discovered).map(([n, d]) => [n, d.complexity]));
    this.drawPareto();
    for (const s of report.stages) this.stageState.set(s.name, 'done');
    this.drawStages();
    renderEquations(byId('eq-after'), report.equationsLatex);
    renderParameters(byId('parameters'), report);
    await Promise.all([this.lossPlot.flush(), this.trajPlot.flush()]);
  }

  /** The report's own figures (as in report.html), drawn as SVG. */
  async showFigures(report: Report, target: HTMLElement): Promise<void> {
    const figures = reportFigures(report);
    const nodes: HTMLElement[] = [];
    for (const f of figures) {
      const fig = el('figure', { id: `fig-${f.id}` }, el('h4', {}, f.title));
      const plot = el('div', { class: 'report-figure' });
      plot.innerHTML = await renderSvg(f.spec);
      fig.append(plot, el('figcaption', { class: 'hint' }, f.caption));
      nodes.push(fig);
    }
    target.replaceChildren(...nodes);
  }

  /** The points the loss plot holds now. */
  lossPoints(): readonly LossPoint[] {
    return this.losses;
  }

  private drawLoss(): void {
    this.lossPlot.set('loss', thin(this.losses, MAX_LOSS_POINTS));
    const last = this.losses.at(-1);
    byId('loss-summary').textContent =
      last === undefined ? '' : `${this.stepCount} steps; last loss ${fmt(last.loss)} (${last.stage}).`;
  }

  private drawStages(): void {
    byId('stages').replaceChildren(
      ...STAGE_NAMES.map((s) => {
        const state = this.stageState.get(s) ?? 'pending';
        return el('span', { class: `stage ${state}`, 'data-stage': s, title: state }, `${s}: ${state}`);
      }),
    );
  }

  private drawPareto(): void {
    this.paretoDirty = false;
    const rows: FrontRow[] = [];
    for (const [network, front] of this.fronts) {
      for (const e of front) rows.push({ ...e, network, chosen: this.chosen.get(network) === e.complexity });
    }
    const target = byId('pareto');
    if (rows.length === 0) {
      this.paretoPlot?.dispose();
      this.paretoPlot = null;
      target.replaceChildren(el('p', { class: 'hint' }, 'The symbolic search fills this in.'));
      return;
    }
    if (this.paretoPlot === null) {
      const plotBox = el('div', { class: 'plot', id: 'pareto-plot', role: 'img', 'aria-label': 'Pareto front plot' });
      const tableBox = el('div', { class: 'pareto-table' });
      target.replaceChildren(el('div', { class: 'pareto' }, tableBox, plotBox));
      this.paretoPlot = new LivePlot(plotBox, paretoPlotSpec());
      this.paretoPlot.onClick((d) => this.choose(String(d.network), Number(d.complexity)));
    }
    const tableBox = target.querySelector<HTMLElement>('.pareto-table') as HTMLElement;
    renderParetoTable(
      tableBox,
      rows,
      this.onChoose === null ? null : (row) => this.choose(row.network, row.complexity),
    );
    this.paretoPlot.set(
      'front',
      rows.map((r) => ({
        network: r.network,
        complexity: r.complexity,
        loss: Math.max(r.loss, 1e-16),
        expression: r.expression,
        chosen: r.chosen,
      })),
    );
  }

  private choose(network: string, complexity: number): void {
    const entry = this.fronts.get(network)?.find((e) => e.complexity === complexity);
    if (entry === undefined || this.onChoose === null) return;
    this.chosen.set(network, complexity);
    this.drawPareto();
    this.onChoose(network, entry);
  }
}

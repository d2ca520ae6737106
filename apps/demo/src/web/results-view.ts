import type { Remote } from 'comlink';
import { cutToWindows, plotWindows } from '../pipeline/report/plots.js';
import {
  type FrontEntry,
  type PipelineEvent,
  type Report,
  type SeriesSet,
  STAGE_NAMES,
  type StageName,
} from '../pipeline/types.js';
import { lossPlotSpec, paretoPlotSpec, trajectoryPlotSpec } from './plot-specs.js';
import type { PlotWorkerApi } from './plot-worker-api.js';
import { Decimator, LivePlot } from './plots.js';
import { byId, el, type FrontRow, fmt, renderEquations, renderParameters, renderParetoTable } from './render.js';
import type { RenderedFigure } from './worker-api.js';

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

const nextFrame = () => new Promise<void>((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));

const CUT_NOTE = (cut: boolean) => (cut ? ", cut where it leaves the data's range by more than its width" : '');

/** Most points the live loss plot draws (longer runs are thinned evenly). */
const MAX_LOSS_POINTS = 800;

/**
 * The right-hand side of the page: live loss and trajectory plots, stage chips, the Pareto
 * front (table and plot, rows choosable), equations after the run, the parameter table, and the
 * report's own figures once a run has finished.
 */
export class ResultsView {
  private readonly lossPlot: LivePlot;
  private readonly trajPlot: LivePlot;
  private readonly paretoPlot: LivePlot;
  private losses = new Decimator<LossPoint>(MAX_LOSS_POINTS);
  private fronts = new Map<string, readonly FrontEntry[]>();
  private chosen = new Map<string, number>();
  private stageState = new Map<StageName, string>();
  private stepCount = 0;
  private windows: ReadonlyMap<string, readonly [number, number]> = new Map();
  private readonly typeset = new Map<string, string>();
  private readonly paretoRows = new Map<string, HTMLTableRowElement>();
  private paretoDirty = false;
  private paretoTimer: ReturnType<typeof setTimeout> | null = null;
  /** Called when the user picks a front entry (null: choosing is off). */
  onChoose: ((network: string, entry: FrontEntry) => boolean) | null = null;

  /** @param plots The plot worker that draws the live plots. */
  constructor(plots: Remote<PlotWorkerApi>) {
    this.lossPlot = new LivePlot(byId('loss-plot'), lossPlotSpec(), plots, 'loss');
    this.trajPlot = new LivePlot(byId('traj-plot'), trajectoryPlotSpec(), plots, 'trajectories');
    this.paretoPlot = new LivePlot(byId('pareto-plot'), paretoPlotSpec(), plots, 'pareto');
  }

  /** Clears everything a run draws (the setup's data points stay). */
  clearLive(): void {
    this.losses.clear();
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
    const rows = trajRows(series);
    this.windows = plotWindows(rows);
    this.trajPlot.set('observed', rows);
  }

  /** The model's lines, cut where they leave the data's range by more than its width; whether any was. */
  private setModel(series: readonly SeriesSet[]): boolean {
    const { kept, cut } = cutToWindows(trajRows(series), this.windows);
    this.trajPlot.set('model', kept);
    return cut;
  }

  /** Applies a batch of pipeline events. */
  handle(events: readonly PipelineEvent[]): void {
    const fresh: LossPoint[] = [];
    for (const e of events) {
      if (e.type === 'step') {
        if (Number.isFinite(e.loss) && e.loss > 0) {
          fresh.push({ step: this.stepCount, loss: e.loss, stage: e.stage, phase: `${e.stage} ${e.phase}` });
        }
        this.stepCount++;
      } else if (e.type === 'predictions') {
        const cut = this.setModel(e.series);
        byId('traj-summary').textContent = `Lines: the model during ${e.stage}${CUT_NOTE(cut)}.`;
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
    if (fresh.length > 0) this.drawLoss(fresh);
    if (this.paretoDirty && this.paretoTimer === null) {
      this.paretoTimer = setTimeout(() => {
        this.paretoTimer = null;
        this.drawPareto();
      }, 1000);
    }
  }

  /** Shows a finished run: its loss curves, final fit, front, equations, parameters, figures. */
  async showReport(report: Report): Promise<void> {
    this.losses.clear();
    this.lossPlot.set('loss', []);
    const points: LossPoint[] = [];
    let step = 0;
    for (const stage of STAGE_NAMES) {
      for (const loss of report.lossCurves[stage] ?? []) {
        if (Number.isFinite(loss) && loss > 0) points.push({ step, loss, stage, phase: stage });
        step++;
      }
    }
    this.stepCount = step;
    this.drawLoss(points);
    this.setObserved(report.observed);
    const final = report.predictions.byStage.refit ?? report.predictions.byStage.mechanistic ?? [];
    const cut = this.setModel(final);
    byId('traj-summary').textContent = `Lines: the final model${CUT_NOTE(cut)}.`;
    this.fronts = new Map(Object.entries(report.discovered).map(([n, d]) => [n, d.front]));
    this.chosen = new Map(Object.entries(report.discovered).map(([n, d]) => [n, d.complexity]));
    // one piece per frame: the page stays responsive while the results go in
    await this.lossPlot.flush();
    await nextFrame();
    await this.trajPlot.flush();
    await nextFrame();
    this.drawPareto();
    await nextFrame();
    for (const s of report.stages) this.stageState.set(s.name, 'done');
    this.drawStages();
    renderEquations(byId('eq-after'), report.equationsLatex);
    renderParameters(byId('parameters'), report);
  }

  /** The report's own figures (as in report.html, drawn to SVG by the worker), one per frame. */
  async showFigures(figures: readonly RenderedFigure[], target: HTMLElement): Promise<void> {
    target.replaceChildren();
    for (const f of figures) {
      await nextFrame();
      const plot = el('div', { class: 'report-figure' });
      plot.innerHTML = f.svg;
      target.append(
        el(
          'figure',
          { id: `fig-${f.id}` },
          el('h4', {}, f.title),
          plot,
          el('figcaption', { class: 'hint' }, f.caption),
        ),
      );
    }
  }

  /** How often each live plot rendered and its longest render (ms). */
  renderStats(): Record<string, { renders: number; longestMs: number }> {
    return { loss: this.lossPlot.stats, trajectories: this.trajPlot.stats, pareto: this.paretoPlot.stats };
  }

  /** The points the loss plot holds now. */
  lossPoints(): readonly LossPoint[] {
    return this.losses.points;
  }

  private drawLoss(fresh: readonly LossPoint[]): void {
    const { mode, rows } = this.losses.push(fresh);
    if (mode === 'append') this.lossPlot.append('loss', rows);
    else this.lossPlot.set('loss', rows);
    const last = this.losses.points.at(-1);
    byId('loss-summary').textContent =
      last === undefined ? '' : `${this.stepCount} steps; last loss ${fmt(last.loss)} (${last.stage}).`;
  }

  private drawStages(): void {
    byId('stages').replaceChildren(
      ...STAGE_NAMES.map((s) => {
        const state = this.stageState.get(s) ?? 'pending';
        return el('li', { class: `stage ${state}`, 'data-stage': s }, `${s}: ${state}`);
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
      target.replaceChildren(el('p', { class: 'hint' }, 'The symbolic search fills this in.'));
    } else {
      renderParetoTable(
        target,
        rows,
        this.onChoose === null ? null : (row) => this.choose(row.network, row.complexity),
        this.typeset,
        this.paretoRows,
      );
    }
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
    if (entry === undefined || this.onChoose === null || !this.onChoose(network, entry)) return;
    this.chosen.set(network, complexity);
    this.drawPareto();
  }
}

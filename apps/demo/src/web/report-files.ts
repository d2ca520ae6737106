import katexCss from 'virtual:katex-inline-css';
import { renderReportHtml } from '../pipeline/report/html.js';
import { reportFigures } from '../pipeline/report/plots.js';
import { renderSvg } from '../pipeline/report/render-svg.js';
import type { PipelineResult, Report } from '../pipeline/types.js';
import type { RenderedFigure, RunFiles } from './worker-api.js';

/** The three files of a finished run, as the command writes them. */
export async function reportFiles(result: PipelineResult): Promise<RunFiles> {
  return {
    reportJson: `${JSON.stringify(result.report, null, 2)}\n`,
    reportHtml: await renderReportHtml(result.report, { katexCss }),
    modelJson: `${JSON.stringify(result.model, null, 2)}\n`,
  };
}

/** The report's figures (the same specs as report.html) drawn to SVG strings. */
export async function renderFigures(report: Report): Promise<RenderedFigure[]> {
  const figures = reportFigures(report);
  return Promise.all(
    figures.map(async (f) => ({ id: f.id, title: f.title, caption: f.caption, svg: await renderSvg(f.spec) })),
  );
}

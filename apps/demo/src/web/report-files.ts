import katexCss from 'virtual:katex-inline-css';
import { renderReportHtml } from '../pipeline/report/html.js';
import type { PipelineResult } from '../pipeline/types.js';
import type { RunFiles } from './worker-api.js';

/** The three files of a finished run, as the command writes them. */
export async function reportFiles(result: PipelineResult): Promise<RunFiles> {
  return {
    reportJson: `${JSON.stringify(result.report, null, 2)}\n`,
    reportHtml: await renderReportHtml(result.report, { katexCss }),
    modelJson: `${JSON.stringify(result.model, null, 2)}\n`,
  };
}

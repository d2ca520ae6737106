// The discovery loop, browser-safe: the command (src/cli) and the web page (src/web) both use this.
export { type Discovery, discoverTerm, EVALUATIONS_PER_SECOND, type SearchFunction } from './discover.js';
export { renderReportHtml } from './report/html.js';
export { type Figure, reportFigures } from './report/plots.js';
export { renderSvg } from './report/render-svg.js';
export { checkReport, REPORT_VERSION } from './report/schema.js';
export { type PipelineRuntime, runPipeline } from './run-pipeline.js';
export { DEFAULT_SETTINGS, resolveSettings, resolveStages } from './settings.js';
export * from './types.js';

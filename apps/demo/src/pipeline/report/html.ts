import katex from 'katex';
import type { Report } from '../types.js';
import { reportFigures } from './plots.js';
import { renderSvg } from './render-svg.js';

/** Options of {@link renderReportHtml}. */
export interface HtmlOptions {
  /**
   * KaTeX's stylesheet with its fonts inlined as data URLs (Node: `katexInlineCss()` of
   * src/node; a page: the stylesheet it bundles), so that the file opens offline.
   */
  readonly katexCss: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const tex = (latex: string, displayMode = false): string =>
  katex.renderToString(latex, { displayMode, throwOnError: false, output: 'htmlAndMathml' });

/** A number for tables: 4 significant digits, no exponent between 1e-3 and 1e5. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

/** Variable names as LaTeX (Greek names as letters). */
export function latexName(name: string): string {
  const greek = [
    'alpha',
    'beta',
    'gamma',
    'delta',
    'epsilon',
    'kappa',
    'lambda',
    'mu',
    'nu',
    'rho',
    'sigma',
    'tau',
    'theta',
    'omega',
  ];
  return greek.includes(name) ? `\\${name}` : name.length === 1 ? name : `\\mathrm{${name.replace(/_/g, '\\_')}}`;
}

function stagesTable(report: Report): string {
  const rows = report.stages
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.name)}</td><td>${formatNumber(s.loss)}</td><td>${s.steps}</td><td>${s.seconds.toFixed(1)}</td><td><code>${escapeHtml(s.stopReason)}</code></td><td>${escapeHtml(s.message)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>stage</th><th>loss (MSE)</th><th>steps</th><th>seconds</th><th>stopped</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The trajectories listed in the initial-state table at most (the rest are in report.json). */
const INITIAL_ROWS = 10;

/**
 * Each trajectory's initial states: its first row (where a channel observes the state directly)
 * and the start each stage fitted (with `fitStarts`, the first row plus a trained correction).
 */
function initialTable(report: Report): string {
  const finals = report.initial.final;
  if (finals.length === 0) return '';
  const stages = Object.keys(report.initial.byStage);
  const head = `<tr><th>trajectory</th><th>state</th><th>first row</th>${stages.map((s) => `<th>${escapeHtml(s)}</th>`).join('')}<th>final</th></tr>`;
  const rows: string[] = [];
  finals.slice(0, INITIAL_ROWS).forEach((final, k) => {
    for (const st of Object.keys(final)) {
      const first = report.observed[k]?.values[st]?.[0];
      const cells = stages.map(
        (s) => `<td>${formatNumber(report.initial.byStage[s as keyof typeof report.initial.byStage]?.[k]?.[st])}</td>`,
      );
      rows.push(
        `<tr><td>${k}</td><td>${tex(latexName(st))}</td><td>${first === undefined || first === null ? '' : formatNumber(first)}</td>${cells.join('')}<td><b>${formatNumber(final[st])}</b></td></tr>`,
      );
    }
  });
  const more =
    finals.length > INITIAL_ROWS ? `<p>${finals.length - INITIAL_ROWS} more trajectories in report.json.</p>` : '';
  return `<h2>Initial states</h2><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function parametersTable(report: Report): string {
  const stages = Object.keys(report.parameters.byStage);
  const names = Object.keys(report.parameters.final);
  if (names.length === 0) return '';
  const head = `<tr><th>parameter</th>${stages.map((s) => `<th>${escapeHtml(s)}</th>`).join('')}<th>final</th></tr>`;
  const body = names
    .map((n) => {
      const cells = stages.map(
        (s) => `<td>${formatNumber(report.parameters.byStage[s as keyof typeof report.parameters.byStage]?.[n])}</td>`,
      );
      return `<tr><td>${tex(latexName(n))}</td>${cells.join('')}<td><b>${formatNumber(report.parameters.final[n])}</b></td></tr>`;
    })
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function discoveredSection(report: Report): string {
  const parts = Object.entries(report.discovered).map(([name, d]) => {
    const front = d.front
      .map(
        (e) =>
          `<tr${e.complexity === d.complexity ? ' class="chosen"' : ''}><td>${e.complexity}</td><td>${formatNumber(e.loss)}</td><td>${tex(e.latex)}</td></tr>`,
      )
      .join('');
    return `<h3>${escapeHtml(name)}(${escapeHtml(d.inputs.join(', '))})</h3>
<div class="eq">${tex(`${latexName(name)}(${d.inputs.map(latexName).join(', ')}) \\approx ${d.latex}`, true)}</div>
<p>Chosen among the search's front and the candidates fitted to the data as <code>${escapeHtml(d.searched)}</code> (complexity ${d.complexity}; RMS error ${formatNumber(d.errorRms)} against the network with the known terms free, whose output has RMS ${formatNumber(d.networkRms)}), then refit with the whole model: <code>${escapeHtml(d.expression)}</code>.</p>
<details><summary>Pareto front (${d.front.length} expressions)</summary><table><thead><tr><th>complexity</th><th>loss</th><th>expression</th></tr></thead><tbody>${front}</tbody></table></details>`;
  });
  return parts.length ? `<h2>Discovered terms</h2>${parts.join('\n')}` : '';
}

/**
 * The report as one self-contained HTML file: equations typeset by KaTeX (its CSS and fonts
 * inlined), plots rendered to inline SVG by vega from vega-lite specs, tables of stages and
 * parameters. Browser-safe: the page renders the same file.
 */
export async function renderReportHtml(report: Report, { katexCss }: HtmlOptions): Promise<string> {
  const figures = reportFigures(report);
  const svgs = await Promise.all(figures.map((f) => renderSvg(f.spec)));
  const equations = Object.entries(report.equationsLatex)
    .map(([state, latex]) => tex(`\\frac{d${latexName(state)}}{dt} = ${latex}`, true))
    .join('\n');
  const fit = Object.entries(report.fit.residualRms)
    .map(
      ([ch, r]) =>
        `<li><code>${escapeHtml(ch)}</code>: residual RMS ${formatNumber(r)}, noise estimated from the data ${formatNumber(report.fit.noiseRms[ch])}</li>`,
    )
    .join('');
  const figureHtml = figures
    .map(
      (f, i) =>
        `<figure id="fig-${f.id}"><h3>${escapeHtml(f.title)}</h3><div class="plot">${svgs[i]}</div><figcaption>${escapeHtml(f.caption)}</figcaption></figure>`,
    )
    .join('\n');
  const d = report.data;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>odekit discovery report</title>
<style>${katexCss}</style>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f6f6f6}tr.chosen{background:#fff6d5}.eq{margin:.4em 0;overflow-x:auto}figure{margin:1.2em 0}
figcaption{color:#555;font-size:.9em}.plot svg{max-width:100%;height:auto}code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
.muted{color:#666}
</style></head><body>
<h1>odekit discovery report</h1>
<p class="muted">Data <code>${escapeHtml(d.file)}</code>: ${d.rows} rows, ${d.trajectories} trajector${d.trajectories === 1 ? 'y' : 'ies'}, channels ${d.channels.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ')}, t from ${formatNumber(d.timeSpan[0])} to ${formatNumber(d.timeSpan[1])}. Seed ${report.options.seed}, search budget ${report.options.budget} s per network.</p>
<h2>Final equations</h2>
${equations}
${discoveredSection(report)}
<h2>Stages</h2>
${stagesTable(report)}
<h2>Fit</h2><ul>${fit}</ul>
<h2>Parameters</h2>
${parametersTable(report)}
${initialTable(report)}
<h2>Plots</h2>
${figureHtml}
<p class="muted">Made by @odekit/demo (report version ${report.version}).</p>
</body></html>
`;
}

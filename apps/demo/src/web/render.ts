import katex from 'katex';
import type { FrontEntry, Report, StageName } from '../pipeline/types.js';

/** `document.getElementById` that fails loudly when the page's HTML lacks the element. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page: element #${id} is missing from index.html`);
  return el as T;
}

/** Creates an element with text or children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Typesets `dx/dt = rhs` for each state with KaTeX into `target` (display mode, errors inline). */
export function renderEquations(target: HTMLElement, latexByState: Readonly<Record<string, string>>): void {
  target.replaceChildren();
  for (const [state, rhs] of Object.entries(latexByState)) {
    const div = el('div', { class: 'equation', 'data-state': state });
    const name = /^[A-Za-z]$/.test(state) ? state : `\\mathrm{${state.replace(/_/g, '\\_')}}`;
    katex.render(`\\frac{d${name}}{dt} = ${rhs}`, div, {
      displayMode: true,
      throwOnError: false,
      output: 'htmlAndMathml',
    });
    target.append(div);
  }
}

/** Writes a number with 4 significant digits (exponent form when tiny or huge). */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : Number(x.toPrecision(4)).toString();
}

/** The parameter table: one row per parameter, one column per stage that recorded values, then final. */
export function renderParameters(target: HTMLElement, report: Report): void {
  const stages = Object.keys(report.parameters.byStage) as StageName[];
  const names = Object.keys(report.parameters.final);
  for (const s of stages)
    for (const n of Object.keys(report.parameters.byStage[s] ?? {})) if (!names.includes(n)) names.push(n);
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, 'parameter'),
    ...stages.map((s) => el('th', { scope: 'col' }, s)),
  );
  head.append(el('th', { scope: 'col' }, 'final'));
  const rows = names.map((n) => {
    const tr = el('tr', {}, el('th', { scope: 'row' }, n));
    for (const s of stages) tr.append(el('td', { class: 'num' }, fmt(report.parameters.byStage[s]?.[n])));
    tr.append(el('td', { class: 'num' }, fmt(report.parameters.final[n])));
    return tr;
  });
  const caption = el('caption', { class: 'visually-hidden' }, 'Parameter values at the end of each stage');
  target.replaceChildren(
    el('table', { id: 'parameter-table' }, caption, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}

/** KaTeX HTML by LaTeX source, from `cache` when typeset before (front entries repeat between updates). */
function katexHtml(latex: string, typeset: Map<string, string>): string {
  let html = typeset.get(latex);
  if (html === undefined) {
    html = katex.renderToString(latex, { throwOnError: false, output: 'htmlAndMathml' });
    if (typeset.size > 2000) typeset.clear();
    typeset.set(latex, html);
  }
  return html;
}

/** One row of the Pareto table. */
export interface FrontRow extends FrontEntry {
  readonly network: string;
  /** The entry the refit uses. */
  readonly chosen: boolean;
}

/**
 * The Pareto table: network, complexity, loss, expression (KaTeX); each row is a button-like
 * row (Enter/Space or click) that calls `onChoose`. `typeset` caches KaTeX's HTML by LaTeX source;
 * `rowCache` keeps the row elements by content between updates of the same table.
 */
export function renderParetoTable(
  target: HTMLElement,
  rows: readonly FrontRow[],
  onChoose: ((row: FrontRow) => void) | null,
  typeset: Map<string, string> = new Map(),
  rowCache: Map<string, HTMLTableRowElement> = new Map(),
): void {
  // Rows are kept by their content: an update of a growing front builds and typesets only the
  // new rows and moves nothing that stays in place (the main thread stays free while training).
  const used = new Map<string, HTMLTableRowElement>();
  const body = rows.map((row) => {
    const key = `${row.network}\u0000${row.complexity}\u0000${row.loss}\u0000${row.latex}\u0000${row.chosen}\u0000${onChoose !== null}`;
    const tr = rowCache.get(key) ?? paretoRow(row, onChoose, typeset);
    used.set(key, tr);
    return tr;
  });
  rowCache.clear();
  for (const [k, tr] of used) rowCache.set(k, tr);
  let found = target.querySelector<HTMLTableSectionElement>('#pareto-table > tbody');
  if (found === null) {
    const head = el(
      'tr',
      {},
      ...['network', 'complexity', 'loss', 'expression'].map((h) => el('th', { scope: 'col' }, h)),
    );
    const caption = el('caption', { class: 'visually-hidden' }, 'Pareto front: complexity against loss');
    found = el('tbody', {});
    target.replaceChildren(el('table', { id: 'pareto-table' }, caption, el('thead', {}, head), found));
  }
  const tbody = found;
  const keep = new Set<Node>(body);
  for (const child of [...tbody.children]) if (!keep.has(child)) child.remove();
  body.forEach((tr, i) => {
    const at = tbody.children[i] ?? null;
    if (at !== tr) tbody.insertBefore(tr, at);
  });
}

function paretoRow(
  row: FrontRow,
  onChoose: ((row: FrontRow) => void) | null,
  typeset: Map<string, string>,
): HTMLTableRowElement {
  const expr = el('td', { class: 'expr' });
  expr.innerHTML = katexHtml(row.latex, typeset);
  const tr = el(
    'tr',
    { class: row.chosen ? 'chosen' : '', 'aria-selected': String(row.chosen) },
    el('td', {}, row.network),
    el('td', { class: 'num' }, String(row.complexity)),
    el('td', { class: 'num' }, fmt(row.loss)),
    expr,
  );
  if (onChoose !== null) {
    tr.tabIndex = 0;
    tr.title = `Use ${row.expression} for the refit`;
    tr.addEventListener('click', () => onChoose(row));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onChoose(row);
      }
    });
  }
  return tr as HTMLTableRowElement;
}

/**
 * The bundled scenarios: every `apps/demo/scenarios/<id>/` with a `model.json` and a `data.csv`
 * (the command's own files, bundled as text by Vite at build time).
 */

/** A scenario the page offers. */
export interface Scenario {
  readonly id: string;
  /** The spec as written in the scenario's `model.json`. */
  readonly specText: string;
  readonly csv: string;
  /** Name the report gives the data: what the command writes in `data.file` for these files. */
  readonly dataName: string;
  /** One line on what it is (the spec's `description`, when it has one). */
  readonly about: string;
}

/** The scenario the command runs when given nothing. */
export const EMBEDDED_SCENARIO = 'lotka-volterra';

const models = import.meta.glob<string>('../../scenarios/*/model.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const datas = import.meta.glob<string>('../../scenarios/*/data.csv', { query: '?raw', import: 'default', eager: true });

const idOf = (path: string) => path.split('/').at(-2) as string;

function about(specText: string): string {
  try {
    const d = (JSON.parse(specText) as { description?: unknown }).description;
    return typeof d === 'string' ? d : '';
  } catch {
    return '';
  }
}

/** Every bundled scenario, the embedded one first, then by id. */
export function bundledScenarios(): Scenario[] {
  const list: Scenario[] = [];
  for (const [path, specText] of Object.entries(models)) {
    const id = idOf(path);
    const csv = Object.entries(datas).find(([p]) => idOf(p) === id)?.[1];
    if (csv === undefined) continue;
    // the command names its embedded data so; other scenarios run with --data <dir>/data.csv
    const dataName = id === EMBEDDED_SCENARIO ? `${id}/data.csv (embedded)` : 'data.csv';
    list.push({ id, specText, csv, dataName, about: about(specText) });
  }
  return list.sort((a, b) =>
    a.id === EMBEDDED_SCENARIO ? -1 : b.id === EMBEDDED_SCENARIO ? 1 : a.id.localeCompare(b.id),
  );
}

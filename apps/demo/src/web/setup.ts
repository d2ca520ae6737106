/**
 * The page's whole setup — scenario, spec, data, stage settings, seed, backend — and its
 * encoding in the URL's hash, so that a link reproduces a run.
 *
 * Texts the user typed or uploaded (spec, CSV) travel deflated and base64url-encoded; a
 * scenario's own texts are not repeated (only its name is).
 */

/** A tfjs backend the page offers (webgl only where the browser's worker has it). */
export type PageBackend = 'wasm' | 'cpu' | 'webgl';

/** The backends a setup may name, in the order the page offers them. */
export const PAGE_BACKENDS: readonly PageBackend[] = ['wasm', 'cpu', 'webgl'];

/** The stage settings the page lets the user set (steps or iterations per stage). */
export const STEP_SETTINGS = [
  'mechanisticIterations',
  'hybridSteps',
  'networkIterations',
  'jointSteps',
  'refitIterations',
] as const;
export type StepSetting = (typeof STEP_SETTINGS)[number];

/** Everything a run depends on. */
export interface PageSetup {
  /** Id of the bundled scenario the spec and data start from. */
  scenario: string;
  /** The spec text when it differs from the scenario's, else `null`. */
  spec: string | null;
  /** The CSV text when the user uploaded one, else `null` (the scenario's data). */
  csv: string | null;
  /** Name of the uploaded CSV file (shown and written into the report), else `null`. */
  csvName: string | null;
  /** Steps or iterations per stage the user changed (the rest take the pipeline's defaults). */
  steps: Partial<Record<StepSetting, number>>;
  /** Seconds of symbolic regression per network. */
  budget: number;
  /** The run's seed. */
  seed: number;
  /** The tfjs backend the worker runs. */
  backend: PageBackend;
}

/** The setup of a first visit: scenario `scenario`, its spec and data, the command's defaults (budget 30 s, seed 0), wasm. */
export function defaultSetup(scenario: string): PageSetup {
  return { scenario, spec: null, csv: null, csvName: null, steps: {}, budget: 30, seed: 0, backend: 'wasm' };
}

async function pipeBytes(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Deflates `text` and writes it in base64url (safe in a URL without escaping). */
export async function packText(text: string): Promise<string> {
  return toBase64Url(await pipeBytes(new TextEncoder().encode(text), new CompressionStream('deflate-raw')));
}

/** Inverse of {@link packText}. @throws Error when `packed` is not a packed text. */
export async function unpackText(packed: string): Promise<string> {
  try {
    return new TextDecoder().decode(await pipeBytes(fromBase64Url(packed), new DecompressionStream('deflate-raw')));
  } catch {
    throw new Error('the link holds a damaged text; copy the whole link again.');
  }
}

/**
 * Writes `setup` as a URL hash (`#scenario=…&seed=…`), omitting what equals the defaults.
 *
 * @example
 * ```ts
 * const hash = await encodeSetup({ ...defaultSetup('lotka-volterra'), seed: 3 });
 * // '#scenario=lotka-volterra&seed=3'
 * ```
 */
export async function encodeSetup(setup: PageSetup): Promise<string> {
  const base = defaultSetup(setup.scenario);
  const params = new URLSearchParams();
  params.set('scenario', setup.scenario);
  for (const k of STEP_SETTINGS) {
    const v = setup.steps[k];
    if (v !== undefined) params.set(k, String(v));
  }
  if (setup.budget !== base.budget) params.set('budget', String(setup.budget));
  if (setup.seed !== base.seed) params.set('seed', String(setup.seed));
  if (setup.backend !== base.backend) params.set('backend', setup.backend);
  if (setup.spec !== null) params.set('spec', await packText(setup.spec));
  if (setup.csv !== null) params.set('csv', await packText(setup.csv));
  if (setup.csvName !== null) params.set('csvName', setup.csvName);
  return `#${params.toString()}`;
}

function readNumber(params: URLSearchParams, key: string, ok: (n: number) => boolean, what: string): number | null {
  const raw = params.get(key);
  if (raw === null) return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new Error(`the link's ${key}=${raw} is not ${what}; fix it or remove it.`);
  return n;
}

/**
 * Reads a setup from a URL hash written by {@link encodeSetup}; missing keys take the defaults
 * of its scenario (or `fallbackScenario`).
 *
 * @throws Error naming the key and the fix when a value is malformed (e.g. `seed=abc`).
 * @example
 * ```ts
 * const setup = await decodeSetup('#scenario=lotka-volterra&seed=3', 'lotka-volterra');
 * // setup.seed === 3, setup.backend === 'wasm'
 * ```
 */
export async function decodeSetup(hash: string, fallbackScenario: string): Promise<PageSetup> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const setup = defaultSetup(params.get('scenario') ?? fallbackScenario);
  for (const k of STEP_SETTINGS) {
    const v = readNumber(params, k, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
    if (v !== null) setup.steps[k] = v;
  }
  const budget = readNumber(params, 'budget', (n) => n > 0, 'a positive number of seconds');
  if (budget !== null) setup.budget = budget;
  const seed = readNumber(params, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  if (seed !== null) setup.seed = seed;
  const backend = params.get('backend');
  if (backend !== null) {
    if (!PAGE_BACKENDS.includes(backend as PageBackend)) {
      throw new Error(`the link's backend=${backend} is unknown; use one of ${PAGE_BACKENDS.join(', ')}.`);
    }
    setup.backend = backend as PageBackend;
  }
  const spec = params.get('spec');
  if (spec !== null) setup.spec = await unpackText(spec);
  const csv = params.get('csv');
  if (csv !== null) setup.csv = await unpackText(csv);
  setup.csvName = params.get('csvName');
  return setup;
}

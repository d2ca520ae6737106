import { STAGE_NAMES } from '../types.js';

/** The report.json version this app writes (see apps/demo/README.md for the schema). */
export const REPORT_VERSION = 1;

type Check = (v: unknown, path: string, out: string[]) => void;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num: Check = (v, p, out) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${p}: a finite number expected`);
};
const numOrNull: Check = (v, p, out) => {
  if (v !== null) num(v, p, out);
};
const str: Check = (v, p, out) => {
  if (typeof v !== 'string') out.push(`${p}: a string expected`);
};
const arr =
  (item: Check): Check =>
  (v, p, out) => {
    if (!Array.isArray(v)) out.push(`${p}: an array expected`);
    else
      v.forEach((x, i) => {
        item(x, `${p}[${i}]`, out);
      });
  };
const record =
  (item: Check): Check =>
  (v, p, out) => {
    if (!isObj(v)) out.push(`${p}: an object expected`);
    else for (const [k, x] of Object.entries(v)) item(x, `${p}.${k}`, out);
  };
const obj =
  (fields: Record<string, Check>): Check =>
  (v, p, out) => {
    if (!isObj(v)) {
      out.push(`${p}: an object expected`);
      return;
    }
    for (const [k, c] of Object.entries(fields)) {
      if (!(k in v)) out.push(`${p}.${k}: missing`);
      else c(v[k], `${p}.${k}`, out);
    }
  };
const stageName: Check = (v, p, out) => {
  if (!(STAGE_NAMES as readonly unknown[]).includes(v)) out.push(`${p}: one of ${STAGE_NAMES.join(', ')} expected`);
};
const anyNumberOrNaN: Check = (v, p, out) => {
  if (v !== null && typeof v !== 'number') out.push(`${p}: a number or null expected`);
};
const series = obj({ trajectory: num, t: arr(num), values: record(arr(anyNumberOrNaN)) });
const front = obj({ complexity: num, loss: num, score: num, expression: str, latex: str });

const SCHEMA: Check = obj({
  version: (v, p, out) => {
    if (v !== REPORT_VERSION) out.push(`${p}: ${REPORT_VERSION} expected`);
  },
  generator: str,
  options: obj({
    seed: num,
    budget: num,
    workers: (v, p, out) => (v === 'auto' ? undefined : num(v, p, out)),
    stages: arr(stageName),
  }),
  data: obj({ file: str, rows: num, channels: arr(str), trajectories: num, timeSpan: arr(num) }),
  equations: record(str),
  equationsLatex: record(str),
  discovered: record(
    obj({
      expression: str,
      latex: str,
      searched: str,
      inputs: arr(str),
      complexity: num,
      networkRms: num,
      errorRms: num,
      front: arr(front),
      samples: obj({ inputs: record(arr(num)), network: arr(num), expression: arr(num) }),
    }),
  ),
  parameters: obj({ final: record(num), byStage: record(record(num)) }),
  initial: obj({ final: arr(record(num)), byStage: record(arr(record(num))) }),
  stages: arr(obj({ name: stageName, loss: numOrNull, seconds: num, steps: num, stopReason: str, message: str })),
  fit: obj({ residualRms: record(anyNumberOrNaN), noiseRms: record(anyNumberOrNaN) }),
  predictions: obj({ byStage: record(arr(series)), extrapolation: arr(series) }),
  lossCurves: record(arr(num)),
  observed: arr(series),
});

/**
 * Checks a parsed report.json against the schema documented in apps/demo/README.md. Returns the
 * problems (path and what was expected); empty when the report conforms.
 */
export function checkReport(report: unknown): string[] {
  const out: string[] = [];
  SCHEMA(report, 'report', out);
  return out;
}

// The SR-suite's run records: one JSON line per (target, condition, search), appended to a file
// (`--resume FILE`) so a long protocol run can stop, resume and be split into shards, and the
// summaries (per search × condition, per family, old against new) computed from all the lines.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One run's line (the fields the summaries and the resume logic read). */
export interface RunRecord {
  readonly workload: 'SR-suite';
  readonly case: string;
  readonly family: string;
  readonly condition: string;
  readonly search: string;
  readonly recovered: boolean;
  readonly recoveredOnFront: boolean;
  readonly seconds: number;
  readonly cpuSeconds?: number;
  readonly stopReason?: string;
  /** The protocol the run was made under (a resumed run must use the same). */
  readonly protocol: Protocol;
  readonly [k: string]: unknown;
}

/** The settings that make runs comparable. */
export interface Protocol {
  readonly secondsPerTarget: number;
  readonly workers: number;
  readonly clock: 'wall' | 'cpu';
  readonly maxEvals: number | null;
  readonly knownNoise: boolean;
}

export const keyOf = (r: { case: string; condition: string; search: string }): string =>
  `${r.case}|${r.condition}|${r.search}`;

const sameProtocol = (a: Protocol, b: Protocol): boolean =>
  a.secondsPerTarget === b.secondsPerTarget &&
  a.workers === b.workers &&
  a.clock === b.clock &&
  a.maxEvals === b.maxEvals &&
  a.knownNoise === b.knownNoise;

/**
 * The run lines already in `file` (none when it does not exist).
 *
 * @throws Error when a line is not a run record, or was made under another protocol than `protocol`.
 */
export function readRuns(file: string, protocol?: Protocol): RunRecord[] {
  if (!existsSync(file)) return [];
  const out: RunRecord[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let r: RunRecord;
      try {
        r = JSON.parse(line) as RunRecord;
      } catch {
        throw new Error(`sr-suite: ${file}:${i + 1} is not JSON; fix or remove that line.`);
      }
      if (r.workload !== 'SR-suite' || r.case === 'summary') return;
      if (protocol !== undefined && (r.protocol === undefined || !sameProtocol(r.protocol, protocol))) {
        throw new Error(
          `sr-suite: ${file}:${i + 1} was run under ${JSON.stringify(r.protocol)}, not ${JSON.stringify(protocol)}; resume with the same --seconds/--workers/--clock/--max-evals/--known-noise or another file.`,
        );
      }
      out.push(r);
    });
  return out;
}

/** Appends one record to `file` (one line, so concurrent shards writing the same file do not interleave). */
export function appendRun(file: string, r: RunRecord): void {
  appendFileSync(file, `${JSON.stringify(r)}\n`);
}

interface Tally {
  recovered: number;
  onFront: number;
  total: number;
  seconds: number;
  earlyStops: number;
}

/** Summary lines: per search × condition (all families, then per family), and old against new per condition. */
export function summaries(runs: readonly RunRecord[]): Record<string, unknown>[] {
  const tally = new Map<string, Tally>();
  const add = (key: string, r: RunRecord) => {
    const t = tally.get(key) ?? { recovered: 0, onFront: 0, total: 0, seconds: 0, earlyStops: 0 };
    t.recovered += r.recovered ? 1 : 0;
    t.onFront += r.recoveredOnFront ? 1 : 0;
    t.total++;
    t.seconds += r.seconds;
    t.earlyStops += r.stopReason === 'earlyStop' ? 1 : 0;
    tally.set(key, t);
  };
  for (const r of runs) {
    add(`${r.search}|${r.condition}|all`, r);
    add(`${r.search}|${r.condition}|${r.family}`, r);
    add(`${r.search}|all|all`, r);
  }
  const lines: Record<string, unknown>[] = [...tally.entries()].sort().map(([key, t]) => {
    const [search, condition, family] = key.split('|');
    return {
      workload: 'SR-suite',
      case: 'summary',
      search,
      condition,
      family,
      recovered: t.recovered,
      total: t.total,
      rate: Number((t.recovered / t.total).toFixed(3)),
      recoveredOnFront: t.onFront,
      meanSeconds: Number((t.seconds / t.total).toFixed(1)),
      earlyStops: t.earlyStops,
    };
  });
  // old against new on the runs both searches made (paired: same target and condition)
  const by = new Map(runs.map((r) => [keyOf(r), r]));
  const pairs = new Map<string, { both: number; oldOk: number; newOk: number; gained: string[]; lost: string[] }>();
  for (const r of runs) {
    if (r.search !== 'new') continue;
    const o = by.get(keyOf({ ...r, search: 'old' }));
    if (o === undefined) continue;
    const p = pairs.get(r.condition) ?? { both: 0, oldOk: 0, newOk: 0, gained: [], lost: [] };
    p.both++;
    p.oldOk += o.recovered ? 1 : 0;
    p.newOk += r.recovered ? 1 : 0;
    if (r.recovered && !o.recovered) p.gained.push(r.case);
    if (!r.recovered && o.recovered) p.lost.push(r.case);
    pairs.set(r.condition, p);
  }
  for (const [condition, p] of [...pairs.entries()].sort()) {
    lines.push({
      workload: 'SR-suite',
      case: 'compare',
      condition,
      paired: p.both,
      old: p.oldOk,
      new: p.newOk,
      gained: p.gained,
      lost: p.lost,
    });
  }
  return lines;
}

import { Expression } from './expression.js';
import type { ExprNode } from './node.js';
import type { HallOfFameEntry } from './search-options.js';

/** A scored tree. */
export interface Candidate {
  readonly tree: ExprNode;
  readonly loss: number;
  readonly complexity: number;
}

/**
 * The best (lowest-loss) candidate seen at each complexity.
 *
 * @example
 * ```ts
 * import { HallOfFame, parseExpression } from '@odekit/symbolic';
 * const hof = new HallOfFame(10);
 * hof.update({ tree: parseExpression('x').root, loss: 1, complexity: 1 });
 * hof.update({ tree: parseExpression('x*y').root, loss: 2, complexity: 3 }); // worse than a simpler one
 * if (hof.members().length !== 2 || hof.front(0).length !== 1) throw new Error('bad');
 * ```
 */
export class HallOfFame {
  private readonly slots: (Candidate | undefined)[];

  constructor(readonly maxSize: number) {
    this.slots = new Array<Candidate | undefined>(maxSize + 1).fill(undefined);
  }

  /** Keeps `c` if it beats the current holder of its complexity; returns whether it did. */
  update(c: Candidate): boolean {
    if (!(c.loss < Number.POSITIVE_INFINITY) || c.complexity > this.maxSize || c.complexity < 1) return false;
    const cur = this.slots[c.complexity];
    if (cur !== undefined && !(c.loss < cur.loss)) return false;
    this.slots[c.complexity] = c;
    return true;
  }

  /** The holder at `complexity`, if any. */
  at(complexity: number): Candidate | undefined {
    return this.slots[complexity];
  }

  /** All holders, by increasing complexity. */
  members(): Candidate[] {
    return this.slots.filter((c): c is Candidate => c !== undefined);
  }

  /**
   * The Pareto front: holders whose loss is lower than that of every simpler holder. Losses below
   * `lossFloor` count as equal to it (float64 round-off), so an exact fit is not displaced by a
   * bigger exact fit that is only luckier in the last bits.
   */
  front(lossFloor: number): Candidate[] {
    const out: Candidate[] = [];
    let best = Number.POSITIVE_INFINITY;
    for (const c of this.members()) {
      const l = Math.max(c.loss, lossFloor);
      if (l < best) {
        out.push(c);
        best = l;
      }
    }
    return out;
  }
}

/** Front entries with PySR's score −Δlog(loss)/Δcomplexity (losses floored at `lossFloor`). */
export function scoreFront(front: readonly Candidate[], lossFloor: number): HallOfFameEntry[] {
  let prev: Candidate | undefined;
  return front.map((c) => {
    let score = 0;
    if (prev !== undefined) {
      const dl = Math.log(Math.max(c.loss, lossFloor)) - Math.log(Math.max(prev.loss, lossFloor));
      score = Math.max(-dl / (c.complexity - prev.complexity), 0);
    }
    prev = c;
    return { complexity: c.complexity, loss: c.loss, score, expr: new Expression(c.tree) };
  });
}

/**
 * PySR's model selection over a scored front: `'accuracy'` the lowest loss, `'score'` the highest
 * score, `'best'` the highest score among entries whose loss is at most 1.5× the lowest (losses
 * floored at `lossFloor`).
 *
 * @throws Error when the front is empty.
 * @example
 * ```ts
 * import { parseExpression, selectModel } from '@odekit/symbolic';
 * const e = (s: string, loss: number, score: number) => ({ complexity: parseExpression(s).complexity, loss, score, expr: parseExpression(s) });
 * const front = [e('1', 10, 0), e('x', 1, 2.3), e('x + 0.001', 0.9, 0.05)];
 * if (selectModel(front, 'best').expr.toString() !== 'x' || selectModel(front, 'accuracy').loss !== 0.9) throw new Error('bad');
 * ```
 */
export function selectModel(
  entries: readonly HallOfFameEntry[],
  rule: 'best' | 'accuracy' | 'score',
  lossFloor = 0,
): HallOfFameEntry {
  if (entries.length === 0)
    throw new Error('selectModel: the hall of fame is empty (every candidate had a non-finite loss).');
  const loss = (e: HallOfFameEntry) => Math.max(e.loss, lossFloor);
  const minLoss = Math.min(...entries.map(loss));
  const pool = rule === 'best' ? entries.filter((e) => loss(e) <= 1.5 * minLoss) : entries;
  let best = pool[0] as HallOfFameEntry;
  for (const e of pool) {
    if (rule === 'accuracy' ? loss(e) < loss(best) : e.score > best.score) best = e;
  }
  return best;
}

import type { AcceptedStep } from '../integrate.js';
import type { HostField, StepTolerances } from '../solver.js';

/**
 * The start states of a solve's accepted steps for the implicit adjoint's backward pass: every
 * state, or with `capacity` at most that many, at a stride that doubles whenever the slots fill
 * up (as `recursiveCheckpointAdjoint`'s explicit path keeps them). The backward pass asks for
 * segments in reverse; a thinned segment is recomputed from its checkpoint by re-taking its
 * accepted steps (`replay`, no error estimate), so memory is O(capacity + stride) states.
 */
export class StartStates {
  private readonly kept = new Map<number, Float64Array>();
  private stride = 1;
  private count = 0;

  constructor(private readonly capacity: number | undefined) {}

  /** Records the start state of the next accepted step. */
  push(y0: Float64Array): void {
    const step = this.count++;
    if (step % this.stride !== 0) return;
    this.kept.set(step, Float64Array.from(y0));
    if (this.capacity !== undefined && this.kept.size > this.capacity) {
      this.stride *= 2;
      for (const s of [...this.kept.keys()]) if (s !== 0 && s % this.stride !== 0) this.kept.delete(s);
    }
  }

  /** How many states are held now (for tests). */
  get held(): number {
    return this.kept.size;
  }

  /**
   * Visits the steps from last to first with their start states, recomputing each thinned
   * segment forward from its checkpoint with `replay`.
   */
  backward(
    steps: readonly AcceptedStep[],
    replay: (t0: number, h: number, y0: Float64Array) => Float64Array,
    visit: (k: number, y0: Float64Array) => void,
  ): void {
    const cps = [...this.kept.keys()].sort((a, b) => a - b);
    for (let i = cps.length - 1; i >= 0; i--) {
      const from = cps[i] as number;
      const to = i + 1 < cps.length ? (cps[i + 1] as number) : steps.length;
      const states: Float64Array[] = [this.kept.get(from) as Float64Array];
      for (let k = from; k < to - 1; k++) {
        const st = steps[k] as AcceptedStep;
        states.push(replay(st.t0, st.h, states[states.length - 1] as Float64Array));
      }
      for (let k = to - 1; k >= from; k--) visit(k, states[k - from] as Float64Array);
      this.kept.delete(from);
    }
  }
}

/** Re-takes an accepted step on host arrays (no error estimate); throws if it no longer succeeds. */
export function replayStep(
  stepHost: NonNullable<import('../solver.js').AbstractSolver['stepHost']>,
  f: HostField,
  tol: StepTolerances,
  name: string,
): (t0: number, h: number, y0: Float64Array) => Float64Array {
  return (t0, h, y0) => {
    const out = stepHost(f, t0, h, y0, undefined, false, tol);
    if (!out.y1.every(Number.isFinite)) {
      throw new Error(`${name}: the backward pass could not recompute the accepted step at t = ${t0}.`);
    }
    return out.y1;
  };
}

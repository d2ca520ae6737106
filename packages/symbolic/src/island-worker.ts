// The part of a parallel search that runs inside one worker: it owns some islands and evolves them
// one iteration per request. Plain data in and out (structured-clone safe), no Node imports, so the
// protocol is tested without threads.
import type { Rng } from '@odekit/core';
import { evolvePopulation, optimizeAndSimplify } from './evolution.js';
import { passesScreen } from './hof-offer.js';
import { migrate } from './migration.js';
import { binary, call, constant, type ExprNode, unary, variable } from './node.js';
import { type Member, makeMember } from './search-context.js';
import type { SymbolicRegressionOptions } from './search-options.js';
import { type SearchSetup, setupSearch } from './search-setup.js';

/** Options a worker can receive: everything but callbacks and the signal. */
export type WorkerSearchOptions = Omit<SymbolicRegressionOptions, 'onProgress' | 'signal' | 'earlyStop'>;

/** The first message to a worker. */
export interface IslandInit {
  readonly type: 'init';
  readonly options: WorkerSearchOptions;
  /** Islands this worker owns (indices into the seed's split streams). */
  readonly islands: readonly number[];
  /** Wall-clock deadline (`Date.now()` milliseconds) and this worker's share of maxEvals. */
  readonly deadline: number;
  readonly maxEvals: number;
  /** Int32 flag set to 1 by the main thread to stop every worker at its next check. */
  readonly stopFlag: SharedArrayBuffer;
}

/** A scored tree as it crosses threads. */
export interface WireMember {
  readonly tree: ExprNode;
  readonly loss: number;
  readonly cost: number;
  readonly complexity: number;
  /** The full-data loss, when the worker computed it (the member may enter the hall of fame). */
  readonly fullLoss?: number;
}

/** One iteration request: the migration pools gathered by the main thread at the last boundary. */
export interface IslandStep {
  readonly type: 'step';
  readonly iteration: number;
  readonly migrants: readonly WireMember[];
  readonly hofMigrants: readonly WireMember[];
  /** The hall of fame's loss at each complexity (index), Infinity where empty: the screening bar. */
  readonly holderLosses: readonly number[];
  /** Islands to restart with a fresh random population before this iteration (see `RestartTracker`). */
  readonly restart?: readonly number[];
}

/** A worker's answer to init or step: its islands' members (by island), evaluations so far, and whether it ran to the end. */
export interface IslandReport {
  readonly type: 'report';
  readonly islands: readonly (readonly WireMember[])[];
  readonly evaluations: number;
  readonly finished: boolean;
}

/** Rebuilds a frozen tree from a structured clone (which drops the freeze). */
export function thawTree(n: ExprNode): ExprNode {
  switch (n.kind) {
    case 'const':
      return constant(n.value);
    case 'var':
      return variable(n.name);
    case 'unary':
      return unary(n.op, thawTree(n.arg));
    case 'binary':
      return binary(n.op, thawTree(n.left), thawTree(n.right));
    case 'call':
      return call(n.name, n.args.map(thawTree));
  }
}

/** The islands of one worker and their search state. */
export class IslandGroup {
  private readonly setup: SearchSetup;
  private readonly pops: Member[][];

  constructor(private readonly init: IslandInit) {
    const flag = new Int32Array(init.stopFlag);
    const setup = setupSearch(init.options, () => {
      return Atomics.load(flag, 0) !== 0 || Date.now() >= init.deadline || setup.objective.evaluations >= init.maxEvals;
    });
    this.setup = setup;
    this.pops = init.islands.map((p) => setup.initialPopulation(p));
  }

  /**
   * The current members, by island, with full-data losses for those that may enter the hall of
   * fame: all of them without batching (their losses are full-data ones) or with `holderLosses`
   * undefined (the initial populations); with batching, those that pass the screen
   * ({@link passesScreen}), evaluated here so the main thread does not (see
   * offerToHallOfFame, the serial search's version).
   */
  report(finished: boolean, holderLosses?: readonly number[]): IslandReport {
    const { objective, context } = this.setup;
    const wire = (m: Member): WireMember => {
      const base = { tree: m.tree, loss: m.loss, cost: m.cost, complexity: m.complexity };
      if (!context.batched || holderLosses === undefined) return { ...base, fullLoss: m.loss };
      return passesScreen(m.loss, holderLosses[m.complexity])
        ? { ...base, fullLoss: objective.fullLoss(m.tree) }
        : base;
    };
    return {
      type: 'report',
      islands: this.pops.map((pop) => pop.map(wire)),
      evaluations: this.setup.objective.evaluations,
      finished,
    };
  }

  /** One iteration of every island (evolve, simplify and optimise, migrate), as the serial search does per island. */
  step(msg: IslandStep): IslandReport {
    const s = this.setup;
    const { context } = s;
    const curMaxSize = s.sizeAt(msg.iteration);
    const toMembers = (ms: readonly WireMember[]) => ms.map((m) => makeMember(context, thawTree(m.tree), m.loss));
    const migrants = s.migration && s.populations > 1 ? toMembers(msg.migrants) : [];
    const hofMigrants = s.hofMigration ? toMembers(msg.hofMigrants) : [];
    let finished = true;
    for (const [k, p] of this.init.islands.entries()) {
      if (msg.restart?.includes(p)) this.pops[k] = s.randomPopulation(p);
      const pop = this.pops[k] as Member[];
      const rng = s.rngs[p] as Rng;
      finished = evolvePopulation(pop, context, s.ncyclesPerIteration, curMaxSize, rng) && finished;
      optimizeAndSimplify(pop, context, curMaxSize, rng);
      s.updateFrequencies(pop);
      migrate(pop, migrants, s.fractionReplaced, context, rng);
      migrate(pop, hofMigrants, s.fractionReplacedHof, context, rng);
      if (!finished || context.shouldStop()) return this.report(false, msg.holderLosses);
    }
    return this.report(finished, msg.holderLosses);
  }
}

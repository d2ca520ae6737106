import type { TensorTree } from '@odekit/core';
import { paramsFromJSON, paramsToJSON } from '@odekit/core';
import type { OptState } from './transform.js';

/** The format name and version of checkpoints. */
export const CHECKPOINT_FORMAT = Object.freeze({ name: 'odekit-checkpoint', version: 1 });

/** Where `fit` keeps checkpoints: any store of one text (a file in Node, memory, IndexedDB…). */
export interface CheckpointStore {
  save(text: string): void | Promise<void>;
  load(): string | undefined | Promise<string | undefined>;
}

/** The progress counters saved with a checkpoint. */
export interface CheckpointMeta {
  /** Steps done in all. */
  step: number;
  /** The stage in progress and the steps done in it. */
  stage: number;
  stageStep: number;
  /** Loss per step so far. */
  history: number[];
}

/** Encodes parameters, optimiser state and counters as JSON text. */
export function encodeCheckpoint(meta: CheckpointMeta, params: TensorTree, optState: OptState): string {
  const trees = JSON.parse(paramsToJSON({ params, optState })) as unknown;
  return JSON.stringify({ format: CHECKPOINT_FORMAT.name, version: CHECKPOINT_FORMAT.version, ...meta, trees });
}

/** Reads the counters of a checkpoint, checking its format. */
export function checkpointMeta(text: string): CheckpointMeta & { trees: object } {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`fit: the checkpoint is not valid JSON (${(e as Error).message}); it is corrupt or truncated.`);
  }
  if (doc?.format !== CHECKPOINT_FORMAT.name || doc.version !== CHECKPOINT_FORMAT.version) {
    throw new Error(
      `fit: not an odekit checkpoint of version ${CHECKPOINT_FORMAT.version} (format ${JSON.stringify(doc?.format)}, version ${JSON.stringify(doc?.version)}).`,
    );
  }
  const { step, stage, stageStep, history, trees } = doc as Record<string, unknown>;
  const ints = [step, stage, stageStep].every((v) => Number.isInteger(v) && (v as number) >= 0);
  if (!ints || !Array.isArray(history) || history.length !== step || typeof trees !== 'object' || trees === null) {
    throw new Error('fit: the checkpoint counters are malformed; it is corrupt.');
  }
  return {
    step: step as number,
    stage: stage as number,
    stageStep: stageStep as number,
    history: history as number[],
    trees,
  };
}

/** Decodes the trees of a checkpoint into the structures of `params` and `optState` (checked). */
export function checkpointTrees<P extends TensorTree, S extends OptState>(
  trees: object,
  params: P,
  optState: S,
): { params: P; optState: S } {
  return paramsFromJSON(trees, { params, optState } as never) as unknown as { params: P; optState: S };
}

/**
 * A checkpoint store in memory (for tests and browsers).
 *
 * @example
 * ```ts
 * import { memoryCheckpointStore } from '@odekit/train';
 * const store = memoryCheckpointStore();
 * await store.save('x');
 * if ((await store.load()) !== 'x') throw new Error('bad');
 * ```
 */
export function memoryCheckpointStore(): CheckpointStore & { text: string | undefined } {
  const store = {
    text: undefined as string | undefined,
    save(text: string) {
      store.text = text;
    },
    load: () => store.text,
  };
  return store;
}

import {
  disposeTree,
  type TensorTree,
  treeFlatten,
  treeLeaves,
  treeMapWithPath,
  treeUnflatten,
  valueAndGrad,
} from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { makeBatcher } from './batches.js';
import { type CheckpointStore, checkpointMeta, checkpointTrees, encodeCheckpoint } from './checkpoint.js';
import { applyUpdates } from './combine.js';
import type { ProgressReporter } from './progress.js';
import { type Curriculum, type FitStage, resolveStages, selectorPredicate } from './stages.js';
import { type GradientTransformation, type OptState, tidy } from './transform.js';

/** What the loss function learns about the step it serves. */
export interface FitContext {
  /** Steps done before this one, in all. */
  step: number;
  /** Stage index and name, steps done in the stage. */
  stage: number;
  stageName: string;
  stageStep: number;
  /** The curriculum fraction of each series to use (1 = all of it); see `prefixLength`. */
  length: number;
  /** The epoch of the minibatch. */
  epoch: number;
}

/** What `onStep` receives. `params` is borrowed: valid only during the callback. */
export interface StepInfo<P> extends FitContext {
  loss: number;
  params: P;
  elapsedMs: number;
}

/** Why `fit` stopped. */
export type StopReason = 'completed' | 'aborted' | 'early_stopping' | 'nonfinite';

/** Options of {@link fit}. */
export interface FitOptions<P extends TensorTree, B extends TensorTree | undefined> {
  /** The initial parameters (borrowed: never disposed or modified). */
  params: P;
  /** The scalar loss of the parameters on a batch. Trainable values reach an ODE through `args`. */
  loss: (params: P, batch: B, ctx: FitContext) => tf.Tensor;
  /** The gradient transformation, e.g. `adam({ learningRate: 1e-2 })`. */
  optimizer: GradientTransformation;
  /** Data; with `batchSize`, every leaf is `[nSamples, ...]` and batches are gathered along axis 0. */
  data?: B;
  /** Minibatch size (default: all of `data` every step). */
  batchSize?: number;
  /** Seed of the minibatch shuffling (default 0). */
  seed?: number;
  /** One stage of this many steps (or give `stages` or `curriculum`). */
  steps?: number;
  /** Stages, e.g. `[{ train: 'physics', steps: 300 }, { train: 'network', steps: 500 }]`. */
  stages?: readonly FitStage[];
  /** Diffrax's `lengthStrategy`/`stepsStrategy` curriculum. */
  curriculum?: Curriculum;
  /** Leaves that may train at all (default every leaf); the others stay frozen throughout. */
  trainable?: (path: string) => boolean;
  /** Named leaf groups for stages' `train` (default: top-level keys of `params`). */
  groups?: Readonly<Record<string, (path: string) => boolean>>;
  /** Stops the run between steps; `fit` then resolves with `stopReason: 'aborted'`. */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (info: StepInfo<P>) => void | Promise<void>;
  /** Called after every epoch with its mean loss. */
  onEpoch?: (info: { epoch: number; meanLoss: number; step: number }) => void | Promise<void>;
  /** A progress reporter (e.g. `terminalProgress()` from `@odekit/train/node`). */
  progress?: ProgressReporter;
  /** Stop when the loss has not improved by `minDelta` (default 0) for `patience` steps. */
  earlyStopping?: { patience: number; minDelta?: number };
  /**
   * Stop at a non-finite loss or gradient, or a failed solve (a `SolveError` thrown by the loss),
   * with the last good parameters (default true).
   */
  nanGuard?: boolean;
  /** Save parameters, optimiser state and counters every `every` steps and at the end. */
  checkpoint?: { store: CheckpointStore; every?: number };
  /** Resume from this checkpoint store (or text) when it holds one. */
  resume?: CheckpointStore | string;
  /** Yield to the event loop at least this often (default 50 ms). */
  yieldEveryMs?: number;
}

/** The result of {@link fit}; the caller owns `params`. */
export interface FitResult<P> {
  params: P;
  /** The loss of every step, in order (finite values only). */
  history: number[];
  /** The stages that ran (at least one step, or configured with none), with their steps and last loss. */
  stages: { name: string; steps: number; finalLoss: number }[];
  stopReason: StopReason;
  /** A sentence saying how the run ended. */
  message: string;
  /** Steps done in all. */
  steps: number;
}

const yieldNow = (): Promise<void> =>
  new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (typeof g.setImmediate === 'function') g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/** Whether `e` is a numerical failure of a solve (a `SolveError` of @odekit/solvers carries a `result` code). */
function isSolveFailure(e: unknown): boolean {
  return e instanceof Error && e.name === 'SolveError' && typeof (e as { result?: unknown }).result === 'string';
}

/** Disposes the leaves of `old` that are not also leaves of `next`. */
function disposeReplaced(old: unknown, next: unknown): void {
  const keep = new Set(treeLeaves<unknown>(next as TensorTree));
  for (const leaf of treeLeaves<unknown>(old as TensorTree)) {
    if (leaf instanceof tf.Tensor && !keep.has(leaf) && !leaf.isDisposed) leaf.dispose();
  }
}

/**
 * The one training loop: minimises `loss(params, batch, ctx)` with a gradient transformation,
 * through stages (curricula, physics first then frozen), asynchronously.
 *
 * Per step: a seeded minibatch, `valueAndGrad` over the trainable leaves only (frozen leaves
 * get no gradient and stay the very same tensors, bit for bit), the optimiser update, one read
 * of the loss (and, with the NaN guard, the gradient norm). Every stage starts a fresh
 * optimiser state unless `resetOptimizer: false` and it trains the same leaves with the same
 * optimiser. The loop yields to the event loop, honours `signal`, reports progress, can stop
 * early, stops at NaN with the last good parameters, and checkpoints to a store.
 *
 * @throws Error for invalid options (naming them), a stage that selects no leaf, or a corrupt
 *   or mismatched checkpoint (before any step runs); errors thrown by `loss` propagate after
 *   every tensor of `fit` is disposed.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fit, adam } from '@odekit/train';
 * const x = tf.linspace(0, 1, 20);
 * const y = x.mul(3).add(1);
 * const res = await fit({
 *   params: { a: tf.scalar(0), b: tf.scalar(0) },
 *   loss: (p) => tf.mean(tf.square(x.mul(p.a).add(p.b).sub(y))),
 *   optimizer: adam({ learningRate: 0.1 }),
 *   steps: 500,
 * });
 * if (Math.abs((res.params.a.dataSync()[0] ?? 0) - 3) > 0.05 || res.stopReason !== 'completed') throw new Error('bad');
 * ```
 */
export async function fit<P extends TensorTree, B extends TensorTree | undefined = undefined>(
  options: FitOptions<P, B>,
): Promise<FitResult<P>> {
  const {
    params: initialParams,
    loss,
    optimizer,
    data,
    batchSize,
    seed = 0,
    steps,
    stages: stagesOption,
    curriculum,
    trainable = () => true,
    groups = {},
    signal,
    onStep,
    onEpoch,
    progress,
    earlyStopping,
    nanGuard = true,
    checkpoint,
    resume,
    yieldEveryMs = 50,
  } = options;
  if (typeof loss !== 'function')
    throw new Error("fit: 'loss' must be a function (params, batch, ctx) => scalar tensor.");
  if (optimizer === undefined || typeof optimizer.init !== 'function' || typeof optimizer.update !== 'function') {
    throw new Error("fit: 'optimizer' must be a gradient transformation, e.g. adam({ learningRate: 1e-3 }).");
  }
  if (earlyStopping !== undefined && !(Number.isInteger(earlyStopping.patience) && earlyStopping.patience >= 1)) {
    throw new Error(`fit: 'earlyStopping.patience' must be an integer >= 1, got ${earlyStopping.patience}.`);
  }
  if (
    checkpoint !== undefined &&
    checkpoint.every !== undefined &&
    !(Number.isInteger(checkpoint.every) && checkpoint.every >= 1)
  ) {
    throw new Error(`fit: 'checkpoint.every' must be an integer >= 1, got ${checkpoint.every}.`);
  }
  const stages = resolveStages(steps, stagesOption, curriculum);
  const stageNames = stages.map((s, i) => s.name ?? `stage ${i}`);
  const total = stages.reduce((n, s) => n + s.steps, 0);

  // Leaf paths in flatten order, and the tree structure to rebuild params from leaves.
  const paths: string[] = [];
  treeMapWithPath((path: string, leaf: unknown) => {
    if (!(leaf instanceof tf.Tensor) || leaf.isDisposed) {
      throw new Error(
        `fit: leaf '${path || '<root>'}' of 'params' is not a live tf.Tensor; params must be a tree of tensors.`,
      );
    }
    paths.push(path);
    return null;
  }, initialParams);
  const { treedef } = treeFlatten<tf.Tensor>(initialParams);
  const stagePreds = stages.map((s, i) => {
    const pred = selectorPredicate(s.train, groups, i);
    const selected = paths.filter((p) => trainable(p) && pred(p));
    if (selected.length === 0 && s.steps > 0) {
      throw new Error(
        `fit: stage ${i} ('${stageNames[i]}') trains no leaf; its 'train' selector matches none of ${paths.map((p) => `'${p}'`).join(', ')}.`,
      );
    }
    return new Set(selected);
  });

  // Resume: read and check the checkpoint before anything is allocated.
  let resumeText: string | undefined;
  if (resume !== undefined) resumeText = typeof resume === 'string' ? resume : await resume.load();
  const meta = resumeText === undefined ? undefined : checkpointMeta(resumeText);
  if (meta !== undefined && (meta.stage >= stages.length || meta.stageStep > (stages[meta.stage] as FitStage).steps)) {
    throw new Error(
      `fit: the checkpoint is at stage ${meta.stage} step ${meta.stageStep}, beyond these stages; resume with the same stages.`,
    );
  }

  // Working copies: `leaves` holds the current tensor of every path.
  let leaves = new Map<string, tf.Tensor>();
  const flat0 = treeFlatten<tf.Tensor>(initialParams).leaves;
  paths.forEach((p, i) => {
    leaves.set(p, tf.clone(flat0[i] as tf.Tensor));
  });
  const rebuild = (): P =>
    treeUnflatten(
      treedef,
      paths.map((p) => leaves.get(p) as tf.Tensor),
    ) as P;
  let state: OptState | undefined;
  let stateOwner: { optimizer: GradientTransformation; trained: Set<string> } | undefined;
  let prevGood: Map<string, tf.Tensor> | undefined; // the leaves the last update replaced, as they were
  let lastStage = meta?.stage ?? 0;
  /** Puts back the leaves of `prevGood` (the parameters of the last step whose loss and gradient were finite). */
  const restorePrevGood = (): boolean => {
    if (prevGood === undefined) return false;
    for (const [p, t] of prevGood) {
      leaves.get(p)?.dispose();
      leaves.set(p, t);
    }
    prevGood = undefined;
    return true;
  };
  const history: number[] = meta ? [...meta.history] : [];
  const stageResults = stageNames.map((name) => ({ name, steps: 0, finalLoss: Number.NaN }));
  let stopReason: StopReason = 'completed';
  let message = '';
  let step = meta?.step ?? 0;
  const batcher = makeBatcher(data, batchSize, seed);
  batcher.skip(step);
  const started = performance.now();
  let lastYield = started;
  let best = Number.POSITIVE_INFINITY;
  let sinceBest = 0;
  let epochSum = 0;
  let epochCount = 0;
  const trainedRecord = (set: Set<string>): Record<string, tf.Tensor> => {
    const r: Record<string, tf.Tensor> = {};
    for (const p of set) r[p] = leaves.get(p) as tf.Tensor;
    return r;
  };
  const saveCheckpoint = async (stage: number, stageStep: number) => {
    if (checkpoint === undefined) return;
    const params = rebuild();
    await checkpoint.store.save(encodeCheckpoint({ step, stage, stageStep, history }, params, state ?? {}));
  };

  progress?.start({ total, stages: stageNames });
  try {
    for (let si = meta?.stage ?? 0; si < stages.length; si++) {
      const stage = stages[si] as FitStage;
      const stageOptimizer = stage.optimizer ?? optimizer;
      lastStage = si;
      // `prevGood` survives the change of stage: a stage's first step may fail at the parameters
      // the previous stage's last update made, and then those before it are the last good ones.
      const trained = stagePreds[si] as Set<string>;
      const sameLeaves =
        stateOwner !== undefined &&
        stateOwner.trained.size === trained.size &&
        [...trained].every((p) => stateOwner?.trained.has(p));
      const keep = stage.resetOptimizer === false && stateOwner?.optimizer === stageOptimizer && sameLeaves;
      if (!keep) {
        disposeTree(state);
        state = stageOptimizer.init(trainedRecord(trained));
        stateOwner = { optimizer: stageOptimizer, trained };
      }
      let stageStep = 0;
      if (meta !== undefined && si === meta.stage) {
        // Load the checkpoint's parameters and state into the structures just made (checked).
        const loaded = checkpointTrees(meta.trees, rebuild(), state as OptState);
        disposeTree(state);
        state = loaded.optState;
        const fresh = treeFlatten<tf.Tensor>(loaded.params).leaves;
        for (const t of leaves.values()) t.dispose();
        leaves = new Map(paths.map((p, i) => [p, fresh[i] as tf.Tensor]));
        stageStep = meta.stageStep;
        stageResults[si] = {
          name: stageNames[si] as string,
          steps: stageStep,
          finalLoss: history[history.length - 1] ?? Number.NaN,
        };
      }
      const trainedPaths = [...trained];
      const frozenLeaf = (p: string) => leaves.get(p) as tf.Tensor;
      const lossOfTrained = (tp: Record<string, tf.Tensor>, batch: B, ctx: FitContext): tf.Tensor => {
        const full = treeUnflatten(
          treedef,
          paths.map((p) => tp[p] ?? frozenLeaf(p)),
        ) as P;
        return loss(full, batch, ctx);
      };
      const vg = valueAndGrad(lossOfTrained);
      for (; stageStep < stage.steps; stageStep++) {
        if (signal?.aborted) {
          stopReason = 'aborted';
          message = `aborted at step ${step} of ${total}; the parameters are those after step ${step}.`;
          break;
        }
        const { batch, owned, epoch, endOfEpoch } = batcher.next();
        const ctx: FitContext = {
          step,
          stage: si,
          stageName: stageNames[si] as string,
          stageStep,
          length: stage.length ?? 1,
          epoch,
        };
        const current = trainedRecord(trained);
        let out: { check: tf.Tensor; next: Record<string, tf.Tensor>; state: OptState } | undefined;
        let solveError: Error | undefined;
        try {
          out = tidy(() => {
            const { value, grads } = vg(current, batch as B, ctx);
            const [updates, newState] = stageOptimizer.update(grads, state as OptState, current);
            const next = applyUpdates(current, updates) as Record<string, tf.Tensor>;
            const check = nanGuard
              ? tf.stack([value, tf.addN(trainedPaths.map((p) => tf.sum(tf.square(grads[p] as tf.Tensor))))])
              : tf.reshape(value, [1]);
            return { check, next, state: newState };
          });
        } catch (e) {
          // A solver that fails (e.g. step size underflow as the dynamics blow up) is the
          // NaN guard's business too: stop with the last good parameters.
          if (!(nanGuard && isSolveFailure(e))) throw e;
          solveError = e as Error;
        } finally {
          if (owned) disposeTree(batch);
        }
        if (out === undefined) {
          // The parameters of this step made the solve fail: go back to those of the last good step.
          stopReason = 'nonfinite';
          const reason = (solveError as Error).message.split('\n')[0];
          message = restorePrevGood()
            ? `the loss failed at step ${step + 1} (${reason}); stopped with the last good parameters (those of step ${step}, loss ${history[history.length - 1]}).`
            : `the loss failed at step ${step + 1} (${reason}) at the starting parameters; stopped with them, not updated.`;
          break;
        }
        const values = out.check.dataSync();
        out.check.dispose();
        const lossValue = values[0] as number;
        const gradOk = !nanGuard || Number.isFinite(values[1] as number);
        if (nanGuard && !(Number.isFinite(lossValue) && gradOk)) {
          disposeTree([out.next, out.state]);
          stopReason = 'nonfinite';
          const what = Number.isFinite(lossValue) ? 'gradient was not finite' : `loss was ${lossValue}`;
          message = restorePrevGood()
            ? `the ${what} at step ${step + 1}; stopped with the last good parameters (those of step ${step}, loss ${history[history.length - 1]}).`
            : `the ${what} at step ${step + 1}, at the starting parameters; stopped with them, not updated.`;
          break;
        }
        // Accept the step: keep the previous trained leaves one step (the NaN guard's fallback).
        if (prevGood !== undefined) for (const t of prevGood.values()) t.dispose();
        prevGood = nanGuard ? new Map(trainedPaths.map((p) => [p, leaves.get(p) as tf.Tensor])) : undefined;
        if (!nanGuard) for (const p of trainedPaths) leaves.get(p)?.dispose();
        for (const p of trainedPaths) leaves.set(p, out.next[p] as tf.Tensor);
        disposeReplaced(state, out.state);
        state = out.state;
        step++;
        history.push(lossValue);
        const sr = stageResults[si] as { steps: number; finalLoss: number };
        sr.steps = stageStep + 1;
        sr.finalLoss = lossValue;
        epochSum += lossValue;
        epochCount++;
        const elapsedMs = performance.now() - started;
        progress?.update({ step, total, stage: si, stageName: stageNames[si] as string, loss: lossValue, elapsedMs });
        if (onStep) await onStep({ ...ctx, loss: lossValue, params: rebuild(), elapsedMs });
        if (endOfEpoch) {
          if (onEpoch) await onEpoch({ epoch, meanLoss: epochSum / epochCount, step });
          epochSum = 0;
          epochCount = 0;
        }
        if (checkpoint?.every !== undefined && step % checkpoint.every === 0) await saveCheckpoint(si, stageStep + 1);
        if (earlyStopping !== undefined) {
          if (lossValue < best - (earlyStopping.minDelta ?? 0)) {
            best = lossValue;
            sinceBest = 0;
          } else if (++sinceBest >= earlyStopping.patience) {
            stopReason = 'early_stopping';
            message = `stopped early at step ${step}: no improvement of the loss below ${best} for ${earlyStopping.patience} steps.`;
            stageStep++;
            break;
          }
        }
        if (performance.now() - lastYield >= yieldEveryMs) {
          await yieldNow();
          lastYield = performance.now();
        }
      }
      if (stopReason !== 'completed') {
        if (checkpoint !== undefined) await saveCheckpoint(si, stageStep);
        break;
      }
      if (checkpoint !== undefined && si === stages.length - 1) await saveCheckpoint(si, stageStep);
    }
    if (stopReason === 'completed') message = `completed ${step} steps; final loss ${history[history.length - 1]}.`;
  } catch (e) {
    for (const t of leaves.values()) t.dispose();
    if (prevGood !== undefined) for (const t of prevGood.values()) t.dispose();
    disposeTree(state);
    progress?.stop({ stopReason: 'error', message: (e as Error).message });
    throw e;
  }
  if (prevGood !== undefined) for (const t of prevGood.values()) t.dispose();
  disposeTree(state);
  progress?.stop({ stopReason, message });
  // Only the stages that ran: none after the one the run stopped in, none that did no step.
  const ran = stageResults.filter((r, i) => i <= lastStage && (r.steps > 0 || (stages[i] as FitStage).steps === 0));
  return { params: rebuild(), history, stages: ran, stopReason, message, steps: step };
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * The one place in odekit that touches tfjs's private state: the engine's tape and depth
 * counters, kernel interception (`runKernelFunc`, `read`, `readSync`), a backend's data map, and
 * the identity of tensor data and ids. Every assumption made here is pinned by
 * `tfjs-contract.test.ts` against the tested tfjs (`~4.22.0`); `README.md` next to this file
 * lists them. Sibling packages reach it through `@odekit/core/internal` (not public API).
 */

/** The slice of tfjs's `Engine` that odekit uses, beyond its public methods. */
interface EngineInternals {
  state: { activeTape: unknown; gradientDepth: number; kernelDepth: number };
  backend: { readSync(dataId: object): ArrayLike<number> };
  runKernelFunc(params: KernelParams): unknown;
  readSync(dataId: object): unknown;
  read(dataId: object): unknown;
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
}

const engine = (): EngineInternals => tf.engine() as unknown as EngineInternals;

// ---- tape ------------------------------------------------------------------------------------

/**
 * Runs `fn` with the engine's active gradient tape saved and restored around it (tfjs 4.22 nulls
 * the outer tape when gradients are taken inside a `customGrad` gradient function).
 */
export function withSavedTape<R>(fn: () => R): R {
  const state = engine().state;
  const saved = state.activeTape;
  try {
    return fn();
  } finally {
    state.activeTape = saved;
  }
}

/**
 * The engine's gradients of `f()` with respect to `xs` (cotangent `dy`), unused inputs
 * `undefined`, the tape saved and restored; when `f` throws, the tensors saved by a tape this call
 * started are freed (tfjs frees them only after a successful backward pass).
 */
export function tapeGradients(
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } {
  const eng = engine();
  return withSavedTape(() => {
    try {
      return eng.gradients(f, xs, dy, true);
    } catch (error) {
      const state = eng.state;
      if (state.gradientDepth === 0 && Array.isArray(state.activeTape)) {
        for (const node of state.activeTape as { saved?: tf.Tensor[] }[]) {
          for (const t of node.saved ?? []) t.dispose();
        }
      }
      throw error;
    }
  });
}

/**
 * {@link tapeGradients} on a tape of its own: an enclosing gradient (or backward pass) neither
 * records these ops nor is disturbed by them, and it works inside a kernel too (a `customGrad`
 * forward, where tfjs records nothing: `kernelDepth > 0`).
 */
export function isolatedGradients(
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } {
  const state = engine().state;
  const depth = state.gradientDepth;
  const kernelDepth = state.kernelDepth;
  const tape = state.activeTape;
  state.gradientDepth = 0;
  state.kernelDepth = 0;
  state.activeTape = null;
  try {
    return tapeGradients(f, xs, dy);
  } finally {
    state.gradientDepth = depth;
    state.kernelDepth = kernelDepth;
    state.activeTape = tape;
  }
}

/**
 * Whether a gradient is being recorded around this call (`tf.grad`, `valueAndGrad`, ...), even
 * from inside a kernel (a `customGrad` forward, where tfjs records nothing itself): a custom op
 * asks this to keep what its backward pass will need.
 */
export function gradientIsRecording(): boolean {
  return engine().state.gradientDepth > 0;
}

/** Whether tensor ops made now would be recorded on the tape (tfjs's own `isTapeOn`). */
export function tapeIsRecording(): boolean {
  const state = engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

// ---- kernel interception ----------------------------------------------------------------------

/**
 * What the engine passes to `runKernelFunc`: `kernelName` is absent for a `customGrad` op (its
 * forward function then runs kernels of its own); `inputs` are named as in tfjs's kernel registry.
 */
export interface KernelParams {
  kernelName?: string;
  inputs: Record<string, tf.Tensor | null>;
  attrs?: object;
}

/** Hooks of {@link withKernelHooks}. */
export interface KernelHooks {
  /** Every kernel or custom op run; `run` runs it as tfjs would and returns its output(s). */
  kernel(params: KernelParams, run: (params: KernelParams) => unknown): unknown;
  /** A tensor's values are read (`dataSync`/`arraySync` → 'readSync', `data`/`array` → 'read'). */
  read(kind: 'readSync' | 'read'): void;
}

const HOOKED = ['runKernelFunc', 'readSync', 'read'] as const;

/**
 * Runs `fn` with every kernel run and every value read passed through `hooks`, with no gradient
 * tape (a field may be traced while an outer gradient is recorded), and puts the engine back as it
 * was (the methods are the prototype's unless they were overridden before).
 */
export function withKernelHooks<R>(hooks: KernelHooks, fn: () => R): R {
  const eng = engine();
  const original = eng.runKernelFunc;
  const originalReadSync = eng.readSync;
  const originalRead = eng.read;
  const own = HOOKED.filter((m) => Object.hasOwn(eng, m));
  const savedDepth = eng.state.gradientDepth;
  const run = (params: KernelParams): unknown => original.call(eng, params);
  eng.runKernelFunc = (params) => hooks.kernel(params, run);
  eng.readSync = function (this: EngineInternals, dataId) {
    hooks.read('readSync');
    return originalReadSync.call(this, dataId);
  };
  eng.read = function (this: EngineInternals, dataId) {
    hooks.read('read');
    return originalRead.call(this, dataId);
  };
  eng.state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    eng.runKernelFunc = original;
    eng.readSync = originalReadSync;
    eng.read = originalRead;
    for (const m of HOOKED) {
      if (!own.includes(m)) delete (eng as Partial<EngineInternals>)[m];
    }
    eng.state.gradientDepth = savedDepth;
  }
}

/** The values of `x` read from the backend directly (no engine hooks, no sync bookkeeping). */
export function backendReadSync(x: tf.Tensor): ArrayLike<number> {
  return engine().backend.readSync(x.dataId);
}

// ---- backend data (cpu) ----------------------------------------------------------------------

/** The slice of tfjs-backend-cpu's `MathBackendCPU` that the fast cpu kernels use. */
interface CpuBackendLike {
  data: { get(dataId: tf.TensorInfo['dataId']): { values?: tf.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.BackendValues): tf.TensorInfo;
}

/** The float32 values the cpu `backend` holds for `t` (not a copy), or `undefined`. */
export function cpuFloat32Values(backend: unknown, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (t === undefined || t.dtype !== 'float32') return undefined;
  const values = (backend as CpuBackendLike).data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/** The int32 values the cpu `backend` holds for `t` (not a copy), or `undefined`. */
export function cpuInt32Values(backend: unknown, t: tf.TensorInfo | undefined): Int32Array | undefined {
  if (t === undefined || t.dtype !== 'int32') return undefined;
  const values = (backend as CpuBackendLike).data.get(t.dataId).values;
  return values instanceof Int32Array ? values : undefined;
}

/** A new float32 tensor on the cpu `backend` that owns `values`. */
export function cpuFloat32Result(backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo {
  return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', values);
}

// ---- identity --------------------------------------------------------------------------------

/**
 * An object that stands for the storage of `t`'s values: tensors with the same one share values
 * (reshapes, cpu clones). Caches keyed by it assume the values behind it are never written in
 * place, which holds for tensors made by tfjs ops and for `tf.tensor(array)` of an array the
 * caller does not change afterwards. The wasm backend's `clone` copies, so a clone has another.
 */
export function dataIdentity(t: tf.Tensor): object {
  return t.dataId as object;
}

/** Whether `a` was made after `b` (tensor ids grow with every tensor made). */
export function madeAfter(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.id > b.id;
}

/** A number that names `t` among live tensors (for maps from tensors to what a trace made). */
export function tensorId(t: tf.Tensor): number {
  return t.id;
}

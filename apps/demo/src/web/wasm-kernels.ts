import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend's output helpers that this kernel uses (tfjs-backend-wasm 4.22 `BackendWasm`). */
interface WasmBackendLike {
  readSync(dataId: tf.DataId): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: ArrayLike<number>): tf.TensorInfo;
}

/**
 * `UnsortedSegmentSum` for tfjs-backend-wasm 4.22, which lacks it: the gradient of `tf.gather`
 * (used by the pipeline's models) calls it, so without it every training step on wasm throws
 * "Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'". Sums `x`'s rows into
 * `numSegments` rows by `segmentIds`, in row order (as tfjs-backend-cpu does); ids outside
 * `[0, numSegments)` are dropped (tfjs semantics). Registers once; later calls do nothing.
 *
 * @example
 * ```ts
 * registerMissingWasmKernels(); // before tf.setBackend('wasm')
 * ```
 */
export function registerMissingWasmKernels(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmBackendLike;
      const values = b.readSync(x.dataId);
      const ids = b.readSync(segmentIds.dataId);
      const rows = x.shape[0] ?? 1;
      const inner = rows === 0 ? 0 : values.length / rows;
      if (ids.length !== rows) {
        throw new Error(`UnsortedSegmentSum (wasm): segmentIds has ${ids.length} entries for ${rows} rows of x.`);
      }
      const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
      for (let i = 0; i < rows; i++) {
        const s = ids[i] as number;
        if (s < 0 || s >= numSegments) continue;
        for (let j = 0; j < inner; j++)
          out[s * inner + j] = (out[s * inner + j] as number) + (values[i * inner + j] as number);
      }
      return b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype, undefined, out);
    },
  });
}

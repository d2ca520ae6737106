import type * as tf from '@tensorflow/tfjs-core';

/** The slice of tfjs-backend-cpu's `MathBackendCPU` that odekit's fast kernels use. */
interface CpuBackendLike {
  data: { get(dataId: tf.TensorInfo['dataId']): { values?: tf.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.BackendValues): tf.TensorInfo;
}

/** The float32 values of `t` on the cpu backend, or `undefined` when `t` is not float32. */
export function float32Values(backend: unknown, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (t === undefined || t.dtype !== 'float32') return undefined;
  const values = (backend as CpuBackendLike).data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/** A new float32 tensor on the cpu backend that owns `values`. */
export function float32Result(backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo {
  return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', values);
}

/** Number of elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

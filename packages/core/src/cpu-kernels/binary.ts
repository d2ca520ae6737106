import type * as tf from '@tensorflow/tfjs-core';
import { type BinaryLoop, planBroadcast, runBroadcast } from './broadcast.js';
import { float32Result, float32Values, sizeOf } from './cpu-data.js';

// One loop per operation (not one loop taking an `op` callback) so each stays monomorphic.
// Blocks of many short rows (`[B, 4] + [4]` when not tiled) run column by column; rows run
// unrolled by four when both inputs are contiguous or one is a single value along the row.
const SHORT_ROW = 8;
const addLoop: BinaryLoop = (a, b, out, oo, oa, ob, n0, n1, sa0, sa1, sb0, sb1) => {
  if (n1 < SHORT_ROW && n0 > n1) {
    for (let j = 0; j < n1; j++) {
      let ia = oa + j * sa1;
      let ib = ob + j * sb1;
      for (let i = 0, o = oo + j; i < n0; i++, ia += sa0, ib += sb0, o += n1)
        out[o] = (a[ia] as number) + (b[ib] as number);
    }
    return;
  }
  for (let i = 0; i < n0; i++) {
    const ia = oa + i * sa0;
    const ib = ob + i * sb0;
    const o = oo + i * n1;
    if (sa1 === 1 && sb1 === 1) {
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) + (b[ib + j] as number);
        out[o + j + 1] = (a[ia + j + 1] as number) + (b[ib + j + 1] as number);
        out[o + j + 2] = (a[ia + j + 2] as number) + (b[ib + j + 2] as number);
        out[o + j + 3] = (a[ia + j + 3] as number) + (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) + (b[ib + j] as number);
    } else if (sa1 === 1 && sb1 === 0) {
      const y = b[ib] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) + y;
        out[o + j + 1] = (a[ia + j + 1] as number) + y;
        out[o + j + 2] = (a[ia + j + 2] as number) + y;
        out[o + j + 3] = (a[ia + j + 3] as number) + y;
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) + y;
    } else if (sa1 === 0 && sb1 === 1) {
      const x = a[ia] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = x + (b[ib + j] as number);
        out[o + j + 1] = x + (b[ib + j + 1] as number);
        out[o + j + 2] = x + (b[ib + j + 2] as number);
        out[o + j + 3] = x + (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = x + (b[ib + j] as number);
    } else {
      for (let j = 0; j < n1; j++) out[o + j] = (a[ia + j * sa1] as number) + (b[ib + j * sb1] as number);
    }
  }
};
const subLoop: BinaryLoop = (a, b, out, oo, oa, ob, n0, n1, sa0, sa1, sb0, sb1) => {
  if (n1 < SHORT_ROW && n0 > n1) {
    for (let j = 0; j < n1; j++) {
      let ia = oa + j * sa1;
      let ib = ob + j * sb1;
      for (let i = 0, o = oo + j; i < n0; i++, ia += sa0, ib += sb0, o += n1)
        out[o] = (a[ia] as number) - (b[ib] as number);
    }
    return;
  }
  for (let i = 0; i < n0; i++) {
    const ia = oa + i * sa0;
    const ib = ob + i * sb0;
    const o = oo + i * n1;
    if (sa1 === 1 && sb1 === 1) {
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) - (b[ib + j] as number);
        out[o + j + 1] = (a[ia + j + 1] as number) - (b[ib + j + 1] as number);
        out[o + j + 2] = (a[ia + j + 2] as number) - (b[ib + j + 2] as number);
        out[o + j + 3] = (a[ia + j + 3] as number) - (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) - (b[ib + j] as number);
    } else if (sa1 === 1 && sb1 === 0) {
      const y = b[ib] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) - y;
        out[o + j + 1] = (a[ia + j + 1] as number) - y;
        out[o + j + 2] = (a[ia + j + 2] as number) - y;
        out[o + j + 3] = (a[ia + j + 3] as number) - y;
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) - y;
    } else if (sa1 === 0 && sb1 === 1) {
      const x = a[ia] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = x - (b[ib + j] as number);
        out[o + j + 1] = x - (b[ib + j + 1] as number);
        out[o + j + 2] = x - (b[ib + j + 2] as number);
        out[o + j + 3] = x - (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = x - (b[ib + j] as number);
    } else {
      for (let j = 0; j < n1; j++) out[o + j] = (a[ia + j * sa1] as number) - (b[ib + j * sb1] as number);
    }
  }
};
const mulLoop: BinaryLoop = (a, b, out, oo, oa, ob, n0, n1, sa0, sa1, sb0, sb1) => {
  if (n1 < SHORT_ROW && n0 > n1) {
    for (let j = 0; j < n1; j++) {
      let ia = oa + j * sa1;
      let ib = ob + j * sb1;
      for (let i = 0, o = oo + j; i < n0; i++, ia += sa0, ib += sb0, o += n1)
        out[o] = (a[ia] as number) * (b[ib] as number);
    }
    return;
  }
  for (let i = 0; i < n0; i++) {
    const ia = oa + i * sa0;
    const ib = ob + i * sb0;
    const o = oo + i * n1;
    if (sa1 === 1 && sb1 === 1) {
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) * (b[ib + j] as number);
        out[o + j + 1] = (a[ia + j + 1] as number) * (b[ib + j + 1] as number);
        out[o + j + 2] = (a[ia + j + 2] as number) * (b[ib + j + 2] as number);
        out[o + j + 3] = (a[ia + j + 3] as number) * (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) * (b[ib + j] as number);
    } else if (sa1 === 1 && sb1 === 0) {
      const y = b[ib] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) * y;
        out[o + j + 1] = (a[ia + j + 1] as number) * y;
        out[o + j + 2] = (a[ia + j + 2] as number) * y;
        out[o + j + 3] = (a[ia + j + 3] as number) * y;
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) * y;
    } else if (sa1 === 0 && sb1 === 1) {
      const x = a[ia] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = x * (b[ib + j] as number);
        out[o + j + 1] = x * (b[ib + j + 1] as number);
        out[o + j + 2] = x * (b[ib + j + 2] as number);
        out[o + j + 3] = x * (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = x * (b[ib + j] as number);
    } else {
      for (let j = 0; j < n1; j++) out[o + j] = (a[ia + j * sa1] as number) * (b[ib + j * sb1] as number);
    }
  }
};
const divLoop: BinaryLoop = (a, b, out, oo, oa, ob, n0, n1, sa0, sa1, sb0, sb1) => {
  if (n1 < SHORT_ROW && n0 > n1) {
    for (let j = 0; j < n1; j++) {
      let ia = oa + j * sa1;
      let ib = ob + j * sb1;
      for (let i = 0, o = oo + j; i < n0; i++, ia += sa0, ib += sb0, o += n1)
        out[o] = (a[ia] as number) / (b[ib] as number);
    }
    return;
  }
  for (let i = 0; i < n0; i++) {
    const ia = oa + i * sa0;
    const ib = ob + i * sb0;
    const o = oo + i * n1;
    if (sa1 === 1 && sb1 === 1) {
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) / (b[ib + j] as number);
        out[o + j + 1] = (a[ia + j + 1] as number) / (b[ib + j + 1] as number);
        out[o + j + 2] = (a[ia + j + 2] as number) / (b[ib + j + 2] as number);
        out[o + j + 3] = (a[ia + j + 3] as number) / (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) / (b[ib + j] as number);
    } else if (sa1 === 1 && sb1 === 0) {
      const y = b[ib] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = (a[ia + j] as number) / y;
        out[o + j + 1] = (a[ia + j + 1] as number) / y;
        out[o + j + 2] = (a[ia + j + 2] as number) / y;
        out[o + j + 3] = (a[ia + j + 3] as number) / y;
      }
      for (; j < n1; j++) out[o + j] = (a[ia + j] as number) / y;
    } else if (sa1 === 0 && sb1 === 1) {
      const x = a[ia] as number;
      let j = 0;
      for (; j + 3 < n1; j += 4) {
        out[o + j] = x / (b[ib + j] as number);
        out[o + j + 1] = x / (b[ib + j + 1] as number);
        out[o + j + 2] = x / (b[ib + j + 2] as number);
        out[o + j + 3] = x / (b[ib + j + 3] as number);
      }
      for (; j < n1; j++) out[o + j] = x / (b[ib + j] as number);
    } else {
      for (let j = 0; j < n1; j++) out[o + j] = (a[ia + j * sa1] as number) / (b[ib + j * sb1] as number);
    }
  }
};

/** The binary kernels odekit replaces, with their loops (each the op in float64, stored float32). */
export const BINARY_LOOPS: Readonly<Record<string, BinaryLoop>> = Object.freeze({
  Add: addLoop,
  Sub: subLoop,
  Multiply: mulLoop,
  RealDiv: divLoop,
});

/** `loop` over one contiguous run (`sa`, `sb` are 1, or 0 for a single broadcast value). */
function run(
  loop: BinaryLoop,
  av: Float32Array,
  bv: Float32Array,
  sa: number,
  sb: number,
  shape: readonly number[],
  backend: unknown,
): tf.TensorInfo {
  const n = sa === 1 ? av.length : bv.length;
  const out = new Float32Array(n);
  loop(av, bv, out, 0, 0, 0, 1, n, 0, sa, 0, sb);
  return float32Result(backend, shape.slice(), out);
}

/**
 * A binary kernel for float32 inputs of any broadcastable shapes, looping over strided blocks
 * instead of computing each element's index; other dtypes and bad shapes go to `original`.
 */
export function fastBinaryKernel(loop: BinaryLoop, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo };
    const av = float32Values(args.backend, a);
    const bv = float32Values(args.backend, b);
    if (av === undefined || bv === undefined || a === undefined || b === undefined) return original(args);
    // the common cases first, without a plan: equal shapes, or a single value against a tensor
    // of at least its rank (`y · 0.5`); per-op overhead decides small states
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (ra === rb && a.shape.every((d, i) => d === b.shape[i])) return run(loop, av, bv, 1, 1, a.shape, args.backend);
    if (bv.length === 1 && rb <= ra) return run(loop, av, bv, 1, 0, a.shape, args.backend);
    if (av.length === 1 && ra <= rb) return run(loop, av, bv, 0, 1, b.shape, args.backend);
    const plan = planBroadcast(a.shape, b.shape);
    if (plan === undefined) return original(args);
    const out = new Float32Array(sizeOf(plan.outShape));
    runBroadcast(plan, loop, av, bv, out);
    return float32Result(args.backend, plan.outShape, out);
  };
}

import { FUSED_MLP_WASM_BASE64 } from '../fused-mlp-wasm.js';

/**
 * The activations the fused kernel computes, by name, with their codes in the WebAssembly
 * module (assembly/fused-mlp.ts). Others run through tfjs ops.
 */
export const FUSED_ACTIVATION_CODES: Readonly<Record<string, number>> = Object.freeze({
  identity: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  softplus: 4,
});

export const SOFTPLUS = 4;
/** The module's softplus that also leaves softplus′ in place of z for the backward pass. */
export const SOFTPLUS_KEEP = 5;

/** The largest workspace one fused call may use (64 MiB); larger calls take the tfjs path. */
export const FUSED_MLP_MAX_BYTES = 64 * 1024 * 1024;

/** The exports of the fused-MLP WebAssembly module (assembly/fused-mlp.ts); pointers are byte offsets. */
export interface Kernels {
  memory: WebAssembly.Memory;
  affine(x: number, w: number, b: number, y: number, rows: number, nIn: number, nOut: number): void;
  affineNarrow(x: number, wt: number, b: number, y: number, rows: number, nIn: number, nOut: number): void;
  accumulate(acc: number, src: number, n: number): void;
  transpose(s: number, t: number, rows: number, cols: number): void;
  sumRows(g: number, s: number, rows: number, n: number): void;
  activate(kind: number, z: number, a: number, n: number): void;
  activateGrad(kind: number, z: number, a: number, g: number, n: number): void;
}

/** The module's bytes. */
export function moduleBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(FUSED_MLP_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

import type { LinearParams } from '../linear.js';
import { SOFTPLUS, SOFTPLUS_KEEP } from './module.js';

/** Floats rounded up to a whole 16-byte vector, in bytes. */
export const vecBytes = (floats: number): number => ((floats + 3) & ~3) * 4;

/** Where one forward pass keeps its input and activations (byte offsets). */
export interface Slot {
  x: number;
  /** per layer: pre-activation and activation (the same buffer for identity) */
  z: number[];
  a: number[];
}

/** Byte offsets of one call's buffers in the module's memory. */
export interface Layout {
  /** per layer: weight, weightᵀ, bias (0 when absent); the weights come first */
  w: number[];
  wt: number[];
  b: number[];
  slots: Slot[];
  /** backward scratch */
  g: number;
  g2: number;
  gt: number;
  ht: number;
  dw: number[];
  db: number[];
  /** float64 sums of the args gradients, one per weight and bias in input order (host caches) */
  acc: number[];
  total: number;
}

/** The network's structure as the kernel sees it. */
export interface Plan {
  sizes: number[];
  kinds: number[];
  hasBias: boolean[];
  /** sizes, biases and kinds as one string */
  key: string;
  /** `kinds` for a forward pass whose backward pass follows: softplus keeps its derivative */
  keepKinds: number[];
}

/** Byte offsets of the buffers for `rows` rows and `nSlots` kept forward passes. */
export function computeLayout(plan: Plan, rows: number, nSlots: number, withSums: boolean): Layout {
  const { sizes, hasBias } = plan;
  const depth = sizes.length - 1;
  let top = 0;
  const take = (floats: number) => {
    const at = top;
    top += vecBytes(floats);
    return at;
  };
  const w: number[] = [];
  const wt: number[] = [];
  const b: number[] = [];
  for (let l = 0; l < depth; l++) {
    const n = (sizes[l + 1] as number) * (sizes[l] as number);
    w.push(take(n));
    wt.push(take(n));
    b.push(hasBias[l] ? take(sizes[l + 1] as number) : 0);
  }
  const slots: Slot[] = [];
  for (let q = 0; q < nSlots; q++) {
    const x = take(rows * (sizes[0] as number));
    const z: number[] = [];
    const a: number[] = [];
    for (let l = 0; l < depth; l++) {
      const n = rows * (sizes[l + 1] as number);
      z.push(take(n));
      a.push(plan.kinds[l] === 0 ? (z[l] as number) : take(n));
    }
    slots.push({ x, z, a });
  }
  const widest = Math.max(...sizes);
  const g = take(rows * widest);
  const g2 = take(rows * widest);
  const gt = take(rows * widest);
  const ht = take(rows * widest);
  const dw: number[] = [];
  const db: number[] = [];
  for (let l = 0; l < depth; l++) {
    dw.push(take((sizes[l + 1] as number) * (sizes[l] as number)));
    db.push(take(sizes[l + 1] as number));
  }
  const acc: number[] = [];
  if (withSums) {
    for (let l = 0; l < depth; l++) {
      acc.push(take(2 * (sizes[l + 1] as number) * (sizes[l] as number)));
      if (hasBias[l]) acc.push(take(2 * (sizes[l + 1] as number)));
    }
  }
  return { w, wt, b, slots, g, g2, gt, ht, dw, db, acc, total: top };
}

/** The structure of `layers` with these activation codes. */
export function planOf(layers: readonly LinearParams[], kinds: readonly number[]): Plan {
  return {
    sizes: [layers[0]?.weight.shape[1] as number, ...layers.map((p) => p.weight.shape[0])],
    kinds: [...kinds],
    hasBias: layers.map((p) => p.bias !== undefined),
    key: `${[layers[0]?.weight.shape[1], ...layers.map((p) => p.weight.shape[0])].join(',')}|${layers.map((p) => p.bias !== undefined).join(',')}|${kinds.join(',')}`,
    keepKinds: kinds.map((c) => (c === SOFTPLUS ? SOFTPLUS_KEEP : c)),
  };
}

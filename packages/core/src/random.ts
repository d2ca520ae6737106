import * as tf from '@tensorflow/tfjs-core';

/**
 * Mulberry32, a 32-bit seeded generator (Tommy Ettinger, 2017), returning floats in [0, 1).
 *
 * It is the generator the benchmark workloads use, so data and initial weights made here match
 * the peers' bit for bit. For new code prefer {@link createRng}, which can split streams.
 *
 * @example
 * ```ts
 * import { mulberry32 } from '@odekit/core';
 * const next = mulberry32(42);
 * const a = next();
 * if (!(a >= 0 && a < 1) || mulberry32(42)() !== a) throw new Error('not deterministic');
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Counter-based hash of (key, counter) to a uint32. */
function hash2(key: number, counter: number): number {
  return fmix32(fmix32(key ^ 0x9e3779b9) ^ Math.imul(counter >>> 0, 0x27d4eb2f) ^ (counter / 4294967296));
}

/**
 * A seeded, splittable random stream. Values are made in JavaScript (float64) and only then
 * turned into tensors, so they are identical across runs, platforms and backends.
 */
export interface Rng {
  /** The stream's key (derived from the seed). */
  readonly key: number;
  /** The next uniform float64 in [0, 1) (53 random bits). */
  nextFloat(): number;
  /** The next uint32. */
  nextUint32(): number;
  /** A standard normal float64 (Box–Muller). */
  nextNormal(): number;
  /** `n` independent child streams; the parent stream is not advanced. */
  split(n: number): Rng[];
  /** A float32 tensor of uniform values in [`low`, `high`). */
  uniform(shape: number[], low?: number, high?: number): tf.Tensor;
  /** A float32 tensor of normal values with mean `mean` and standard deviation `std`. */
  normal(shape: number[], mean?: number, std?: number): tf.Tensor;
}

function checkShape(shape: number[], fn: string): number {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${fn}: 'shape' must be an array of non-negative integers, got ${JSON.stringify(shape)}.`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Creates a seeded random stream (see {@link Rng}). Streams are counter-based: `split(n)` gives
 * children whose values do not overlap the parent's or each other's.
 *
 * @throws Error when `seed` is not a finite integer.
 * @example
 * ```ts
 * import { createRng } from '@odekit/core';
 * const [a, b] = createRng(0).split(2);
 * const x = createRng(7).uniform([2, 3], -1, 1);
 * if (x.shape.join() !== '2,3' || a === undefined || b === undefined || a.nextFloat() === b.nextFloat()) throw new Error('bad');
 * x.dispose();
 * ```
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`createRng: 'seed' must be a safe integer, got ${seed}; pass e.g. createRng(0).`);
  }
  return makeRng(fmix32((seed >>> 0) ^ fmix32(Math.floor(seed / 4294967296) >>> 0)));
}

function makeRng(key: number): Rng {
  let counter = 0;
  let spare: number | undefined;
  const nextUint32 = (): number => hash2(key, counter++);
  const nextFloat = (): number => {
    const hi = nextUint32() >>> 5; // 27 bits
    const lo = nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };
  const nextNormal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = nextFloat();
    const v = nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    key,
    nextFloat,
    nextUint32,
    nextNormal,
    split(n: number): Rng[] {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Rng.split: 'n' must be a positive integer, got ${n}.`);
      return Array.from({ length: n }, (_, i) => makeRng(fmix32(hash2(key ^ 0x5bd1e995, 0x80000000 + i) + i)));
    },
    uniform(shape: number[], low = 0, high = 1): tf.Tensor {
      const size = checkShape(shape, 'Rng.uniform');
      if (!(Number.isFinite(low) && Number.isFinite(high) && high >= low)) {
        throw new Error(`Rng.uniform: need finite 'low' <= 'high', got ${low}, ${high}.`);
      }
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = low + (high - low) * nextFloat();
      return tf.tensor(values, shape, 'float32');
    },
    normal(shape: number[], mean = 0, std = 1): tf.Tensor {
      const size = checkShape(shape, 'Rng.normal');
      if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) {
        throw new Error(`Rng.normal: need finite 'mean' and 'std' >= 0, got ${mean}, ${std}.`);
      }
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = mean + std * nextNormal();
      return tf.tensor(values, shape, 'float32');
    },
  };
}

import type * as tf from '@tensorflow/tfjs-core';
import type { HostFieldSession } from '../host-implementation.js';
import type { FloatArray } from '../host-ops/float-array.js';
import { sizeOfShape } from '../host-ops/shapes.js';
import { lowerOp, Unsupported } from './lowering/kernel-table.js';
import { type Precision, ProgramBuilder, type Slot, type Step } from './program-builder.js';
import type { ConstKind } from './trace-comparison.js';
import type { Trace, ValueRef } from './trace-types.js';

/**
 * The compiled field of one solve: the recorded kernels, lowered to steps on host arrays, and the
 * runtime that runs them (values forward, in float32 or, with `precision: 'float64'`, in float64;
 * float64 cotangents backward).
 *
 * @throws {@link Unsupported} when a recorded kernel has no lowering.
 */
export class Program implements HostFieldSession {
  private readonly dynamicSteps: Step[];
  private readonly staticBackSteps: Step[];
  private readonly y: Slot;
  private readonly out: Slot;
  private readonly tSlots: Slot[] = [];
  private readonly dynamicSlots: Slot[];
  private readonly staticSlots: Slot[];
  private readonly argSlots: [number, Slot][] = [];
  private readonly n: number;

  private readonly f64: boolean;
  /** No tensor made from `t` enters the program: its values do not depend on the time. */
  readonly autonomous: boolean;

  constructor(
    tr: Trace,
    kinds: readonly ConstKind[],
    yShape: readonly number[],
    argTensors: readonly tf.Tensor[],
    precision: Precision = 'float32',
  ) {
    const b = new ProgramBuilder(precision);
    this.f64 = precision === 'float64';
    this.n = sizeOfShape(yShape);
    this.y = b.slot(this.n, false, true);
    const constSlots = tr.consts.map((c, i) => {
      const ints = c.values instanceof Int32Array ? c.values : undefined;
      const s = b.slot(c.values.length, kinds[i] === 'const', false, ints === undefined ? c.values : undefined);
      s.ints = ints;
      if (kinds[i] === 't') this.tSlots.push(s);
      return s;
    });
    const argSlots = new Map<number, Slot>();
    const nodeSlots: Slot[][] = [];
    const slotOf = (ref: ValueRef): Slot => {
      switch (ref.kind) {
        case 'state':
          return this.y;
        case 'const':
          return constSlots[ref.index] as Slot;
        case 'node':
          return nodeSlots[ref.op]?.[ref.output] as Slot;
        case 'arg': {
          const known = argSlots.get(ref.index);
          if (known !== undefined) return known;
          const t = argTensors[ref.index] as tf.Tensor;
          const float = t.dtype === 'float32';
          const s = b.slot(t.size, true, float, float ? (t.dataSync() as Float32Array) : undefined);
          if (float) this.argSlots.push([ref.index, s]);
          else if (t.dtype === 'int32') s.ints = Int32Array.from(t.dataSync());
          else throw new Unsupported(`an args leaf of dtype ${t.dtype}`);
          argSlots.set(ref.index, s);
          return s;
        }
      }
    };
    for (const op of tr.ops) {
      nodeSlots.push(
        lowerOp(
          b,
          op,
          op.inputs.map(({ ref }) => slotOf(ref)),
        ),
      );
    }
    this.out = slotOf(tr.out);
    b.arena.commit();
    // what depends only on args and constants runs now, once
    for (const s of b.steps) if (s.isStatic) s.fwd();
    this.dynamicSteps = b.steps.filter((s) => !s.isStatic);
    this.staticBackSteps = b.steps.filter((s) => s.isStatic && s.needsGrad).reverse();
    this.dynamicSlots = b.dynamicSlots;
    this.staticSlots = b.staticSlots;
    this.autonomous = this.tSlots.length === 0;
  }

  private forward(t: number, y: ArrayLike<number>): void {
    this.y.value.set(y as ArrayLike<number>);
    for (const s of this.tSlots) s.value.fill(t);
    for (const s of this.dynamicSteps) s.fwd();
  }

  evaluate(t: number, y: ArrayLike<number>): FloatArray {
    this.forward(t, y);
    return this.out.value.slice(0, this.n);
  }

  private backward(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    onValue?: (f: FloatArray) => void,
  ): FloatArray {
    this.forward(t, y);
    onValue?.(this.out.value.slice(0, this.n));
    for (const s of this.dynamicSlots) s.ct.fill(0);
    const seed = this.out.ct;
    for (let i = 0; i < this.n; i++) seed[i] = (seed[i] as number) + (ct[i] as number);
    for (let i = this.dynamicSteps.length - 1; i >= 0; i--) {
      const s = this.dynamicSteps[i] as Step;
      if (s.needsGrad) s.bwd();
    }
    return this.f64 ? Float64Array.from(this.y.ct) : Float32Array.from(this.y.ct);
  }

  vjp(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    argGrads: Float64Array[],
    onValue?: (f: FloatArray) => void,
  ): FloatArray {
    const gy = this.backward(t, y, ct, onValue);
    this.flushArgGrads(argGrads);
    return gy;
  }

  vjpDeferred(t: number, y: ArrayLike<number>, ct: ArrayLike<number>, onValue?: (f: FloatArray) => void): FloatArray {
    return this.backward(t, y, ct, onValue);
  }

  flushArgGrads(argGrads: Float64Array[]): void {
    for (const s of this.staticBackSteps) s.bwd();
    for (const [j, s] of this.argSlots) {
      const g = argGrads[j];
      if (g === undefined || g.length !== s.ct.length) continue;
      for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + (s.ct[i] as number);
    }
    for (const s of this.staticSlots) s.ct.fill(0);
  }
}

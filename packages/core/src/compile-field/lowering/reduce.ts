import { reduceGroups } from '../../host-ops/blocks.js';
import { sizeOfShape, stridedMap, stridesOf } from '../../host-ops/shapes.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';
import type { RawOp } from '../trace-types.js';
import { normAxis, numberAttr } from './attrs.js';

/** Sum, Mean, Prod, Max, Min over the kernel's axes. */
export function lowerReduce(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot[] {
  const k = op.kernel;
  const x = ins[0] as Slot;
  const xShape = op.inShapes[0] as number[];
  const outSize = sizeOfShape(op.outShapes[0] as number[]);
  const rank = xShape.length;
  const raw = k === 'Max' ? op.attrs.reductionIndices : op.attrs.axis;
  const axes = (
    raw == null ? xShape.map((_, d) => d) : Array.isArray(raw) ? (raw as number[]) : [numberAttr(raw, 'axis')]
  ).map((d) => normAxis(d, rank));
  const keptShape = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape);
  const map = stridedMap(
    xShape,
    keptStrides.map((v, d) => (axes.includes(d) ? 0 : v)),
    0,
  );
  const count = map.length / outSize;
  const out = b.result(outSize, [x]);
  const acc = new Float64Array(outSize);
  const n = map.length;
  // the reduced axes are the last ones: contiguous groups, no map needed
  const wasm = b.wasm;
  const trailing = axes.every((d) => d >= rank - axes.length) && (k === 'Sum' || k === 'Mean' || k === 'Prod');
  const fwd = trailing
    ? wasm !== null
      ? () => wasm.reduceGroups(k === 'Sum' ? 0 : k === 'Mean' ? 1 : 2, x.p32, out.p32, outSize, count)
      : () => reduceGroups(k, x.value, out.value, outSize, count)
    : k === 'Prod'
      ? () => {
          const xv = x.value;
          acc.fill(1);
          for (let i = 0; i < n; i++) acc[map[i] as number] = (acc[map[i] as number] as number) * (xv[i] as number);
          out.value.set(acc);
        }
      : k === 'Max' || k === 'Min'
        ? () => {
            const xv = x.value;
            acc.fill(k === 'Max' ? -Infinity : Infinity);
            for (let i = 0; i < n; i++) {
              const j = map[i] as number;
              const v = xv[i] as number;
              if (k === 'Max' ? v > (acc[j] as number) || Number.isNaN(v) : v < (acc[j] as number) || Number.isNaN(v))
                acc[j] = v;
            }
            out.value.set(acc);
          }
        : () => {
            const xv = x.value;
            acc.fill(0);
            for (let i = 0; i < n; i++) acc[map[i] as number] = (acc[map[i] as number] as number) + (xv[i] as number);
            if (k === 'Mean') for (let j = 0; j < outSize; j++) acc[j] = (acc[j] as number) / count;
            out.value.set(acc);
          };
  // d out[j] / d x[i] for x[i] in group j: 1 (Sum), 1/count (Mean), [x[i] is the extreme]
  // (Max, Min: every tie), the product of the others (Prod)
  const bwd = (): void => {
    if (!x.needsGrad) return;
    const xv = x.value;
    const ov = out.value;
    const c = x.ct;
    const g = out.ct;
    if (k === 'Sum' || k === 'Mean') {
      const s = k === 'Mean' ? 1 / count : 1;
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (g[map[i] as number] as number) * s;
    } else if (k === 'Max' || k === 'Min') {
      for (let i = 0; i < n; i++) {
        const j = map[i] as number;
        if (xv[i] === ov[j]) c[i] = (c[i] as number) + (g[j] as number);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const j = map[i] as number;
        const v = xv[i] as number;
        if (v !== 0) c[i] = (c[i] as number) + ((g[j] as number) * (ov[j] as number)) / v;
        else {
          // the product of the others, taken directly
          let p = 1;
          for (let m = 0; m < n; m++) if (m !== i && map[m] === j) p *= xv[m] as number;
          c[i] = (c[i] as number) + (g[j] as number) * p;
        }
      }
    }
  };
  b.push([x], [out], fwd, bwd);
  return [out];
}

import { addBlock, copyBlock } from '../../host-ops/blocks.js';
import { broadcastMap, mapByOdometer, sizeOfShape, stridedMap, stridesOf } from '../../host-ops/shapes.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';
import type { RawOp } from '../trace-types.js';
import { normAxis, numberAttr, Unsupported } from './attrs.js';
import { lowerGather } from './gather.js';

/** Concat/Pack: pieces of `inners[j]` per outer index laid side by side. */
export function lowerConcat(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot[] {
  const xShape = op.inShapes[0] as number[];
  const outShape = op.outShapes[0] as number[];
  const rank = op.kernel === 'Pack' ? xShape.length + 1 : xShape.length;
  const axis = normAxis(numberAttr(op.attrs.axis, 'axis'), rank);
  const inners = op.inShapes.map((s) => sizeOfShape(s.slice(axis)));
  const outer = sizeOfShape(outShape.slice(0, axis));
  const total = inners.reduce((s, v) => s + v, 0);
  const offs = inners.map((_, j) => inners.slice(0, j).reduce((s, v) => s + v, 0));
  const out = b.result(sizeOfShape(outShape), ins);
  const k = b.wasm;
  b.push(
    ins,
    [out],
    () => {
      for (let j = 0; j < ins.length; j++) {
        const w = inners[j] as number;
        const s = ins[j] as Slot;
        const off = offs[j] as number;
        if (k !== null) k.copyBlock(s.p32, w, out.p32 + 4 * off, total, w, outer);
        else copyBlock(s.value, 0, w, out.value, off, total, w, outer);
      }
    },
    () => {
      for (let j = 0; j < ins.length; j++) {
        const s = ins[j] as Slot;
        const w = inners[j] as number;
        const off = offs[j] as number;
        if (!s.needsGrad) continue;
        if (k !== null) k.addBlock(out.p64 + 8 * off, total, s.p64, w, w, outer);
        else addBlock(out.ct, off, total, s.ct, 0, w, w, outer);
      }
    },
  );
  return [out];
}

/** Unpack/SplitV: the inverse of {@link lowerConcat}. */
export function lowerSplit(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot[] {
  const x = ins[0] as Slot;
  const xShape = op.inShapes[0] as number[];
  const axis = normAxis(numberAttr(op.attrs.axis, 'axis'), xShape.length);
  const inners = op.outShapes.map((s) => sizeOfShape(s.slice(axis)));
  const outs = op.outShapes.map((s) => b.result(sizeOfShape(s), [x]));
  const outer = sizeOfShape(xShape.slice(0, axis));
  const total = inners.reduce((s, v) => s + v, 0);
  const offs = inners.map((_, j) => inners.slice(0, j).reduce((s, v) => s + v, 0));
  const k = b.wasm;
  b.push(
    [x],
    outs,
    () => {
      for (let j = 0; j < outs.length; j++) {
        const w = inners[j] as number;
        const s = outs[j] as Slot;
        const off = offs[j] as number;
        if (k !== null) k.copyBlock(x.p32 + 4 * off, total, s.p32, w, w, outer);
        else copyBlock(x.value, off, total, s.value, 0, w, w, outer);
      }
    },
    () => {
      if (!x.needsGrad) return;
      for (let j = 0; j < outs.length; j++) {
        const w = inners[j] as number;
        const s = outs[j] as Slot;
        const off = offs[j] as number;
        if (k !== null) k.addBlock(s.p64, w, x.p64 + 8 * off, total, w, outer);
        else addBlock(s.ct, 0, w, x.ct, off, total, w, outer);
      }
    },
  );
  return outs;
}

/**
 * The kernels that only move values (Slice, Transpose, Tile, BroadcastTo, GatherV2 with constant
 * indices): one gather by an index map built here.
 */
export function lowerMove(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot[] {
  const x = ins[0] as Slot;
  const xShape = op.inShapes[0] as number[];
  const outShape = op.outShapes[0] as number[];
  const at = op.attrs;
  const st = stridesOf(xShape);
  switch (op.kernel) {
    case 'Slice': {
      const begin = Array.isArray(at.begin) ? (at.begin as number[]) : [numberAttr(at.begin, 'begin')];
      const offset = st.reduce((s, v, d) => s + v * ((begin[d] as number | undefined) ?? 0), 0);
      return [lowerGather(b, x, stridedMap(outShape, st, offset))];
    }
    case 'Transpose': {
      const perm = at.perm as number[];
      return [
        lowerGather(
          b,
          x,
          stridedMap(
            outShape,
            perm.map((p) => st[p] as number),
            0,
          ),
        ),
      ];
    }
    case 'Tile':
      return [
        lowerGather(
          b,
          x,
          mapByOdometer(outShape, (idx) =>
            idx.reduce((s, v, d) => s + (v % (xShape[d] as number)) * (st[d] as number), 0),
          ),
        ),
      ];
    case 'BroadcastTo': {
      const map = broadcastMap(xShape, outShape);
      return [map === undefined ? x : lowerGather(b, x, map)];
    }
    default:
      return [lowerGatherV2(b, op, x, ins[1] as Slot)];
  }
}

function lowerGatherV2(b: ProgramBuilder, op: RawOp, x: Slot, idxSlot: Slot): Slot {
  const xShape = op.inShapes[0] as number[];
  const outShape = op.outShapes[0] as number[];
  const ints = idxSlot.ints;
  if (ints === undefined || !idxSlot.isStatic)
    throw new Unsupported('GatherV2 with indices that are not constant int32');
  if ((op.attrs.batchDims ?? 0) !== 0) throw new Unsupported('GatherV2 with batchDims');
  const axis = normAxis(numberAttr(op.attrs.axis, 'axis'), xShape.length);
  const ir = (op.inShapes[1] as number[]).length;
  const st = stridesOf(xShape);
  const ist = stridesOf(op.inShapes[1] as number[]);
  const map = mapByOdometer(outShape, (idx) => {
    let flat = 0;
    for (let d = 0; d < ir; d++) flat += (idx[axis + d] as number) * (ist[d] as number);
    const j = ints[flat] as number;
    if (!(j >= 0 && j < (xShape[axis] as number))) throw new Unsupported(`GatherV2 index ${j} out of range`);
    let s = j * (st[axis] as number);
    for (let d = 0; d < axis; d++) s += (idx[d] as number) * (st[d] as number);
    for (let d = axis + 1; d < xShape.length; d++) s += (idx[d + ir - 1] as number) * (st[d] as number);
    return s;
  });
  return lowerGather(b, x, map);
}

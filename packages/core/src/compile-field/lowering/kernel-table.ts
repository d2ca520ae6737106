import { BINARY } from '../../host-ops/binary.js';
import { sizeOfShape } from '../../host-ops/shapes.js';
import { UNARY } from '../../host-ops/unary.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';
import type { RawOp } from '../trace-types.js';
import { inputIndex, numberAttr, Unsupported } from './attrs.js';
import { lowerAddN, lowerBinary, lowerUnary } from './elementwise.js';
import { lowerConcat, lowerMove, lowerSplit } from './layout.js';
import { lowerMatMul } from './matmul.js';
import { lowerReduce } from './reduce.js';

export { Unsupported };

/** Adds the steps of one recorded kernel to the program; returns its output slots. */
export type Lowering = (b: ProgramBuilder, op: RawOp, ins: Slot[]) => Slot[];

/**
 * How the compiler takes one tfjs kernel (like tfjs's kernel registry, by kernel name): the
 * attribute and input names its lowering reads (pinned by the tfjs contract test), and the
 * lowering.
 */
export interface KernelEntry {
  readonly attrs: readonly string[];
  readonly inputs?: readonly string[];
  readonly lower: Lowering;
}

const same: Lowering = (_b, _op, ins) => [ins[0] as Slot];

/** The parameters of an elementwise kernel of one input, from its attributes. */
const UNARY_PARAMS: Readonly<
  Record<string, { attrs: readonly string[]; params: (at: RawOp['attrs']) => [number, number] }>
> = {
  LeakyRelu: { attrs: ['alpha'], params: (at) => [numberAttr(at.alpha, 'alpha'), 0] },
  ClipByValue: {
    attrs: ['clipValueMin', 'clipValueMax'],
    params: (at) => [numberAttr(at.clipValueMin, 'clipValueMin'), numberAttr(at.clipValueMax, 'clipValueMax')],
  },
};

function unaryEntry(name: string): KernelEntry {
  const p = UNARY_PARAMS[name];
  return {
    attrs: p?.attrs ?? [],
    lower: (b, op, ins) => {
      const [q0, q1] = p?.params(op.attrs) ?? [0, 0];
      return [lowerUnary(b, name, ins[0] as Slot, sizeOfShape(op.outShapes[0] as number[]), q0, q1)];
    },
  };
}

function binaryEntry(name: string): KernelEntry {
  return {
    attrs: [],
    inputs: ['a', 'b'],
    lower: (b, op, ins) => {
      const named = inputIndex(op.inputs);
      const ia = named.get('a') as number;
      const ib = named.get('b') as number;
      const outShape = op.outShapes[0] as number[];
      return [
        lowerBinary(
          b,
          name,
          ins[ia] as Slot,
          op.inShapes[ia] as number[],
          ins[ib] as Slot,
          op.inShapes[ib] as number[],
          outShape,
        ),
      ];
    },
  };
}

const matMul: Lowering = (b, op, ins) => [lowerMatMul(b, op, ins)];

/** Every kernel compileField lowers. */
export const KERNELS: Readonly<Record<string, KernelEntry>> = Object.freeze({
  Reshape: { attrs: [], lower: same },
  Identity: { attrs: [], lower: same },
  ExpandDims: { attrs: [], lower: same },
  Squeeze: { attrs: [], lower: same },
  Cast: {
    attrs: [],
    lower: (b, op, ins) => {
      const x = ins[0] as Slot;
      // an int32 args leaf made float32: a constant of this solve
      return [x.ints === undefined ? x : b.slot(sizeOfShape(op.outShapes[0] as number[]), true, false, x.ints)];
    },
  },
  ...Object.fromEntries(Object.keys(UNARY).map((name) => [name, unaryEntry(name)])),
  ...Object.fromEntries(Object.keys(BINARY).map((name) => [name, binaryEntry(name)])),
  AddN: { attrs: [], lower: (b, op, ins) => [lowerAddN(b, ins, sizeOfShape(op.outShapes[0] as number[]))] },
  BatchMatMul: { attrs: ['transposeA', 'transposeB'], inputs: ['a', 'b'], lower: matMul },
  _FusedMatMul: {
    attrs: ['transposeA', 'transposeB', 'activation', 'leakyreluAlpha'],
    inputs: ['a', 'b', 'bias'],
    lower: matMul,
  },
  Concat: { attrs: ['axis'], lower: lowerConcat },
  Pack: { attrs: ['axis'], lower: lowerConcat },
  Unpack: { attrs: ['axis'], lower: lowerSplit },
  SplitV: { attrs: ['axis'], lower: lowerSplit },
  Slice: { attrs: ['begin'], lower: lowerMove },
  Transpose: { attrs: ['perm'], lower: lowerMove },
  Tile: { attrs: [], lower: lowerMove },
  BroadcastTo: { attrs: [], lower: lowerMove },
  GatherV2: { attrs: ['axis', 'batchDims'], inputs: ['x', 'indices'], lower: lowerMove },
  Sum: { attrs: ['axis'], lower: lowerReduce },
  Mean: { attrs: ['axis'], lower: lowerReduce },
  Prod: { attrs: ['axis'], lower: lowerReduce },
  Min: { attrs: ['axis'], lower: lowerReduce },
  Max: { attrs: ['reductionIndices'], lower: lowerReduce },
});

/**
 * The kernels whose attribute or input names the lowering reads, with those names; the tfjs
 * contract test checks tfjs still calls them so.
 */
export const KERNEL_ATTRIBUTES: Readonly<Record<string, { attrs: readonly string[]; inputs?: readonly string[] }>> =
  Object.fromEntries(
    Object.entries(KERNELS)
      .filter(([, e]) => e.attrs.length > 0 || e.inputs !== undefined)
      .map(([name, e]) => [name, e.inputs === undefined ? { attrs: e.attrs } : { attrs: e.attrs, inputs: e.inputs }]),
  );

/** Lowers one recorded kernel by {@link KERNELS}; {@link Unsupported} when it has no entry. */
export function lowerOp(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot[] {
  const entry = KERNELS[op.kernel];
  if (entry === undefined) throw new Unsupported(`it uses kernel ${op.kernel}, which compileField does not cover`);
  return entry.lower(b, op, ins);
}

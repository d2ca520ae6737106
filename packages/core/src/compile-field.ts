import * as tf from '@tensorflow/tfjs-core';
import { type HostFieldSession, withHostKernels } from './host-kernels.js';
import {
  addBlock,
  BINARY,
  broadcastMap,
  copyBlock,
  gatherBackward,
  gatherForward,
  type MatMulPlan,
  mapByOdometer,
  matMulBackward,
  matMulForward,
  reduceGroups,
  sizeOfShape,
  stridedMap,
  stridesOf,
  UNARY,
} from './host-ops.js';
import { treeFlatten } from './tree.js';
import { Arena, f32View, f64View, type HostWasmKernels, i32View, WASM_BINARY, WASM_UNARY } from './wasm-kernels.js';

/** Options of {@link compileField}. */
export interface CompileFieldOptions {
  /** Throw (with the reason) when the field cannot be compiled, instead of falling back. */
  strict?: boolean;
  /** Called with the reason whenever a solve falls back to the tensor field. */
  onFallback?: (reason: string) => void;
}

const OPTION_KEYS = new Set(['strict', 'onFallback']);

/**
 * Compiles a vector field written with tfjs ops for solves on the cpu and wasm backends: at the
 * start of each solve the field is traced (its kernels recorded while it runs on the state's
 * shape), and the recorded program then runs on plain float32 arrays, with no tensors, engine
 * bookkeeping or tape, for every evaluation and vector–Jacobian product of that solve. Work
 * that depends only on `args` and constants runs once per solve.
 *
 * The trace is taken twice, at two times, and checked against tfjs's own result; the solve uses
 * the tensor field as before (and `onFallback` is told why) when:
 * - the field uses a kernel the compiler does not know (the elementwise, matMul, concat, slice,
 *   stack, transpose, tile, gather and reduction kernels are covered), or a `customGrad` op;
 * - it reads tensor values (`dataSync`, `data`, `array`), i.e. branches on the state;
 * - its ops or constants change with `t` other than through tensors holding `t` itself
 *   (`tf.scalar(t)`, `tf.mul(y, t)` and `tf.fill(shape, t)` are fine);
 * - the compiled program disagrees with tfjs on the trace.
 *
 * The field must run the same tfjs ops for every `t` and `y` of a solve: JavaScript branches on
 * `t` that change which ops run are not detected. Values agree with the tensor field to float32
 * rounding (sums may be ordered differently).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { compileField, hostKernelsOf } from '@odekit/core';
 * const f = compileField((_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y));
 * if (hostKernelsOf(f) === undefined) throw new Error('bad');
 * ```
 */
export function compileField<F extends (t: number, y: never, args: never) => unknown>(
  f: F,
  options: CompileFieldOptions = {},
): F {
  if (typeof f !== 'function') {
    throw new Error('compileField: the field must be a function (t, y, args) => dy.');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new Error(`compileField: unknown option '${key}'; the options are strict and onFallback.`);
    }
  }
  const wrapped = ((t: number, y: never, args: never) => f(t, y, args)) as unknown as F;
  return withHostKernels(wrapped, {
    open(args, yShape, argTensors, yFromLeaf) {
      const result = compileSession(
        f as unknown as Field,
        args,
        yShape,
        argTensors,
        yFromLeaf ?? ((leaf: tf.Tensor) => leaf),
      );
      if (typeof result !== 'string') return result;
      if (options.strict === true) throw new Error(`compileField: cannot compile this field: ${result}`);
      options.onFallback?.(result);
      return undefined;
    },
  });
}

type Field = (t: number, y: unknown, args: unknown) => unknown;

let tracing = 0;

/**
 * Whether {@link compileField} is tracing a field right now: ops with a gradient of their own
 * (say @odekit/nn's fused MLP) then run as plain tfjs ops, which the trace can record.
 *
 * @example
 * ```ts
 * import { isTracingField } from '@odekit/core';
 * if (isTracingField()) throw new Error('not while tracing');
 * ```
 */
export function isTracingField(): boolean {
  return tracing > 0;
}

/** A kernel call as recorded: tensors named by keys ('y', 'a3', 'c0', 'n5.0'). */
interface RawOp {
  kernel: string;
  inputs: [string, string][];
  inShapes: number[][];
  attrs: Record<string, unknown>;
  attrsJson: string;
  outShapes: number[][];
}

interface RawConst {
  shape: number[];
  values: Float32Array | Int32Array;
}

interface Trace {
  ops: RawOp[];
  consts: RawConst[];
  out: string;
  outValues: Float32Array;
}

interface EngineInternals {
  runKernelFunc(params: { kernelName?: string; inputs: Record<string, tf.Tensor | null>; attrs?: object }): unknown;
  readSync(dataId: object): unknown;
  read(dataId: object): unknown;
  backend: { readSync(dataId: object): ArrayLike<number> };
  state: { gradientDepth: number };
}

const TRACE_T = [0.3141592653589793, 0.7182818284590452];

/** The state the field is traced at (and the program checked at): values in [0.5, 1.5). */
function traceState(n: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 + ((i * 0.6180339887498949 + 0.25) % 1);
  return y;
}

/** Runs `f` once on tensors while recording its kernels; a string says why it cannot be traced. */
function trace(
  f: Field,
  t: number,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
): Trace | string {
  const eng = tf.engine() as unknown as EngineInternals;
  const backend = eng.backend;
  const keyOf = new Map<number, string>();
  const ops: RawOp[] = [];
  const consts: RawConst[] = [];
  let failure: string | undefined;
  const addConst = (x: tf.Tensor): string => {
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      failure ??= `a ${x.dtype} constant`;
      return 'c?';
    }
    const raw = backend.readSync(x.dataId);
    const values = x.dtype === 'float32' ? Float32Array.from(raw) : Int32Array.from(raw);
    consts.push({ shape: x.shape.slice(), values });
    const key = `c${consts.length - 1}`;
    keyOf.set(x.id, key);
    return key;
  };
  const record = (
    kernel: string,
    inputs: Record<string, tf.Tensor | null>,
    attrs: object | undefined,
    out: unknown,
  ) => {
    const named: [string, string][] = [];
    const inShapes: number[][] = [];
    let allConst = true;
    for (const [name, x] of Object.entries(inputs)) {
      if (x == null) continue;
      const key = keyOf.get(x.id) ?? addConst(x);
      if (key[0] !== 'c') allConst = false;
      named.push([name, key]);
      inShapes.push(x.shape.slice());
    }
    const outs = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
    if (allConst) {
      // constants only (tf.zeros, tf.fill, index arithmetic): folded into a constant
      for (const o of outs) addConst(o);
      return;
    }
    for (const o of outs) {
      if (o.dtype !== 'float32') failure ??= `kernel ${kernel} makes ${o.dtype} values from the state or args`;
    }
    const attrsObj = { ...(attrs ?? {}) } as Record<string, unknown>;
    ops.push({
      kernel,
      inputs: named,
      inShapes,
      attrs: attrsObj,
      attrsJson: JSON.stringify(attrsObj),
      outShapes: outs.map((o) => o.shape.slice()),
    });
    outs.forEach((o, k) => {
      keyOf.set(o.id, `n${ops.length - 1}.${k}`);
    });
  };
  const original = eng.runKernelFunc;
  const originalReadSync = eng.readSync;
  const originalRead = eng.read;
  const own = (['runKernelFunc', 'readSync', 'read'] as const).filter((m) => Object.hasOwn(eng, m));
  const savedDepth = eng.state.gradientDepth;
  let depth = 0;
  let custom: number | undefined; // where the ops of the customGrad op being run start
  eng.runKernelFunc = function (this: EngineInternals, params) {
    const inCustom = custom !== undefined && depth === 1;
    if (depth > 0 && !inCustom) return original.call(this, params);
    if (params.kernelName == null) {
      // tfjs's fused matMul is a customGrad op around the _FusedMatMul kernel (and reshapes),
      // whose gradient is the kernel's own: record the kernels inside; other customGrad ops
      // have gradients of their own, which compiling would lose
      if (inCustom) failure ??= 'it uses a customGrad op';
      const start = ops.length;
      custom = start;
      depth++;
      try {
        return original.call(this, params);
      } finally {
        depth--;
        custom = undefined;
        const inner = ops.slice(start).map((o) => o.kernel);
        if (!inner.includes('_FusedMatMul') || inner.some((k) => k !== '_FusedMatMul' && k !== 'Reshape')) {
          failure ??= 'it uses a customGrad op';
        }
      }
    }
    depth++;
    let out: unknown;
    try {
      out = original.call(this, params);
    } finally {
      depth--;
    }
    record(params.kernelName, params.inputs, params.attrs, out);
    return out;
  };
  eng.readSync = function (this: EngineInternals, dataId) {
    if (depth === 0) failure ??= 'it reads tensor values (dataSync/arraySync)';
    return originalReadSync.call(this, dataId);
  };
  eng.read = function (this: EngineInternals, dataId) {
    if (depth === 0) failure ??= 'it reads tensor values (data/array)';
    return originalRead.call(this, dataId);
  };
  // no tape: a solve may open its session while an outer gradient is being recorded
  eng.state.gradientDepth = 0;
  tracing++;
  try {
    let traced: Trace | string = 'not traced';
    const run = (): Trace | string => {
      const y = tf.tensor(traceState(sizeOfShape(yShape)), yShape.slice(), 'float32');
      keyOf.set(y.id, 'y');
      argTensors.forEach((a, j) => {
        if (!keyOf.has(a.id)) keyOf.set(a.id, `a${j}`);
      });
      let result: unknown;
      try {
        result = f(t, yFromLeaf(y), args);
      } catch (e) {
        return `the field threw while traced: ${(e as Error).message}`;
      }
      const leaves = treeFlatten<unknown>(result as never).leaves;
      const leaf = leaves[0];
      if (leaves.length !== 1 || !(leaf instanceof tf.Tensor)) return 'it does not return a single tensor';
      if (leaf.dtype !== 'float32' || !tf.util.arraysEqual(leaf.shape, yShape as number[])) {
        return "its output's shape or dtype differs from the state's";
      }
      const out = keyOf.get(leaf.id) ?? addConst(leaf);
      if (failure !== undefined) return failure;
      return { ops, consts, out, outValues: Float32Array.from(backend.readSync(leaf.dataId)) };
    };
    tf.tidy(() => {
      traced = run();
    });
    return traced;
  } finally {
    // put the engine back as it was: the methods are the prototype's unless they were overridden
    eng.runKernelFunc = original;
    eng.readSync = originalReadSync;
    eng.read = originalRead;
    for (const m of ['runKernelFunc', 'readSync', 'read'] as const) {
      if (!own.includes(m)) delete (eng as Partial<EngineInternals>)[m];
    }
    eng.state.gradientDepth = savedDepth;
    tracing--;
  }
}

/**
 * How each constant of trace A behaves: 'const' (the same in both traces) or 't' (holds the
 * trace's time); a string says why the traces differ.
 */
function compareTraces(a: Trace, b: Trace): ('const' | 't')[] | string {
  if (a.ops.length !== b.ops.length || a.consts.length !== b.consts.length || a.out !== b.out) {
    return 'its ops change with t';
  }
  for (let i = 0; i < a.ops.length; i++) {
    const p = a.ops[i] as RawOp;
    const q = b.ops[i] as RawOp;
    if (
      p.kernel !== q.kernel ||
      p.attrsJson !== q.attrsJson ||
      JSON.stringify(p.inputs) !== JSON.stringify(q.inputs) ||
      JSON.stringify(p.inShapes) !== JSON.stringify(q.inShapes)
    ) {
      return 'its ops change with t';
    }
  }
  const ta = Math.fround(TRACE_T[0] as number);
  const tb = Math.fround(TRACE_T[1] as number);
  const kinds: ('const' | 't')[] = [];
  for (const [i, c] of a.consts.entries()) {
    const d = b.consts[i] as RawConst;
    if (c.values.every((v, j) => Object.is(v, d.values[j]))) kinds.push('const');
    else if (c.values instanceof Float32Array && c.values.every((v) => v === ta) && d.values.every((v) => v === tb)) {
      kinds.push('t');
    } else return 'its constants change with t other than as t itself';
  }
  return kinds;
}

/** A value of the program: float32 values, float64 cotangent. */
interface Slot {
  value: Float32Array;
  ints: Int32Array | undefined;
  ct: Float64Array;
  isStatic: boolean;
  needsGrad: boolean;
  /** Where `value` and `ct` live in the arena's WebAssembly memory (byte offsets). */
  p32: number;
  p64: number;
}

interface Step {
  isStatic: boolean;
  needsGrad: boolean;
  fwd: () => void;
  bwd: () => void;
}

class Unsupported extends Error {}

const EMPTY32 = new Float32Array(0);
const EMPTY64 = new Float64Array(0);

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function numberAttr(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new Unsupported(`attribute ${name} is not a number`);
  return v;
}

function compileSession(
  f: Field,
  args: unknown,
  yShape: readonly number[],
  argTensors: readonly tf.Tensor[],
  yFromLeaf: (leaf: tf.Tensor) => unknown,
): HostFieldSession | string {
  const backendName = tf.getBackend();
  if (backendName !== 'cpu' && backendName !== 'wasm') return `backend '${backendName}' is not cpu or wasm`;
  const a = trace(f, TRACE_T[0] as number, args, yShape, argTensors, yFromLeaf);
  if (typeof a === 'string') return a;
  const b = trace(f, TRACE_T[1] as number, args, yShape, argTensors, yFromLeaf);
  if (typeof b === 'string') return b;
  const kinds = compareTraces(a, b);
  if (typeof kinds === 'string') return kinds;
  let program: Program;
  try {
    program = new Program(a, kinds, yShape, argTensors);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
  // the program must reproduce tfjs's result on the second trace
  const n = sizeOfShape(yShape);
  const got = program.evaluate(TRACE_T[1] as number, traceState(n));
  for (let i = 0; i < n; i++) {
    const want = b.outValues[i] as number;
    const v = got[i] as number;
    if (Number.isNaN(want) && Number.isNaN(v)) continue;
    if (!(Math.abs(v - want) <= 1e-5 + 1e-4 * Math.abs(want))) {
      return `the compiled program disagrees with tfjs (${v} against ${want} at element ${i})`;
    }
  }
  return program;
}

/** The compiled field of one solve: the recorded kernels on host arrays. */
class Program implements HostFieldSession {
  private readonly slots = new Map<string, Slot>();
  private readonly steps: Step[] = [];
  private readonly dynamicSteps: Step[];
  private readonly staticBackSteps: Step[];
  private readonly y: Slot;
  private readonly out: Slot;
  private readonly tSlots: Slot[] = [];
  private readonly dynamicSlots: Slot[] = [];
  private readonly staticSlots: Slot[] = [];
  private readonly arena = new Arena();
  /** The WebAssembly kernels, or `null`: JavaScript loops then. */
  private readonly k: HostWasmKernels | null = this.arena.k;
  private readonly argSlots: [number, Slot][] = [];
  private readonly n: number;

  constructor(
    tr: Trace,
    kinds: readonly ('const' | 't')[],
    yShape: readonly number[],
    argTensors: readonly tf.Tensor[],
  ) {
    this.n = sizeOfShape(yShape);
    this.y = this.slot(this.n, false, true);
    this.slots.set('y', this.y);
    tr.consts.forEach((c, i) => {
      const ints = c.values instanceof Int32Array ? c.values : undefined;
      const s = this.slot(c.values.length, kinds[i] === 'const', false, ints === undefined ? c.values : undefined);
      s.ints = ints;
      if (kinds[i] === 't') this.tSlots.push(s);
      this.slots.set(`c${i}`, s);
    });
    const slotOf = (key: string): Slot => {
      const known = this.slots.get(key);
      if (known !== undefined) return known;
      if (key[0] === 'a') {
        const j = Number(key.slice(1));
        const t = argTensors[j] as tf.Tensor;
        const float = t.dtype === 'float32';
        const s = this.slot(t.size, true, float, float ? (t.dataSync() as Float32Array) : undefined);
        if (float) this.argSlots.push([j, s]);
        else if (t.dtype === 'int32') s.ints = Int32Array.from(t.dataSync());
        else throw new Unsupported(`an args leaf of dtype ${t.dtype}`);
        this.slots.set(key, s);
        return s;
      }
      throw new Unsupported(`unknown value ${key}`);
    };
    tr.ops.forEach((op, i) => {
      const ins = op.inputs.map(([, key]) => slotOf(key));
      const outs = this.compileOp(op, ins);
      outs.forEach((s, k) => {
        this.slots.set(`n${i}.${k}`, s);
      });
    });
    this.out = slotOf(tr.out);
    this.arena.commit();
    // what depends only on args and constants runs now, once
    for (const s of this.steps) if (s.isStatic) s.fwd();
    this.dynamicSteps = this.steps.filter((s) => !s.isStatic);
    this.staticBackSteps = this.steps.filter((s) => s.isStatic && s.needsGrad).reverse();
  }

  /** A new value of `size` elements in the arena (`init` copied in once it is laid out). */
  private slot(size: number, isStatic: boolean, needsGrad: boolean, init?: ArrayLike<number>): Slot {
    const s: Slot = { value: EMPTY32, ints: undefined, ct: EMPTY64, isStatic, needsGrad, p32: 0, p64: 0 };
    s.p32 = this.arena.reserve(size * 4, (buffer, ptr) => {
      s.value = f32View(buffer, ptr, size);
      if (init !== undefined) s.value.set(init);
    });
    s.p64 = this.arena.reserve(size * 8, (buffer, ptr) => {
      s.ct = f64View(buffer, ptr, size);
    });
    (isStatic ? this.staticSlots : this.dynamicSlots).push(s);
    return s;
  }

  /** An index map copied into the arena; its pointer. */
  private mapPtr(map: Int32Array): number {
    return this.arena.reserve(map.length * 4, (buffer, ptr) => {
      i32View(buffer, ptr, map.length).set(map);
    });
  }

  private result(size: number, ins: readonly Slot[]): Slot {
    return this.slot(
      size,
      ins.every((s) => s.isStatic),
      ins.some((s) => s.needsGrad),
    );
  }

  private push(ins: readonly Slot[], outs: readonly Slot[], fwd: () => void, bwd: () => void): void {
    this.steps.push({
      isStatic: ins.every((s) => s.isStatic),
      needsGrad: outs.some((s) => s.needsGrad),
      fwd,
      bwd,
    });
  }

  /** Adds the steps of one recorded kernel; returns its output slots. */
  private compileOp(op: RawOp, ins: Slot[]): Slot[] {
    const outShape = op.outShapes[0] as number[];
    const outSize = sizeOfShape(outShape);
    const x = ins[0] as Slot;
    const xShape = op.inShapes[0] as number[];
    const at = op.attrs;
    const k = op.kernel;
    if (k === 'Reshape' || k === 'Identity' || k === 'ExpandDims' || k === 'Squeeze') return [x];
    if (k === 'Cast') {
      if (x.ints === undefined) return [x];
      // an int32 args leaf made float32: a constant of this solve
      return [this.slot(outSize, true, false, x.ints)];
    }
    const unary = UNARY[k];
    if (unary !== undefined) {
      let p = 0;
      let q = 0;
      if (k === 'LeakyRelu') p = numberAttr(at.alpha, 'alpha');
      if (k === 'ClipByValue') {
        p = numberAttr(at.clipValueMin, 'clipValueMin');
        q = numberAttr(at.clipValueMax, 'clipValueMax');
      }
      return [this.unary(k, x, outSize, p, q)];
    }
    const binary = BINARY[k];
    if (binary !== undefined) {
      const named = new Map(op.inputs.map(([name], j) => [name, j]));
      const ia = named.get('a') as number;
      const ib = named.get('b') as number;
      return [
        this.binary(
          k,
          ins[ia] as Slot,
          op.inShapes[ia] as number[],
          ins[ib] as Slot,
          op.inShapes[ib] as number[],
          outShape,
        ),
      ];
    }
    switch (k) {
      case 'BatchMatMul':
      case '_FusedMatMul':
        return [this.matMul(op, ins, outShape)];
      case 'AddN': {
        const out = this.result(outSize, ins);
        this.push(
          ins,
          [out],
          () => {
            for (let i = 0; i < outSize; i++) {
              let s = 0;
              for (const v of ins) s += v.value[i] as number;
              out.value[i] = s;
            }
          },
          () => {
            for (const v of ins) {
              if (!v.needsGrad) continue;
              for (let i = 0; i < outSize; i++) v.ct[i] = (v.ct[i] as number) + (out.ct[i] as number);
            }
          },
        );
        return [out];
      }
      case 'Concat':
      case 'Pack': {
        const rank = (k === 'Pack' ? xShape.length + 1 : xShape.length) as number;
        const axis = normAxis(numberAttr(at.axis, 'axis'), rank);
        const inners = op.inShapes.map((s) => sizeOfShape(s.slice(axis)));
        return [this.pieces(ins, inners, sizeOfShape(outShape.slice(0, axis)), outSize)];
      }
      case 'Unpack':
      case 'SplitV': {
        const axis = normAxis(numberAttr(at.axis, 'axis'), xShape.length);
        const inners = op.outShapes.map((s) => sizeOfShape(s.slice(axis)));
        const outs = op.outShapes.map((s) => this.result(sizeOfShape(s), [x]));
        this.piecesSplit(x, outs, inners, sizeOfShape(xShape.slice(0, axis)));
        return outs;
      }
      case 'Slice': {
        const begin = Array.isArray(at.begin) ? (at.begin as number[]) : [numberAttr(at.begin, 'begin')];
        const st = stridesOf(xShape);
        const offset = st.reduce((s, v, d) => s + v * ((begin[d] as number | undefined) ?? 0), 0);
        return [this.gather(x, stridedMap(outShape, st, offset))];
      }
      case 'Transpose': {
        const perm = at.perm as number[];
        const st = stridesOf(xShape);
        return [
          this.gather(
            x,
            stridedMap(
              outShape,
              perm.map((p) => st[p] as number),
              0,
            ),
          ),
        ];
      }
      case 'Tile': {
        const st = stridesOf(xShape);
        return [
          this.gather(
            x,
            mapByOdometer(outShape, (idx) =>
              idx.reduce((s, v, d) => s + (v % (xShape[d] as number)) * (st[d] as number), 0),
            ),
          ),
        ];
      }
      case 'BroadcastTo': {
        const map = broadcastMap(xShape, outShape);
        return [map === undefined ? x : this.gather(x, map)];
      }
      case 'GatherV2': {
        const idxSlot = ins[1] as Slot;
        const ints = idxSlot.ints;
        if (ints === undefined || !idxSlot.isStatic)
          throw new Unsupported('GatherV2 with indices that are not constant int32');
        if ((at.batchDims ?? 0) !== 0) throw new Unsupported('GatherV2 with batchDims');
        const axis = normAxis(numberAttr(at.axis, 'axis'), xShape.length);
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
        return [this.gather(x, map)];
      }
      case 'Sum':
      case 'Mean':
      case 'Prod':
      case 'Max':
      case 'Min':
        return [this.reduce(k, x, xShape, at, outSize)];
      default:
        throw new Unsupported(`it uses kernel ${k}, which compileField does not cover`);
    }
  }

  private unary(name: string, x: Slot, n: number, p: number, q: number): Slot {
    const u = UNARY[name] as (typeof UNARY)[string];
    const out = this.result(n, [x]);
    const k = this.k;
    const code = WASM_UNARY[name];
    this.push(
      [x],
      [out],
      k !== null && code !== undefined
        ? () => k.unary(code, x.p32, out.p32, n)
        : () => u.fwd(x.value, out.value, n, p, q),
      k !== null && name === 'Tanh'
        ? () => {
            if (x.needsGrad) k.tanhBack(x.p64, out.p64, out.p32, n);
          }
        : () => {
            if (x.needsGrad) u.bwd(x.value, out.value, out.ct, x.ct, n, p, q);
          },
    );
    return out;
  }

  /** A dense view of `s` at the output's shape: itself, or a gathered copy (once, when static). */
  private expand(s: Slot, shape: number[], outShape: number[]): Slot {
    const map = broadcastMap(shape, outShape);
    return map === undefined ? s : this.gather(s, map);
  }

  private binary(name: string, a: Slot, aShape: number[], b: Slot, bShape: number[], outShape: number[]): Slot {
    const va = this.expand(a, aShape, outShape);
    const vb = this.expand(b, bShape, outShape);
    const n = sizeOfShape(outShape);
    const out = this.result(n, [va, vb]);
    const op = BINARY[name] as (typeof BINARY)[string];
    const k = this.k;
    const code = WASM_BINARY[name];
    if (k !== null && code !== undefined) {
      const bwd =
        name === 'Add' || name === 'Sub'
          ? () => {
              if (va.needsGrad) k.axpy64(va.p64, out.p64, 1, n);
              if (vb.needsGrad) k.axpy64(vb.p64, out.p64, name === 'Add' ? 1 : -1, n);
            }
          : name === 'Multiply'
            ? () => {
                if (va.needsGrad) k.mulAcc(va.p64, out.p64, vb.p32, n);
                if (vb.needsGrad) k.mulAcc(vb.p64, out.p64, va.p32, n);
              }
            : undefined;
      if (bwd !== undefined) {
        this.push([va, vb], [out], () => k.binary(code, va.p32, vb.p32, out.p32, n), bwd);
        return out;
      }
    }
    this.push(
      [va, vb],
      [out],
      k !== null && code !== undefined
        ? () => k.binary(code, va.p32, vb.p32, out.p32, n)
        : () => op.fwd(va.value, vb.value, out.value, n),
      () =>
        op.bwd(
          va.value,
          vb.value,
          out.value,
          out.ct,
          va.needsGrad ? va.ct : undefined,
          vb.needsGrad ? vb.ct : undefined,
          n,
        ),
    );
    return out;
  }

  private gather(x: Slot, map: Int32Array): Slot {
    const out = this.result(map.length, [x]);
    const k = this.k;
    const n = map.length;
    if (k !== null) {
      const mp = this.mapPtr(map);
      this.push(
        [x],
        [out],
        () => k.gather(mp, x.p32, out.p32, n),
        () => {
          if (x.needsGrad) k.scatterAdd(mp, out.p64, x.p64, n);
        },
      );
      return out;
    }
    this.push(
      [x],
      [out],
      () => gatherForward(map, x.value, out.value),
      () => {
        if (x.needsGrad) gatherBackward(map, out.ct, x.ct);
      },
    );
    return out;
  }

  private matMul(op: RawOp, ins: Slot[], outShape: number[]): Slot {
    const named = new Map(op.inputs.map(([name], j) => [name, j]));
    const ia = named.get('a') as number;
    const ib = named.get('b') as number;
    if (named.has('preluActivationWeights')) throw new Unsupported('a fused matMul with prelu');
    const aShape = op.inShapes[ia] as number[];
    const bShape = op.inShapes[ib] as number[];
    if (aShape.length < 2 || bShape.length < 2) throw new Unsupported('matMul of rank < 2');
    const tA = op.attrs.transposeA === true;
    const tB = op.attrs.transposeB === true;
    const [a0, a1] = aShape.slice(-2) as [number, number];
    const [b0, b1] = bShape.slice(-2) as [number, number];
    const M = tA ? a1 : a0;
    const K = tA ? a0 : a1;
    const N = tB ? b0 : b1;
    const batchA = sizeOfShape(aShape.slice(0, -2));
    const batchB = sizeOfShape(bShape.slice(0, -2));
    const batch = sizeOfShape(outShape.slice(0, -2));
    if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
      throw new Unsupported('a matMul whose batch dimensions broadcast partly');
    }
    const plan: MatMulPlan = {
      transposeA: tA,
      transposeB: tB,
      batch,
      M,
      K,
      N,
      sab: batchA === 1 ? 0 : a0 * a1,
      sam: tA ? 1 : a1,
      sak: tA ? a1 : 1,
      sbb: batchB === 1 ? 0 : b0 * b1,
      sbk: tB ? 1 : b1,
      sbn: tB ? b1 : 1,
    };
    const a = ins[ia] as Slot;
    const b = ins[ib] as Slot;
    const size = batch * M * N;
    const acc = new Float64Array(Math.max(16, N));
    const k = this.k;
    let out = this.result(size, [a, b]);
    const mm = out;
    this.push(
      [a, b],
      [mm],
      k !== null
        ? () => {
            for (let q = 0; q < batch; q++) {
              k.matmul(
                a.p32 + 4 * q * plan.sab,
                b.p32 + 4 * q * plan.sbb,
                mm.p32 + 4 * q * M * N,
                M,
                K,
                N,
                plan.sam,
                plan.sak,
                plan.sbk,
                plan.sbn,
              );
            }
          }
        : () => matMulForward(plan, a.value, b.value, mm.value, acc),
      k !== null
        ? () => {
            for (let q = 0; q < batch; q++) {
              k.matmulBack(
                a.p32 + 4 * q * plan.sab,
                b.p32 + 4 * q * plan.sbb,
                mm.p64 + 8 * q * M * N,
                a.needsGrad ? a.p64 + 8 * q * plan.sab : 0,
                b.needsGrad ? b.p64 + 8 * q * plan.sbb : 0,
                M,
                K,
                N,
                plan.sam,
                plan.sak,
                plan.sbk,
                plan.sbn,
              );
            }
          }
        : () =>
            matMulBackward(
              plan,
              a.value,
              b.value,
              mm.ct,
              a.needsGrad ? a.ct : undefined,
              b.needsGrad ? b.ct : undefined,
            ),
    );
    if (op.kernel !== '_FusedMatMul') return out;
    const ibias = named.get('bias');
    if (ibias !== undefined) {
      out = this.binary('Add', out, outShape, ins[ibias] as Slot, op.inShapes[ibias] as number[], outShape);
    }
    const act = (op.attrs.activation as string | undefined) ?? 'linear';
    const names: Record<string, string> = {
      relu: 'Relu',
      relu6: 'Relu6',
      elu: 'Elu',
      sigmoid: 'Sigmoid',
      leakyrelu: 'LeakyRelu',
    };
    if (act === 'linear') return out;
    if (UNARY[names[act] ?? ''] === undefined) throw new Unsupported(`a fused matMul with activation ${act}`);
    const alpha = act === 'leakyrelu' ? numberAttr(op.attrs.leakyreluAlpha, 'leakyreluAlpha') : 0;
    return this.unary(names[act] as string, out, size, alpha, 0);
  }

  /** Concat/Pack: pieces of `inners[j]` per outer index laid side by side. */
  private pieces(ins: Slot[], inners: number[], outer: number, outSize: number): Slot {
    const total = inners.reduce((s, v) => s + v, 0);
    const offs = inners.map((_, j) => inners.slice(0, j).reduce((s, v) => s + v, 0));
    const out = this.result(outSize, ins);
    const k = this.k;
    this.push(
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
    return out;
  }

  /** Unpack/SplitV: the inverse of {@link Program.pieces}. */
  private piecesSplit(x: Slot, outs: Slot[], inners: number[], outer: number): void {
    const total = inners.reduce((s, v) => s + v, 0);
    const offs = inners.map((_, j) => inners.slice(0, j).reduce((s, v) => s + v, 0));
    const k = this.k;
    this.push(
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
  }

  private reduce(k: string, x: Slot, xShape: number[], at: Record<string, unknown>, outSize: number): Slot {
    const rank = xShape.length;
    const raw = k === 'Max' ? at.reductionIndices : at.axis;
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
    const out = this.result(outSize, [x]);
    const acc = new Float64Array(outSize);
    const n = map.length;
    // the reduced axes are the last ones: contiguous groups, no map needed
    const wasm = this.k;
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
    this.push([x], [out], fwd, bwd);
    return out;
  }

  private forward(t: number, y: ArrayLike<number>): void {
    this.y.value.set(y as ArrayLike<number>);
    for (const s of this.tSlots) s.value.fill(t);
    for (const s of this.dynamicSteps) s.fwd();
  }

  evaluate(t: number, y: ArrayLike<number>): Float32Array {
    this.forward(t, y);
    return this.out.value.slice(0, this.n);
  }

  private backward(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    onValue?: (f: Float32Array) => void,
  ): Float32Array {
    this.forward(t, y);
    onValue?.(this.out.value.slice(0, this.n));
    for (const s of this.dynamicSlots) s.ct.fill(0);
    const seed = this.out.ct;
    for (let i = 0; i < this.n; i++) seed[i] = (seed[i] as number) + (ct[i] as number);
    for (let i = this.dynamicSteps.length - 1; i >= 0; i--) {
      const s = this.dynamicSteps[i] as Step;
      if (s.needsGrad) s.bwd();
    }
    return Float32Array.from(this.y.ct);
  }

  vjp(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    argGrads: Float64Array[],
    onValue?: (f: Float32Array) => void,
  ): Float32Array {
    const gy = this.backward(t, y, ct, onValue);
    this.flushArgGrads(argGrads);
    return gy;
  }

  vjpDeferred(
    t: number,
    y: ArrayLike<number>,
    ct: ArrayLike<number>,
    onValue?: (f: Float32Array) => void,
  ): Float32Array {
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

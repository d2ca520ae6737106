// The whole-tree WebAssembly path of the column evaluator: a tree is compiled to a short postfix
// program (constant subtrees folded in JavaScript, exactly as the column path folds them) and
// interpreted by the kernels module's `run` (assembly/sr-kernels.ts) over blocks of 256 rows, one
// call per evaluation, optionally fused with the squared-error sum. Every instruction does the
// column path's arithmetic for that operation (with the WebAssembly kernels on), so results are
// the same bit for bit; trees with an operation it lacks (tanh, a constant base ≤ 0 of ^, calls)
// return `undefined` and the column path runs.

import { binaryScalar, unaryScalar } from './kernels.js';
import type { ExprNode } from './node.js';
import { type KernelExports, newKernelInstance } from './wasm-kernels.js';

/** Op codes of the interpreter (assembly/sr-kernels.ts, the P_ constants). */
const OP = {
  copy: 0,
  neg: 1,
  exp: 2,
  log: 3,
  sqrt: 4,
  sin: 5,
  cos: 6,
  square: 7,
  cube: 8,
  inv: 9,
  abs: 10,
  add: 11,
  sub: 12,
  mul: 13,
  div: 14,
  pow: 15,
  powLogged: 16,
  addK: 17,
  subK: 18,
  kSub: 19,
  mulK: 20,
  divK: 21,
  kDiv: 22,
  powK: 23,
  powLoggedK: 24,
  expScaled: 25,
  powHalf: 26,
  powMinusHalf: 27,
  powMinus2: 28,
  pow4: 29,
} as const;

/** Unary operators by op code; those cached over a whole variable's column are marked. */
const UNARY_OPS: Readonly<Record<string, number>> = {
  neg: OP.neg,
  exp: OP.exp,
  log: OP.log,
  sqrt: OP.sqrt,
  sin: OP.sin,
  cos: OP.cos,
  square: OP.square,
  cube: OP.cube,
  inv: OP.inv,
  abs: OP.abs,
};
const CACHED_UNARY: ReadonlySet<string> = new Set(['exp', 'log', 'sqrt', 'sin', 'cos']);
const RISKY_UNARY: ReadonlySet<string> = new Set(['log', 'sqrt']);

/** x^k for the constants the column path runs without exp and log (kernels.ts colScalarKernel). */
const PLAIN_POW: ReadonlyMap<number, number> = new Map([
  [1, OP.copy],
  [2, OP.square],
  [3, OP.cube],
  [4, OP.pow4],
  [-1, OP.inv],
  [-2, OP.powMinus2],
  [0.5, OP.powHalf],
  [-0.5, OP.powMinusHalf],
]);

/** Column op constant (and constant op column, where the order is free or has its own code). */
const COL_K: Readonly<Record<string, number>> = { '+': OP.addK, '-': OP.subK, '*': OP.mulK, '/': OP.divK };
const K_COL: Readonly<Record<string, number>> = { '+': OP.addK, '-': OP.kSub, '*': OP.mulK, '/': OP.kDiv };
const COL_COL: Readonly<Record<string, number>> = { '+': OP.add, '-': OP.sub, '*': OP.mul, '/': OP.div, '^': OP.pow };

/** Instructions and stack levels (slots) a program may use; larger trees take the column path. */
const MAX_INSTRUCTIONS = 256;
const SLOTS = 32;
/** Bytes of one instruction. */
const INSTRUCTION = 32;
/** Doubles of operator columns cached per evaluator (32 MiB), as the column path. */
const MAX_CACHED_VALUES = 1 << 22;

/** An operand: a constant (number) or a column's operand word (address, +1 when indexed by row). */
type Operand = number | { readonly word: number };

/** Thrown inside `compile` for a tree the interpreter does not run. */
const UNSUPPORTED = Symbol('unsupported');
/** Thrown inside `compile` when a checked cached column is not finite (the whole result is NaN). */
const ABORT = Symbol('abort');

interface CachedColumn {
  readonly word: number;
  readonly finite: boolean;
}

/** A data column in the instance: its address, its operand, its cached operator columns by operator (null: no room). */
interface VarColumn {
  readonly addr: number;
  readonly operand: { readonly word: number };
  readonly cache: Map<string, CachedColumn | null>;
}

/**
 * One WebAssembly instance holding the evaluator's data columns (copied in, with a copy of the
 * last row after them), the target column of {@link ProgramRunner.sumSquares}, the output column,
 * cached operator columns, the slots and the program. Internal to {@link ColumnEvaluator}.
 */
export class ProgramRunner {
  private readonly fns: KernelExports;
  private f64: Float64Array;
  private i32: Int32Array;
  private readonly progAddr: number;
  private readonly slotAddr: number;
  private readonly block: number;
  private readonly vars = new Map<string, VarColumn>();
  /** The operand of each slot (made once: compiling allocates nothing per node). */
  private readonly slotOperands: { readonly word: number }[] = [];
  private readonly outAddr: number;
  private readonly yAddr: number;
  private readonly fixedEnd: number;
  private next: number;
  private count = 0;
  private cachedValues = 0;
  private target: Float64Array | undefined;

  private constructor(
    fns: KernelExports,
    private readonly columns: Readonly<Record<string, Float64Array>>,
    private readonly n: number,
    private readonly abortOnNonFinite: boolean,
  ) {
    this.fns = fns;
    this.block = fns.block();
    let p = align(fns.heapBase());
    this.progAddr = p;
    // the program, then one instruction more for the cached columns' one-instruction programs
    p += (MAX_INSTRUCTIONS + 1) * INSTRUCTION;
    this.slotAddr = p;
    for (let i = 0; i < SLOTS; i++) this.slotOperands.push({ word: p + i * this.block * 8 });
    p += SLOTS * this.block * 8;
    const colBytes = align((n + 2) * 8);
    for (const name of Object.keys(columns)) {
      this.vars.set(name, { addr: p, operand: { word: p + 1 }, cache: new Map() });
      p += colBytes;
    }
    this.outAddr = p;
    p += colBytes;
    this.yAddr = p;
    p += colBytes;
    this.fixedEnd = p;
    this.next = p;
    this.ensure(p);
    this.f64 = new Float64Array(fns.memory.buffer);
    this.i32 = new Int32Array(fns.memory.buffer);
    this.load();
  }

  /** A runner over `columns` (n rows each), or null without WebAssembly SIMD. */
  static create(
    columns: Readonly<Record<string, Float64Array>>,
    n: number,
    abortOnNonFinite: boolean,
  ): ProgramRunner | null {
    const fns = newKernelInstance();
    if (fns === null) return null;
    try {
      return new ProgramRunner(fns, columns, n, abortOnNonFinite);
    } catch {
      // no room for the data in a WebAssembly memory (wasm32: 4 GiB at most): the column path runs
      return null;
    }
  }

  /** Bytes of the instance's memory (grows only with cached operator columns, up to their cap). */
  get memoryBytes(): number {
    return this.fns.memory.buffer.byteLength;
  }

  /** Copies the data columns in again and drops the cached operator columns and the target. */
  load(): void {
    const { f64, n } = this;
    for (const [name, v] of this.vars) {
      const col = this.columns[name] as Float64Array;
      f64.set(col, v.addr / 8);
      f64[v.addr / 8 + n] = col[n - 1] as number;
      v.cache.clear();
    }
    this.cachedValues = 0;
    this.next = this.fixedEnd;
    this.target = undefined;
  }

  /**
   * Evaluates `node` into `out`: true when done (all NaN when it aborted), false when the tree has
   * an operation the interpreter lacks (nothing written; the column path runs it).
   */
  evaluate(node: ExprNode, out: Float64Array): boolean {
    const r = this.compileRoot(node);
    if (r === undefined) return false;
    if (r === ABORT) {
      out.fill(Number.NaN);
      return true;
    }
    if (typeof r === 'number') {
      out.fill(r, 0, this.n);
      return true;
    }
    if (this.count === 0) {
      // a variable or a cached operator column
      const a = (r.word & ~1) / 8;
      out.set(this.f64.subarray(a, a + this.n));
      return true;
    }
    // the last instruction writes the output column
    this.i32[(this.progAddr + (this.count - 1) * INSTRUCTION + 4) / 4] = this.outAddr + 1;
    if (Number.isNaN(this.fns.run(this.progAddr, this.count, this.n, 0, 0))) {
      out.fill(Number.NaN);
      return true;
    }
    const o = this.outAddr / 8;
    out.set(this.f64.subarray(o, o + this.n));
    return true;
  }

  /**
   * Σ(f − y)² over the rows with mseOf's summation order, NaN when the evaluation aborted;
   * undefined when the interpreter does not run this tree or its result is not a computed column.
   * `y` is copied in when it is not the array of the previous call (or after {@link load}).
   */
  sumSquares(node: ExprNode, y: Float64Array): number | undefined {
    const r = this.compileRoot(node);
    if (r === undefined) return undefined;
    if (r === ABORT) return Number.NaN;
    if (typeof r === 'number' || this.count === 0) return undefined;
    if (this.target !== y) {
      this.f64.set(y, this.yAddr / 8);
      this.target = y;
    }
    return this.fns.run(this.progAddr, this.count, this.n, this.slotAddr, this.yAddr);
  }

  /** Compiles the tree (program in memory, `count` set); undefined when unsupported. */
  private compileRoot(node: ExprNode): Operand | typeof ABORT | undefined {
    this.count = 0;
    try {
      return this.compile(node, 0);
    } catch (e) {
      if (e === UNSUPPORTED) return undefined;
      if (e === ABORT) return ABORT;
      throw e;
    }
  }

  private compile(node: ExprNode, depth: number): Operand {
    switch (node.kind) {
      case 'const':
        return node.value;
      case 'var': {
        const v = this.vars.get(node.name);
        if (v === undefined) throw UNSUPPORTED;
        return v.operand;
      }
      case 'unary': {
        const code = UNARY_OPS[node.op];
        if (code === undefined) throw UNSUPPORTED;
        const risky = this.abortOnNonFinite && RISKY_UNARY.has(node.op);
        if (node.arg.kind === 'var' && CACHED_UNARY.has(node.op)) {
          const c = this.cached(node.op, code, node.arg.name);
          if (c !== undefined) {
            if (risky && !c.finite) throw ABORT;
            return c;
          }
        }
        const a = this.compile(node.arg, depth);
        if (typeof a === 'number') return unaryScalar(node.op, a);
        return this.emit(code, depth, a.word, 0, 0, 0, risky);
      }
      case 'binary': {
        const check = this.abortOnNonFinite && node.op === '^';
        if (node.op === '^' && node.left.kind === 'var') {
          const p = this.powOfVariable(node.left.name, node.right, depth, check);
          if (p !== undefined) return p;
        }
        const a = this.compile(node.left, depth);
        const b = this.compile(node.right, depth + 1);
        if (typeof a === 'number') {
          if (typeof b === 'number') return binaryScalar(node.op, a, b);
          if (node.op === '^') {
            if (!(a > 0 && a < Number.POSITIVE_INFINITY)) throw UNSUPPORTED;
            return this.emit(OP.expScaled, depth, b.word, 0, 0, Math.log(a), check);
          }
          return this.emit(opOf(K_COL, node.op), depth, b.word, 0, 0, a, check);
        }
        if (typeof b === 'number') {
          if (node.op === '^') return this.emitPow(a.word, 0, b, depth, check);
          return this.emit(opOf(COL_K, node.op), depth, a.word, 0, 0, b, check);
        }
        return this.emit(opOf(COL_COL, node.op), depth, a.word, b.word, 0, 0, check);
      }
      default:
        throw UNSUPPORTED;
    }
  }

  /** `name^exponent` from the variable's cached log column (as the column path); undefined where that does not apply. */
  private powOfVariable(name: string, exponent: ExprNode, depth: number, check: boolean): Operand | undefined {
    if (exponent.kind === 'const' && PLAIN_POW.has(exponent.value)) return undefined;
    const v = this.vars.get(name);
    if (v === undefined) return undefined;
    const col = v.addr;
    const logs = this.cached('log', OP.log, name);
    if (logs === undefined) return undefined;
    const b = this.compile(exponent, depth);
    if (typeof b === 'number') {
      if (PLAIN_POW.has(b)) return this.emitPow(col + 1, 0, b, depth, check);
      return this.emitPow(col + 1, logs.word, b, depth, check);
    }
    return this.emit(OP.powLogged, depth, col + 1, b.word, logs.word, 0, check);
  }

  /** column^k: the plain kernels for the special exponents, else a^k from log a (given, or computed). */
  private emitPow(a: number, logs: number, k: number, depth: number, check: boolean): Operand {
    const plain = PLAIN_POW.get(k);
    if (plain !== undefined) return this.emit(plain, depth, a, 0, 0, 0, check);
    if (logs !== 0) return this.emit(OP.powLoggedK, depth, a, 0, logs, k, check);
    return this.emit(OP.powK, depth, a, 0, 0, k, check);
  }

  private emit(op: number, depth: number, a: number, b: number, c: number, k: number, check: boolean): Operand {
    if (depth >= SLOTS || this.count >= MAX_INSTRUCTIONS) throw UNSUPPORTED;
    const dst = this.slotAddr + depth * this.block * 8;
    const p = this.progAddr + this.count * INSTRUCTION;
    const w = p / 4;
    const { i32 } = this;
    i32[w] = op;
    i32[w + 1] = dst;
    i32[w + 2] = a;
    i32[w + 3] = b;
    i32[w + 4] = c;
    i32[w + 5] = check ? 1 : 0;
    this.f64[(p + 24) / 8] = k;
    this.count++;
    return this.slotOperands[depth] as Operand;
  }

  /** `op` over the whole column of variable `name`, computed on first use; undefined when the cache is full. */
  private cached(op: string, code: number, name: string): CachedColumn | undefined {
    const v = this.vars.get(name);
    if (v === undefined) return undefined;
    const hit = v.cache.get(op);
    if (hit !== undefined) return hit ?? undefined;
    const src = v.addr;
    if (this.cachedValues + this.n > MAX_CACHED_VALUES) {
      v.cache.set(op, null);
      return undefined;
    }
    const addr = this.next;
    try {
      this.ensure(addr + align((this.n + 2) * 8));
    } catch {
      v.cache.set(op, null);
      return undefined;
    }
    this.next = addr + align((this.n + 2) * 8);
    // a one-instruction program (after the program being compiled) over the whole column and the
    // copy of its last row
    const p = this.progAddr + MAX_INSTRUCTIONS * INSTRUCTION;
    this.i32.set([code, addr + 1, src + 1, 0, 0, 0], p / 4);
    this.fns.run(p, 1, this.n + 1, 0, 0);
    const values = this.f64.subarray(addr / 8, addr / 8 + this.n);
    let finite = true;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i] as number)) {
        finite = false;
        break;
      }
    }
    const entry: CachedColumn = { word: addr + 1, finite };
    v.cache.set(op, entry);
    this.cachedValues += this.n;
    return entry;
  }

  /** Grows the memory to hold `bytes` bytes (and renews the views). */
  private ensure(bytes: number): void {
    const { memory } = this.fns;
    if (memory.buffer.byteLength < bytes) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      this.f64 = new Float64Array(memory.buffer);
      this.i32 = new Int32Array(memory.buffer);
    }
  }
}

function opOf(table: Readonly<Record<string, number>>, op: string): number {
  const code = table[op];
  if (code === undefined) throw UNSUPPORTED;
  return code;
}

function align(bytes: number): number {
  return (bytes + 15) & ~15;
}

import { compileField, hostImplementationOf, type Precision } from '@odekit/core';

/**
 * What `diffeqsolve`'s `compile` option takes: `true` (the default) compiles a plain tfjs field
 * where it can (as `compileField` does) and falls back to the tensor field otherwise; `false`
 * runs the field as written; the object form is `true` with a say in fallbacks.
 */
export type CompileOption =
  | boolean
  | {
      /** Throw (with the reason) instead of falling back to the tensor field. */
      strict?: boolean;
      /** Called with each reason the solve did not take the fast host path. */
      onFallback?: (reason: string) => void;
      /**
       * The compiled program's arithmetic (`compileField`'s `precision`): `'float32'` (the
       * default) or `'float64'`, for stiff solves below rtol ≈ 1e-4. A field that carries its
       * own host implementation keeps it.
       */
      precision?: Precision;
    };

/** The checked form of a {@link CompileOption}. */
export interface CompileChoice {
  readonly enabled: boolean;
  readonly strict: boolean;
  readonly onFallback: ((reason: string) => void) | undefined;
  readonly precision: Precision;
}

/** Checks `diffeqsolve`'s `compile` option. */
export function compileChoice(option: unknown): CompileChoice {
  if (option === undefined || option === true) {
    return { enabled: true, strict: false, onFallback: undefined, precision: 'float32' };
  }
  if (option === false) return { enabled: false, strict: false, onFallback: undefined, precision: 'float32' };
  const fix =
    "pass true (the default), false, or { strict?: boolean, onFallback?: (reason) => void, precision?: 'float32' | 'float64' }";
  if (typeof option !== 'object' || option === null) {
    throw new Error(`diffeqsolve: 'compile' must be a boolean or an object, got ${String(option)}; ${fix}.`);
  }
  const o = option as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'strict' && key !== 'onFallback' && key !== 'precision')
      throw new Error(`diffeqsolve: unknown 'compile' option '${key}'; ${fix}.`);
  }
  if (o.strict !== undefined && typeof o.strict !== 'boolean') {
    throw new Error(`diffeqsolve: 'compile.strict' must be a boolean; ${fix}.`);
  }
  if (o.onFallback !== undefined && typeof o.onFallback !== 'function') {
    throw new Error(`diffeqsolve: 'compile.onFallback' must be a function; ${fix}.`);
  }
  if (o.precision !== undefined && o.precision !== 'float32' && o.precision !== 'float64') {
    throw new Error(`diffeqsolve: 'compile.precision' must be 'float32' or 'float64', got ${String(o.precision)}.`);
  }
  return {
    enabled: true,
    strict: o.strict === true,
    onFallback: o.onFallback as ((reason: string) => void) | undefined,
    precision: (o.precision as Precision | undefined) ?? 'float32',
  };
}

// The compiled twin of each plain field solved so far, weakly keyed by the field function: a
// cache (a pure function of its key; see packages/core/ARCHITECTURE.md), the one exception here to
// "no module-level mutable state", as JAX keeps its jit cache on the function.
const compiledFields = { float32: new WeakMap<object, unknown>(), float64: new WeakMap<object, unknown>() };

/**
 * The field a solve runs on host arrays: `field` itself when it carries a host implementation already (a
 * `compileField` field, an MLP's `vectorField`) or when compiling is off, else its compiled
 * twin. The twin is made once per field function and kept as long as the function lives, so what `compileField` learns about the field's
 * structures (its trace-once memos) carries over to later solves of the same function; a field
 * written inline in each call is compiled afresh each time (as `jit` of a new lambda is in JAX).
 * One twin per precision.
 */
export function fieldForHost<F extends (t: number, y: never, args: never) => unknown>(
  field: F,
  enabled: boolean,
  precision: Precision = 'float32',
): F {
  if (!enabled || hostImplementationOf(field) !== undefined) return field;
  const cache = compiledFields[precision];
  const known = cache.get(field) as F | undefined;
  if (known !== undefined) return known;
  const made = compileField(field, { precision });
  cache.set(field, made);
  return made;
}

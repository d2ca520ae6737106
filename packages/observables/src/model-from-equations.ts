import {
  type CompileFieldOptions,
  compileField,
  hostImplementationOf,
  type TreeDef,
  treeFlatten,
  treeUnflatten,
} from '@odekit/core';
import { type MlpLayer, type MlpParams, mlp } from '@odekit/nn';
import { type CompiledFunction, compileExpression, Expression, variable, variablesOf } from '@odekit/symbolic';
import * as tf from '@tensorflow/tfjs-core';
import { type EquationsSpec, type ParsedSpec, parseSpec } from './equations-spec.js';
import { ObservablesError } from './errors.js';
import { buildModel, type ModelContext, type ObservedModel, type SolveSettings } from './model.js';
import { initialFromData } from './observed-model.js';
import { type SubstituteOptions, substituteNetwork } from './substitute.js';

/**
 * The parameters of a model written as equations: `physics` (the spec's parameters, float32
 * scalars), `networks` (an MLP parameter tree per network), `initial` (a scalar per state whose
 * initial value is `"fit"`; and, optionally, for a state whose initial value is `"data"`, a
 * `[trajectories]` tensor of corrections added to each trajectory's first row — zeros make the
 * first rows themselves, and training them fits each trajectory's start to the whole series
 * when the first row is as noisy as the rest). `fit`'s stages pick them by these top-level names.
 */
export type EquationsParams = {
  physics: Record<string, tf.Scalar>;
  networks: Record<string, MlpParams>;
  initial: Record<string, tf.Tensor>;
};

/** Options of {@link modelFromEquations} besides the spec. */
export interface EquationsOptions extends Omit<SolveSettings, 't0'> {
  /** Seed of the networks' initial weights (default 0; network i uses seed + i unless its spec says). */
  readonly seed?: number;
  /** Run the field through `compileField` (default true); options pass through. */
  readonly compile?: boolean | CompileFieldOptions;
}

/** A network of an {@link EquationsModel}: its layer and the fixed scales around it. */
export interface EquationsNetwork {
  /** How many inputs it takes. */
  readonly inputs: number;
  /** The layer (without the scales). */
  readonly layer: MlpLayer;
  /** Each input is divided by its scale before the layer (the spec's `inputScale`; 1s by default). */
  readonly inputScale: readonly number[];
  /** The layer's output is multiplied by this (the spec's `outputScale`; 1 by default). */
  readonly outputScale: number;
  /**
   * The network as the equations call it, on rows `x` (`[n, inputs]`): the scales applied
   * around the layer. Returns `[n, 1]`; the caller owns it.
   */
  apply(params: EquationsParams['networks'][string], x: tf.Tensor): tf.Tensor;
}

/** A model built by {@link modelFromEquations}. */
export interface EquationsModel extends ObservedModel<EquationsParams> {
  /** The spec it was built from (frozen copy). */
  readonly spec: EquationsSpec;
  /** Observed channel names, in order. */
  readonly channels: readonly string[];
  /** States no observation reads. */
  readonly hidden: readonly string[];
  /** The networks the expressions call, with their input counts and layers. */
  readonly networks: Readonly<Record<string, EquationsNetwork>>;
  /** Fresh starting parameters (the caller owns the tensors). */
  initParams(): EquationsParams;
  /** The spec with `params`' physical values and fitted initial values written back (networks stay calls). */
  toSpec(params: EquationsParams): EquationsSpec;
  /**
   * The right-hand side at given states, as a Diffrax user calls `term.vf(t, y, args)`: the time
   * derivatives `[n, states]` of the rows of `y` (`[n, states]`, in state order), with the
   * conditions `conditions` (`[n, conditions]`; required when the model reads conditions) at time
   * `t` (required when the equations use t). Run by the compiled field's host program where it
   * opens (the same numbers on every backend, as the solves), else by tfjs ops; differentiable in
   * `params`; the caller owns the result. Used for gradient matching against estimated
   * derivatives of the data.
   *
   * @throws ObservablesError for a `y` of the wrong shape, or a missing `t` or `conditions`.
   * @example
   * ```ts
   * const m = modelFromEquations({ states: ['x'], parameters: { k: 2 }, equations: { x: '-k*x' } });
   * const p = m.initParams();
   * const dy = m.rates(p, tf.tensor2d([[1], [3]])); // [[-2], [-6]]
   * ```
   */
  rates(
    params: EquationsParams,
    y: tf.Tensor2D,
    options?: { readonly t?: number; readonly conditions?: tf.Tensor2D },
  ): tf.Tensor2D;
  /** Each state's right-hand side as LaTeX (`\frac{dr}{dt} = …`), parameters by name. */
  latex(): Record<string, string>;
  /**
   * The model with every call of the network `name` replaced by `expression` (e.g. found by
   * symbolic regression), its constants trainable parameters (`NN_c0`, …); with `params`, the
   * new model's starting parameters carry `params`' other values over (a fresh copy you own).
   */
  substitute(
    name: string,
    expression: string | Expression,
    options?: SubstituteOptions & { params?: EquationsParams },
  ): { model: EquationsModel; params: EquationsParams };
}

type Vars = Record<string, tf.Tensor>;

/** `x` as a `[n]` vector (scalars and size-1 tensors broadcast). */
const toLength = (x: tf.Tensor, n: number): tf.Tensor =>
  x.shape.length === 1 && x.shape[0] === n ? x : tf.add(tf.zeros([n]), tf.reshape(x, x.size === 1 ? [] : [-1]));

/**
 * Builds a model from equations written as text, parsed by @odekit/symbolic:
 * ```json
 * { "states": ["r", "c"], "parameters": { "alpha": 1, "beta": 1, "gamma": 1, "delta": 1 },
 *   "equations": { "r": "alpha*r - beta*r*c", "c": "-gamma*c + delta*r*(c + NN(r, c))" },
 *   "initial": { "r": "data", "c": "fit" } }
 * ```
 * Every call of a name that is not a known function (`exp`, `log`, …) is a network (defaults
 * from the talk: 4 wide, 1 deep, tanh, last layer started near zero; see {@link NetworkSpec}).
 * States are observed by the channel of the same name unless `observations` says otherwise;
 * states no observation reads are hidden. `initial` per state: a number, `"fit"` (a trainable
 * scalar), `"data"` (the first observation) or an expression of parameters, conditions and
 * networks (`"NN0(L)"`: a learnt `g(c)`). Parameters are trainable scalars. The field runs
 * through `compileField` (host arrays) where it can.
 *
 * @throws SpecError naming the JSON path (and the position inside an expression) of the first
 *   problem: unknown keys, wrong types, syntax errors, unknown symbols, a network called with
 *   different numbers of inputs, a state without an equation or an initial value.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createDataset, modelFromEquations } from '@odekit/observables';
 * const model = modelFromEquations({
 *   states: ['r', 'c'], parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
 *   equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*(c + NN(r, c))' },
 *   initial: { r: 'data', c: 'fit' }, observations: { r: 'r' },
 * });
 * if (model.hidden.join() !== 'c' || model.networks.NN?.inputs !== 2) throw new Error('bad');
 * const ds = createDataset({ channels: ['r'], trajectories: [{ times: [0, 0.5, 1], values: { r: [2, 2.1, 2.2] } }] });
 * const params = model.initParams();
 * const loss = model.loss(params, ds);
 * if (!Number.isFinite(loss.dataSync()[0]!)) throw new Error('bad');
 * tf.dispose([loss, params as never]);
 * ```
 */
export function modelFromEquations(spec: EquationsSpec, options: EquationsOptions = {}): EquationsModel {
  const parsed = parseSpec(spec);
  const frozenSpec = deepFreeze(structuredClone(spec)) as EquationsSpec;
  const { seed = 0, compile = true } = options;
  if (!Number.isSafeInteger(seed))
    throw new ObservablesError(`modelFromEquations: 'seed' must be an integer, got ${seed}.`);
  const who = 'modelFromEquations';
  const { states, conditions } = parsed;
  // Networks: host copies of their starting weights (the model holds no tensors).
  const networks: Record<string, EquationsNetwork> = {};
  const netInit: Record<string, { treedef: TreeDef; leaves: { shape: number[]; values: Float32Array }[] }> = {};
  parsed.networks.forEach((n, i) => {
    const layer = mlp({
      inSize: n.arity,
      outSize: 1,
      widthSize: n.width,
      depth: n.depth,
      activation: n.activation,
      initScale: n.initScale,
      finalInitScale: n.finalInitScale,
      seed: n.seed ?? seed + i,
    });
    const { leaves, treedef } = treeFlatten<tf.Tensor>(layer.params as never);
    netInit[n.name] = {
      treedef,
      leaves: leaves.map((t) => ({ shape: [...t.shape], values: t.dataSync() as Float32Array })),
    };
    tf.dispose(leaves);
    const { inputScale, outputScale } = n;
    const unit = inputScale.every((v) => v === 1);
    const inverse = inputScale.map((v) => 1 / v);
    networks[n.name] = {
      inputs: n.arity,
      layer,
      inputScale,
      outputScale,
      apply: (p, x) =>
        tf.tidy(() => {
          const out = layer.apply(p as never, unit ? x : tf.mul(x, tf.tensor1d(inverse)));
          return outputScale === 1 ? out : tf.mul(out, outputScale);
        }),
    };
  });

  const compiled = (node: ParsedSpec['equations'][number]) => {
    const fn = compileExpression(new Expression(node), { trainableConstants: false });
    return { fn, vars: new Set(variablesOf(node)) };
  };
  const equations = parsed.equations.map(compiled);
  const observations = parsed.observations.map((o) => ({ channel: o.channel, ...compiled(o.node) }));
  const initExprs = parsed.initial.map((i) => (i.kind === 'expr' ? compiled(i.node) : undefined));
  const fieldVars = new Set(equations.flatMap((e) => [...e.vars]));
  if (options.starts === 'own' && fieldVars.has('t') && !states.includes('t') && !conditions.includes('t')) {
    throw new ObservablesError(
      `${who}: starts: 'own' solves every trajectory in its own time since its start, but the equations use t; drop starts: 'own' (or write the equations without t).`,
    );
  }
  const obsVars = new Set(observations.flatMap((e) => [...e.vars]));
  const initVars = new Set(initExprs.flatMap((e) => (e === undefined ? [] : [...e.vars])));

  /** Variables `names` of a batch of `n` rows: state and condition columns, physics scalars. */
  const varsOf = (
    names: Set<string>,
    params: EquationsParams,
    y: tf.Tensor | undefined,
    c: tf.Tensor,
    t?: number,
  ): Vars => {
    const v: Vars = {};
    // one split per matrix (fewer ops to trace and run than a slice per column)
    let yCols: tf.Tensor[] | undefined;
    let cCols: tf.Tensor[] | undefined;
    // In the field (traced by compileField, small batches): one split. Elsewhere (every saved
    // point at once): a transpose and contiguous rows, since tfjs's cpu kernels slice strided
    // columns element by element (and their gradients likewise).
    const split = (m: tf.Tensor, width: number): tf.Tensor[] =>
      width === 1
        ? [tf.reshape(m, [-1])]
        : t !== undefined
          ? tf.split(m, width, 1).map((x) => tf.reshape(x, [-1]))
          : tf.unstack(tf.transpose(m));
    const col = (m: tf.Tensor, cols: tf.Tensor[] | undefined, j: number, width: number): [tf.Tensor, tf.Tensor[]] => {
      const all = cols ?? split(m, width);
      return [all[j] as tf.Tensor, all];
    };
    for (const name of names) {
      const si = states.indexOf(name);
      const ci = conditions.indexOf(name);
      if (si >= 0 && y !== undefined) [v[name], yCols] = col(y, yCols, si, states.length);
      else if (ci >= 0) [v[name], cCols] = col(c, cCols, ci, conditions.length);
      else if (name === 't' && t !== undefined) v[name] = tf.scalar(t);
      else {
        const p = params.physics?.[name];
        if (!(p instanceof tf.Tensor)) {
          throw new ObservablesError(`${who}: params.physics.${name} is missing; start from model.initParams().`);
        }
        v[name] = p;
      }
    }
    return v;
  };
  const functionsOf = (params: EquationsParams, n: number): Record<string, CompiledFunction> => {
    const out: Record<string, CompiledFunction> = {};
    for (const [name, net] of Object.entries(networks)) {
      out[name] = (args) => {
        const p = params.networks?.[name];
        if (p === undefined)
          throw new ObservablesError(`${who}: params.networks.${name} is missing; start from model.initParams().`);
        const x = tf.stack(
          args.map((a) => toLength(a, n)),
          1,
        );
        return tf.reshape(net.apply(p, x), [n]);
      };
    }
    return out;
  };

  const tensorField = (t: number, y: tf.Tensor, args: ModelContext<EquationsParams>): tf.Tensor =>
    tf.tidy(() => {
      const n = y.shape[0] as number;
      const vars = varsOf(fieldVars, args.params, y, args.c, t);
      const fns = functionsOf(args.params, n);
      return tf.stack(
        equations.map((e) => toLength(e.fn.apply({}, vars, fns), n)),
        1,
      );
    });
  const field = compile === false ? tensorField : compileField(tensorField, compile === true ? {} : compile);

  const model = buildModel<EquationsParams>({
    who,
    states,
    conditions,
    settings: { ...options, ...(parsed.t0 === undefined ? {} : { t0: parsed.t0 }) },
    field,
    initial: (params, c, dataset, plan) => {
      const n = plan.batch;
      const vars = varsOf(initVars, params, undefined, c);
      const fns = functionsOf(params, n);
      const cols = parsed.initial.map((init, j): tf.Tensor => {
        const st = states[j] as string;
        switch (init.kind) {
          case 'number':
            return tf.fill([n], init.value);
          case 'data': {
            const rows = tf.tensor1d(initialFromData(dataset, plan, [st], `${who}.predict`));
            const shift = params.initial?.[st];
            if (shift === undefined) return rows;
            if (!(shift instanceof tf.Tensor) || shift.shape.join() !== String(n)) {
              rows.dispose();
              throw new ObservablesError(
                `${who}: params.initial.${st} corrects the first rows of '${st}' and must be a tensor [${n}] (one value per trajectory), got ${shift instanceof tf.Tensor ? `shape [${shift.shape.join(', ')}]` : typeof shift}; drop it to start at the first rows.`,
              );
            }
            return tf.add(rows, shift);
          }
          case 'fit': {
            const v = params.initial?.[st];
            if (!(v instanceof tf.Tensor)) {
              throw new ObservablesError(`${who}: params.initial.${st} is missing; start from model.initParams().`);
            }
            return toLength(v, n);
          }
          default:
            return toLength((initExprs[j] as NonNullable<(typeof initExprs)[number]>).fn.apply({}, vars, fns), n);
        }
      });
      return tf.stack(cols, 1);
    },
    observe: (y, params, c) => {
      const n = y.shape[0];
      const vars = varsOf(obsVars, params, y, c);
      const fns = functionsOf(params, n);
      return Object.fromEntries(observations.map((o) => [o.channel, toLength(o.fn.apply({}, vars, fns), n)]));
    },
  });

  const initParams = (): EquationsParams => ({
    physics: Object.fromEntries(Object.entries(parsed.parameters).map(([k, v]) => [k, tf.scalar(v)])),
    networks: Object.fromEntries(
      Object.entries(netInit).map(([k, { treedef, leaves }]) => [
        k,
        treeUnflatten(
          treedef,
          leaves.map((l) => tf.tensor(l.values, l.shape)),
        ) as unknown as MlpParams,
      ]),
    ),
    initial: Object.fromEntries(
      parsed.initial.flatMap((init, j) => (init.kind === 'fit' ? [[states[j] as string, tf.scalar(init.start)]] : [])),
    ),
  });

  const toSpec = (params: EquationsParams): EquationsSpec => {
    const read = (t: tf.Tensor | undefined, name: string): number => {
      if (!(t instanceof tf.Tensor)) throw new ObservablesError(`${who}.toSpec: ${name} is missing from params.`);
      return t.dataSync()[0] as number;
    };
    const out = structuredClone(spec) as { parameters?: Record<string, number>; initial?: Record<string, unknown> };
    if (out.parameters !== undefined) {
      for (const k of Object.keys(out.parameters))
        out.parameters[k] = shortest(read(params.physics[k], `physics.${k}`));
    }
    parsed.initial.forEach((init, j) => {
      const st = states[j] as string;
      if (init.kind === 'fit') {
        out.initial = out.initial ?? {};
        out.initial[st] = { fit: shortest(read(params.initial[st], `initial.${st}`)) };
      }
    });
    return out as EquationsSpec;
  };

  const rates: EquationsModel['rates'] = (params, y, opts = {}) => {
    if (!(y instanceof tf.Tensor) || y.rank !== 2 || y.shape[1] !== states.length) {
      throw new ObservablesError(
        `${who}.rates: y must be a [n, ${states.length}] tensor of states (${states.join(', ')}), got shape [${y instanceof tf.Tensor ? y.shape.join(', ') : typeof y}].`,
      );
    }
    const n = y.shape[0];
    const usesT = fieldVars.has('t') && !states.includes('t') && !conditions.includes('t');
    if (usesT && opts.t === undefined) {
      throw new ObservablesError(`${who}.rates: the equations use t; pass { t } (a number).`);
    }
    let c = opts.conditions;
    if (conditions.length > 0 && c === undefined) {
      throw new ObservablesError(
        `${who}.rates: the model reads the conditions ${conditions.join(', ')}; pass { conditions } as a [n, ${conditions.length}] tensor.`,
      );
    }
    if (c !== undefined && (c.rank !== 2 || c.shape[0] !== n || c.shape[1] !== conditions.length)) {
      throw new ObservablesError(
        `${who}.rates: conditions must be [${n}, ${conditions.length}], got [${c.shape.join(', ')}].`,
      );
    }
    const own = c === undefined;
    c ??= tf.zeros([n, 0]) as tf.Tensor2D;
    try {
      return hostRates(opts.t ?? 0, y, { params, c }) ?? (tensorField(opts.t ?? 0, y, { params, c }) as tf.Tensor2D);
    } finally {
      if (own) c.dispose();
    }
  };
  /**
   * The rates through the compiled field's host program (the one the solves run), with its VJP as
   * the gradient: the same float32 numbers on every backend and V8 (tfjs's wasm and cpu kernels
   * round matMuls and tanh differently), so a fit to rates is as reproducible as a fit to solves.
   * Undefined when the field has no host program or it cannot open on this structure.
   */
  const hostRates = (t: number, y: tf.Tensor2D, args: ModelContext<EquationsParams>): tf.Tensor2D | undefined => {
    const host = hostImplementationOf(field);
    if (host === undefined) return undefined;
    const { leaves } = treeFlatten<tf.Tensor>(args as never);
    const session = host.open(args, y.shape, leaves, undefined, undefined, [t, t]);
    if (session === undefined) return undefined;
    const yv = y.dataSync();
    const op = tf.customGrad((...xs: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const value = tf.tensor2d(Float32Array.from(session.evaluate(t, yv)), y.shape as [number, number]);
      const gradFunc = (dy: tf.Tensor) => {
        const grads = leaves.map((l) => new Float64Array(l.size));
        session.vjp(t, yv, dy.dataSync(), grads);
        return grads.map((g, j) => tf.tensor(Float32Array.from(g), (xs[j] as tf.Tensor).shape));
      };
      return { value, gradFunc };
    }) as (...x: tf.Tensor[]) => tf.Tensor2D;
    return op(...leaves);
  };

  const latex = (): Record<string, string> =>
    Object.fromEntries(
      states.map((st, j) => {
        const lhs = new Expression(variable(st)).toLatex();
        return [st, `\\frac{d${lhs}}{dt} = ${new Expression(parsed.equations[j] as never).toLatex()}`];
      }),
    );

  const substitute: EquationsModel['substitute'] = (name, expression, opts = {}) => {
    const { params, ...rest } = opts;
    const { spec: next, constants } = substituteNetwork(spec, name, expression, rest);
    const nextModel = modelFromEquations(next, options);
    const fresh = nextModel.initParams();
    if (params !== undefined) {
      for (const k of Object.keys(fresh.physics)) {
        const old = params.physics?.[k];
        if (old instanceof tf.Tensor && !constants.includes(k)) {
          fresh.physics[k]?.dispose();
          fresh.physics[k] = tf.clone(old) as tf.Scalar;
        }
      }
      // fitted initial values, and the first-row corrections of states that start from the data
      parsed.initial.forEach((init, j) => {
        const k = states[j] as string;
        const old = params.initial?.[k];
        if ((init.kind === 'fit' || init.kind === 'data') && old instanceof tf.Tensor) {
          fresh.initial[k]?.dispose();
          fresh.initial[k] = tf.clone(old);
        }
      });
      for (const k of Object.keys(fresh.networks)) {
        const old = params.networks?.[k];
        if (old !== undefined) {
          tf.dispose(treeFlatten<tf.Tensor>(fresh.networks[k] as never).leaves);
          const { leaves, treedef } = treeFlatten<tf.Tensor>(old as never);
          fresh.networks[k] = treeUnflatten(
            treedef,
            leaves.map((l) => tf.clone(l)),
          ) as unknown as MlpParams;
        }
      }
    }
    return { model: nextModel, params: fresh };
  };

  return Object.freeze({
    ...model,
    spec: frozenSpec,
    channels: Object.freeze(parsed.observations.map((o) => o.channel)),
    hidden: Object.freeze([...parsed.hidden]),
    networks: Object.freeze(networks),
    initParams,
    toSpec,
    rates,
    latex,
    substitute,
  });
}

/** The shortest decimal that rounds to the same float32. */
function shortest(v: number): number {
  for (let digits = 1; digits <= 17; digits++) {
    const d = Number(v.toPrecision(digits));
    if (Math.fround(d) === Math.fround(v)) return d;
  }
  return v;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

import { ACTIVATIONS, type ActivationName } from '@odekit/nn';
import {
  callsOf,
  ExpressionSyntaxError,
  type ExprNode,
  isUnaryOp,
  parseExpression,
  variablesOf,
} from '@odekit/symbolic';
import { SpecError } from './errors.js';

/** A network called in a model's equations (defaults from the talk: 4 wide, 1 deep, tanh, started near zero). */
export interface NetworkSpec {
  /** Hidden width (default 4). */
  readonly width?: number;
  /** Hidden layers (default 1). */
  readonly depth?: number;
  /** Hidden activation (default `'tanh'`; @odekit/nn's names). */
  readonly activation?: ActivationName;
  /**
   * Multiplies the initial bound of every layer (nn's `initScale`, default 1). Given alone, the
   * last layer is not shrunk further.
   */
  readonly initScale?: number;
  /**
   * Multiplies the initial bound of the last layer only (nn's `finalInitScale`): default 1e-3
   * when `initScale` is not given, so the network starts near zero with a healthy hidden layer.
   */
  readonly finalInitScale?: number;
  /** The number of inputs, checked against every call (default: taken from the calls). */
  readonly inputs?: number;
  /**
   * Fixed scales of the network's inputs (one number for all, or one per input; default 1): the
   * network sees each input divided by its scale. States of size 10–40 saturate a tanh layer; the
   * demo sets each to the input's typical size in the data.
   */
  readonly inputScale?: number | readonly number[];
  /**
   * A fixed factor on the network's output (default 1): the network's own output stays of order
   * one while the term it stands for has the size of its equation's rates.
   */
  readonly outputScale?: number;
  /** Initialiser seed (default: the model's seed plus the network's index). */
  readonly seed?: number;
}

/** An initial value: a number, `'fit'` (trainable, starting at 1), `{ fit: start }`, `'data'` or an expression of parameters and conditions. */
export type InitialSpec = number | 'fit' | 'data' | { readonly fit: number } | string;

/**
 * A model written as equations (the JSON the demo reads), e.g.
 * `{ states: ['r', 'c'], parameters: { alpha: 1 }, equations: { r: 'alpha*r', c: '-c + NN(r, c)' } }`.
 */
export interface EquationsSpec {
  /** State names, in order (hidden states included). */
  readonly states: readonly string[];
  /** Trainable scalar parameters with their starting values. */
  readonly parameters?: Readonly<Record<string, number>>;
  /** Condition names (per-trajectory covariates) the expressions may use. */
  readonly conditions?: readonly string[];
  /** `dstate/dt` for every state: expressions of states, parameters, conditions, `t` and network calls. */
  readonly equations: Readonly<Record<string, string>>;
  /** Per state (default `'data'` for a state observed by its own channel). */
  readonly initial?: Readonly<Record<string, InitialSpec>>;
  /** Observed channels as expressions of states, parameters, conditions and networks (default: each state by its name). */
  readonly observations?: Readonly<Record<string, string>>;
  /** Settings of the networks the expressions call (every unknown call is a network; defaults apply). */
  readonly networks?: Readonly<Record<string, NetworkSpec>>;
  /** Start time of every trajectory (default: the dataset's first time). */
  readonly t0?: number;
}

/** A parsed and checked spec. @internal */
export interface ParsedSpec {
  readonly states: readonly string[];
  readonly parameters: Readonly<Record<string, number>>;
  readonly conditions: readonly string[];
  readonly equations: readonly ExprNode[];
  readonly initial: readonly (
    | { kind: 'number'; value: number }
    | { kind: 'fit'; start: number }
    | { kind: 'data' }
    | { kind: 'expr'; node: ExprNode }
  )[];
  readonly observations: readonly { channel: string; node: ExprNode }[];
  readonly networks: readonly {
    name: string;
    arity: number;
    width: number;
    depth: number;
    activation: ActivationName;
    initScale: number;
    finalInitScale: number;
    inputScale: readonly number[];
    outputScale: number;
    seed: number | undefined;
  }[];
  readonly hidden: readonly string[];
  readonly t0: number | undefined;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOP_KEYS = ['states', 'parameters', 'conditions', 'equations', 'initial', 'observations', 'networks', 't0'];
const NET_KEYS = [
  'width',
  'depth',
  'activation',
  'initScale',
  'finalInitScale',
  'inputs',
  'inputScale',
  'outputScale',
  'seed',
];

const fail = (path: string, message: string, position?: number): never => {
  throw new SpecError(`modelFromEquations: ${path}: ${message}`, path, position);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      fail(path === '' ? k : `${path}.${k}`, `unknown key '${k}'; the keys are ${allowed.join(', ')}.`);
    }
  }
}

function nameList(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) fail(path, 'must be an array of names such as ["r", "c"].');
  const list = v as unknown[];
  list.forEach((n, i) => {
    if (typeof n !== 'string' || !IDENT.test(n)) {
      fail(`${path}[${i}]`, `${JSON.stringify(n)} is not a name (letters, digits and _, not starting with a digit).`);
    }
  });
  return list as string[];
}

/** Where `name` occurs in `src` as a symbol (not a call), for error positions. */
function positionOf(src: string, name: string): number | undefined {
  const re = new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])(?!\\s*\\()`);
  const m = re.exec(src);
  return m?.index;
}

function parse(src: unknown, path: string): ExprNode {
  if (typeof src !== 'string')
    fail(path, `must be an expression string such as "alpha*r - beta*r*c", got ${JSON.stringify(src)}.`);
  try {
    return parseExpression(src as string, { functions: 'any' }).root;
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) {
      fail(path, `expected ${e.expected} at position ${e.position} of "${src as string}".`, e.position);
    }
    throw e;
  }
}

/** Validates a spec: every problem is a {@link SpecError} naming its JSON path. @internal */
export function parseSpec(spec: unknown): ParsedSpec {
  if (!isObject(spec)) fail('<root>', 'the spec must be an object { states, parameters, equations, ... }.');
  const s = spec as Record<string, unknown>;
  checkKeys(s, TOP_KEYS, '');
  const states = nameList(s.states, 'states');
  if (states.length === 0) fail('states', 'name at least one state.');
  const params = s.parameters ?? {};
  if (!isObject(params)) fail('parameters', 'must be an object of starting values such as { "alpha": 1 }.');
  const parameters: Record<string, number> = {};
  for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
    if (!IDENT.test(k)) fail(`parameters.${k}`, `'${k}' is not a name.`);
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`parameters.${k}`, `must be a finite number, got ${JSON.stringify(v)}.`);
    parameters[k] = v as number;
  }
  const conditions = nameList(s.conditions ?? [], 'conditions');
  // one namespace for states, parameters, conditions and t
  const owner = new Map<string, string>();
  const claim = (name: string, path: string): void => {
    if (name === 't') fail(path, "'t' is the time; pick another name.");
    if (isUnaryOp(name)) fail(path, `'${name}' is a function (${name}(x)); pick another name.`);
    const prev = owner.get(name);
    if (prev !== undefined) fail(path, `'${name}' is already used by ${prev}; names must be distinct.`);
    owner.set(name, path);
  };
  states.forEach((n, i) => {
    claim(n, `states[${i}]`);
  });
  for (const n of Object.keys(parameters)) claim(n, `parameters.${n}`);
  conditions.forEach((n, i) => {
    claim(n, `conditions[${i}]`);
  });

  const calls = new Map<string, { arity: number; path: string }>();
  const checkExpr = (src: unknown, path: string, allowed: (name: string) => string | undefined): ExprNode => {
    const node = parse(src, path);
    for (const [name, arity] of callsOf(node)) {
      if (owner.has(name))
        fail(
          path,
          `'${name}' is called like a function but is ${owner.get(name)}.`,
          (src as string).indexOf(`${name}(`),
        );
      const prev = calls.get(name);
      if (prev !== undefined && prev.arity !== arity) {
        fail(
          path,
          `the network '${name}' is called with ${arity} input(s) here but ${prev.arity} in ${prev.path}; call it with the same inputs everywhere.`,
          (src as string).indexOf(`${name}(`),
        );
      }
      calls.set(name, prev ?? { arity, path });
    }
    for (const v of variablesOf(node)) {
      const why = allowed(v);
      if (why !== undefined) fail(path, why.replace('%s', v), positionOf(src as string, v));
    }
    return node;
  };
  const known = (extra: (v: string) => boolean, what: string) => (v: string) =>
    owner.has(v) && extra(v)
      ? undefined
      : owner.has(v)
        ? `'%s' cannot be used here (${what}).`
        : `unknown symbol '%s'; declare it in "parameters" or "conditions" (or as a state).`;

  const eqs = s.equations;
  if (!isObject(eqs)) fail('equations', 'must be an object with one expression per state, such as { "r": "alpha*r" }.');
  for (const k of Object.keys(eqs as object)) {
    if (!states.includes(k)) fail(`equations.${k}`, `'${k}' is not a state; the states are ${states.join(', ')}.`);
  }
  const fieldOk = (v: string) => (v === 't' ? undefined : known(() => true, '')(v));
  const equations = states.map((st) => {
    const src = (eqs as Record<string, unknown>)[st];
    if (src === undefined) fail(`equations.${st}`, `the state '${st}' has no equation; give d${st}/dt.`);
    return checkExpr(src, `equations.${st}`, fieldOk);
  });

  const obs = s.observations;
  let observations: { channel: string; node: ExprNode }[];
  if (obs === undefined) {
    observations = states.map((st) => ({ channel: st, node: parse(st, `states`) }));
  } else {
    if (!isObject(obs) || Object.keys(obs).length === 0) {
      fail('observations', 'must be a non-empty object of expressions by channel, such as { "rabbits": "r" }.');
    }
    observations = Object.entries(obs as Record<string, unknown>).map(([ch, src]) => {
      if (ch.length === 0) fail('observations', 'a channel name is empty.');
      return {
        channel: ch,
        node: checkExpr(
          src,
          `observations.${ch}`,
          known(() => true, ''),
        ),
      };
    });
  }
  const usedByObs = new Set(observations.flatMap((o) => variablesOf(o.node)));
  const hidden = states.filter((st) => !usedByObs.has(st));
  const identity = new Set(
    observations.filter((o) => o.node.kind === 'var' && o.node.name === o.channel).map((o) => o.channel),
  );

  const init = s.initial ?? {};
  if (!isObject(init))
    fail('initial', 'must be an object with a value per state, such as { "r": "data", "c": "fit" }.');
  for (const k of Object.keys(init as object)) {
    if (!states.includes(k)) fail(`initial.${k}`, `'${k}' is not a state; the states are ${states.join(', ')}.`);
  }
  const stateSet = new Set(states);
  const initOk = known(
    (v) => !stateSet.has(v),
    'an initial value depends on parameters, conditions and networks, not on states',
  );
  const initial = states.map((st): ParsedSpec['initial'][number] => {
    const path = `initial.${st}`;
    const v = (init as Record<string, unknown>)[st];
    if (v === undefined) {
      if (identity.has(st)) return { kind: 'data' };
      return fail(
        path,
        `the state '${st}' is not observed by a channel of its name, so its initial value cannot come from the data; give a number, "fit" or an expression.`,
      );
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(path, `must be finite, got ${v}.`);
      return { kind: 'number', value: v };
    }
    if (v === 'fit') return { kind: 'fit', start: 1 };
    if (isObject(v)) {
      checkKeys(v, ['fit'], path);
      if (typeof v.fit !== 'number' || !Number.isFinite(v.fit)) fail(`${path}.fit`, 'must be a finite starting value.');
      return { kind: 'fit', start: v.fit as number };
    }
    if (v === 'data') {
      if (!identity.has(st)) {
        fail(
          path,
          `"data" takes the first observation of the channel '${st}', but no channel observes '${st}' directly; use "fit" or a number.`,
        );
      }
      return { kind: 'data' };
    }
    if (typeof v === 'string') return { kind: 'expr', node: checkExpr(v, path, initOk) };
    return fail(path, `must be a number, "fit", "data", { "fit": start } or an expression, got ${JSON.stringify(v)}.`);
  });

  const nets = s.networks ?? {};
  if (!isObject(nets))
    fail('networks', 'must be an object of network settings by name, such as { "NN": { "width": 4 } }.');
  const networks = [...calls.keys()].sort().map((name) => {
    const path = `networks.${name}`;
    const n = (nets as Record<string, unknown>)[name] ?? {};
    if (!isObject(n)) fail(path, 'must be an object such as { "width": 4, "depth": 1, "activation": "tanh" }.');
    const o = n as Record<string, unknown>;
    checkKeys(o, NET_KEYS, path);
    const int = (key: string, dflt: number | undefined, min: number): number | undefined => {
      const v = o[key];
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
        fail(`${path}.${key}`, `must be an integer >= ${min}, got ${JSON.stringify(v)}.`);
      return v as number;
    };
    const pos = (key: string, dflt: number): number => {
      const v = o[key];
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
        fail(`${path}.${key}`, `must be a number > 0, got ${JSON.stringify(v)}.`);
      return v as number;
    };
    const arity = (calls.get(name) as { arity: number; path: string }).arity;
    const inputs = int('inputs', undefined, 1);
    if (inputs !== undefined && inputs !== arity) {
      fail(
        `${path}.inputs`,
        `the network '${name}' takes ${inputs} input(s) but is called with ${arity} in ${calls.get(name)?.path}.`,
      );
    }
    const activation = o.activation ?? 'tanh';
    if (typeof activation !== 'string' || !Object.hasOwn(ACTIVATIONS, activation)) {
      fail(
        `${path}.activation`,
        `unknown activation ${JSON.stringify(activation)}; use one of ${Object.keys(ACTIVATIONS).join(', ')}.`,
      );
    }
    const scaleIn = o.inputScale ?? 1;
    const scales = Array.isArray(scaleIn) ? scaleIn : Array.from({ length: arity }, () => scaleIn);
    if (scales.length !== arity)
      fail(
        `${path}.inputScale`,
        `the network '${name}' takes ${arity} input(s), so give one scale or ${arity}, got ${scales.length}.`,
      );
    scales.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
        fail(
          `${path}.inputScale${Array.isArray(scaleIn) ? `[${j}]` : ''}`,
          `must be a number > 0, got ${JSON.stringify(v)}.`,
        );
    });
    return {
      name,
      arity,
      inputScale: scales as number[],
      outputScale: pos('outputScale', 1),
      width: int('width', 4, 1) as number,
      depth: int('depth', 1, 0) as number,
      activation: activation as ActivationName,
      initScale: pos('initScale', 1),
      finalInitScale: pos('finalInitScale', o.initScale === undefined ? 1e-3 : 1),
      seed: int('seed', undefined, 0),
    };
  });
  for (const k of Object.keys(nets as object)) {
    if (!calls.has(k))
      fail(`networks.${k}`, `the network '${k}' is never called in the equations, observations or initial values.`);
  }
  const t0 = s.t0;
  if (t0 !== undefined && (typeof t0 !== 'number' || !Number.isFinite(t0)))
    fail('t0', `must be a finite number, got ${JSON.stringify(t0)}.`);
  return {
    states,
    parameters,
    conditions,
    equations,
    initial,
    observations,
    networks,
    hidden,
    t0: t0 as number | undefined,
  };
}

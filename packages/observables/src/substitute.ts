import {
  binary,
  call,
  Expression,
  ExpressionSyntaxError,
  type ExprNode,
  parseExpression,
  replaceCalls,
  substituteVariables,
  unary,
  variable,
  variablesOf,
} from '@odekit/symbolic';
import type { EquationsSpec } from './equations-spec.js';
import { parseSpec } from './equations-spec.js';
import { ObservablesError } from './errors.js';

/** Options of {@link substituteNetwork}. */
export interface SubstituteOptions {
  /**
   * The expression's variables, one per network input in call order (default: the call's
   * arguments when every call passes the same plain variables, e.g. `['r', 'c']` for `NN(r, c)`;
   * otherwise `['x1', …, 'xk']`).
   */
  readonly variables?: readonly string[];
  /** Names of the new parameters: prefix plus index (default `'<network>_c'`: `NN_c0`, `NN_c1`, …). */
  readonly prefix?: string;
}

/** Constants become parameter variables (integer exponents stay numbers, as in compileExpression). */
function liftConstants(node: ExprNode, name: (k: number) => string, values: number[]): ExprNode {
  const visit = (n: ExprNode, isExponent: boolean): ExprNode => {
    switch (n.kind) {
      case 'const':
        if (isExponent && Number.isInteger(n.value)) return n;
        values.push(n.value);
        return variable(name(values.length - 1));
      case 'var':
        return n;
      case 'unary':
        return unary(n.op, visit(n.arg, false));
      case 'binary':
        return binary(n.op, visit(n.left, false), visit(n.right, n.op === '^'));
      case 'call':
        return call(
          n.name,
          n.args.map((a) => visit(a, false)),
        );
    }
  };
  return visit(node, false);
}

/**
 * The refit step of the discovery loop: a copy of `spec` in which every call of the network
 * `name` is replaced by `expression` (its variables standing for the call's inputs), whose
 * constants become new trainable parameters (`NN_c0`, `NN_c1`, … with the constants as starting
 * values; integer exponents stay fixed). The network's settings are dropped.
 *
 * @throws ObservablesError when `name` is not a network of the spec, the expression does not
 *   parse, or it uses a variable that is not an input.
 * @example
 * ```ts
 * import { substituteNetwork } from '@odekit/observables';
 * const { spec, constants } = substituteNetwork(
 *   { states: ['r', 'c'], parameters: { d: 1 }, equations: { r: 'r', c: 'd*r*(c + NN(r, c))' } },
 *   'NN', '0.5*c^2 - c',
 * );
 * if (spec.equations.c !== 'd*r*(c + (NN_c0*c^2 - c))' || constants.join() !== 'NN_c0') throw new Error(spec.equations.c);
 * if (spec.parameters?.NN_c0 !== 0.5) throw new Error('bad');
 * ```
 */
export function substituteNetwork(
  spec: EquationsSpec,
  name: string,
  expression: string | Expression,
  options: SubstituteOptions = {},
): { spec: EquationsSpec; constants: string[] } {
  const who = 'substituteNetwork';
  const parsed = parseSpec(spec);
  const net = parsed.networks.find((n) => n.name === name);
  if (net === undefined) {
    throw new ObservablesError(
      `${who}: '${name}' is not a network of the model; its networks are ${parsed.networks.map((n) => n.name).join(', ') || 'none'}.`,
    );
  }
  let found: ExprNode;
  if (expression instanceof Expression) found = expression.root;
  else {
    try {
      found = parseExpression(String(expression), { functions: 'any' }).root;
    } catch (e) {
      if (e instanceof ExpressionSyntaxError) throw new ObservablesError(`${who}: ${e.message}`);
      throw e;
    }
  }
  // every expression string of the spec, by path
  const sources: { get: () => string; set: (s: string) => void }[] = [];
  const next = structuredClone(spec) as {
    equations: Record<string, string>;
    observations?: Record<string, string>;
    initial?: Record<string, unknown>;
    parameters?: Record<string, number>;
    networks?: Record<string, unknown>;
  };
  for (const k of Object.keys(next.equations)) {
    sources.push({ get: () => next.equations[k] as string, set: (s) => (next.equations[k] = s) });
  }
  for (const k of Object.keys(next.observations ?? {})) {
    const o = next.observations as Record<string, string>;
    sources.push({ get: () => o[k] as string, set: (s) => (o[k] = s) });
  }
  for (const [k, v] of Object.entries(next.initial ?? {})) {
    if (typeof v === 'string' && v !== 'fit' && v !== 'data') {
      const o = next.initial as Record<string, unknown>;
      sources.push({ get: () => o[k] as string, set: (s) => (o[k] = s) });
    }
  }
  const trees = sources.map((s) => parseExpression(s.get(), { functions: 'any' }).root);

  let variables = options.variables;
  if (variables === undefined) {
    const argLists = new Set<string>();
    let plain = true;
    for (const t of trees) {
      replaceCalls(t, name, (args) => {
        if (args.some((a) => a.kind !== 'var')) plain = false;
        argLists.add(args.map((a) => (a.kind === 'var' ? a.name : '?')).join(','));
        return call(name, args);
      });
    }
    const only = [...argLists][0]?.split(',') ?? [];
    variables =
      plain && argLists.size === 1 && new Set(only).size === only.length
        ? only
        : Array.from({ length: net.arity }, (_, i) => `x${i + 1}`);
  }
  if (variables.length !== net.arity) {
    throw new ObservablesError(
      `${who}: 'variables' names ${variables.length} inputs but '${name}' takes ${net.arity}.`,
    );
  }
  for (const v of variablesOf(found)) {
    if (!variables.includes(v)) {
      throw new ObservablesError(
        `${who}: the expression uses '${v}', which is not an input of '${name}' (its inputs: ${variables.join(', ')}); pass 'variables' to name them.`,
      );
    }
  }
  const taken = new Set([...parsed.states, ...Object.keys(parsed.parameters), ...parsed.conditions]);
  let prefix = options.prefix ?? `${name}_c`;
  const clash = (p: string) => [...taken].some((t) => t.startsWith(p) && /^\d+$/.test(t.slice(p.length)));
  while (clash(prefix)) prefix = `${prefix}_`;
  const values: number[] = [];
  const lifted = liftConstants(found, (k) => `${prefix}${k}`, values);
  trees.forEach((t, i) => {
    const out = replaceCalls(t, name, (args) =>
      substituteVariables(lifted, Object.fromEntries(variables.map((v, j) => [v, args[j] as ExprNode]))),
    );
    sources[i]?.set(new Expression(out).toString());
  });
  const constants = values.map((_, k) => `${prefix}${k}`);
  next.parameters = {
    ...(next.parameters ?? {}),
    ...Object.fromEntries(constants.map((c, k) => [c, values[k] as number])),
  };
  if (next.networks !== undefined) {
    delete next.networks[name];
    if (Object.keys(next.networks).length === 0) delete next.networks;
  }
  parseSpec(next); // the result must be a valid spec
  return { spec: next as unknown as EquationsSpec, constants };
}

import type { EquationsModel, EquationsParams } from '@odekit/observables';
import {
  constant,
  Expression,
  type ExprNode,
  type HallOfFameEntry,
  parseExpression,
  simplify,
  substituteVariables,
  variablesOf,
} from '@odekit/symbolic';
import * as tf from '@tensorflow/tfjs-core';
import { additiveTerms, type Discovery, discoverTerm, roundSignificant, type SearchFunction } from '../discover.js';
import type { FrontEntry, ModelSpec } from '../types.js';
import type { StageContext } from './context.js';
import { sampleStates } from './sample-states.js';

/** A network's call in the equations: its inputs as expressions of the states and parameters. */
export interface NetworkCall {
  readonly name: string;
  /** The call's arguments as text, e.g. `['r', 'c']`. */
  readonly args: readonly string[];
  /** Variable names the found expression uses for the inputs (the arguments when they are plain variables). */
  readonly variables: readonly string[];
  readonly argNodes: readonly ExprNode[];
}

/** The first call of each network in the spec's equations (observations and initial values after). */
export function networkCalls(spec: ModelSpec, names: readonly string[]): NetworkCall[] {
  const texts = [
    ...Object.values(spec.equations),
    ...Object.values(spec.observations ?? {}),
    ...Object.values(spec.initial ?? {}).filter((v) => typeof v === 'string' && v !== 'fit' && v !== 'data'),
  ];
  return names.map((name) => {
    let found: readonly ExprNode[] | undefined;
    const visit = (n: ExprNode): void => {
      if (found) return;
      if (n.kind === 'call') {
        if (n.name === name) {
          found = n.args;
          return;
        }
        n.args.forEach(visit);
      } else if (n.kind === 'unary') visit(n.arg);
      else if (n.kind === 'binary') {
        visit(n.left);
        visit(n.right);
      }
    };
    for (const t of texts) visit(parseExpression(String(t), { functions: names }).root);
    const args = found ?? [];
    const plain =
      args.every((a) => a.kind === 'var') &&
      new Set(args.map((a) => (a as { name: string }).name)).size === args.length;
    return {
      name,
      args: args.map((a) => new Expression(a).toString()),
      variables: plain ? args.map((a) => (a as { name: string }).name) : args.map((_, i) => `x${i + 1}`),
      argNodes: args,
    };
  });
}

/**
 * The known terms beside a network call in its equation (`-gamma*c + delta*r*c + NN(r, c)` →
 * `c`, `r*c`): the additive terms without a call, parameters set to 1, when they use only the
 * call's variables; none when the network appears in more than one equation.
 */
export function knownTerms(spec: ModelSpec, call: NetworkCall, names: readonly string[]): Expression[] {
  return knownTermsWithParameters(spec, call, names).map((k) => k.term);
}

/**
 * The parameter a known term is linear in, and the sign the term has in its equation: the
 * equation holds `sign * name * term`, so a share `k` of the term that a network learned belongs to
 * the parameter as `name + sign * k`.
 */
export interface KnownParameter {
  readonly name: string;
  readonly sign: 1 | -1;
}

/**
 * {@link knownTerms} with, for each, the one parameter the term is linear in (`-gamma*c` →
 * `gamma`, the term being `gamma` times the known term `-c`; `- kappa*r^2` → `kappa` with sign −1),
 * or undefined when the term has more parameters or is not linear in its one
 * (`delta*r*c/(1 + h*r)`, `c^kappa`).
 */
export function knownTermsWithParameters(
  spec: ModelSpec,
  call: NetworkCall,
  names: readonly string[],
): { term: Expression; parameter: KnownParameter | undefined }[] {
  const params = new Set(Object.keys(spec.parameters ?? {}));
  const out: { term: Expression; parameter: KnownParameter | undefined }[] = [];
  const calls = (n: ExprNode): boolean =>
    n.kind === 'call'
      ? n.name === call.name || n.args.some(calls)
      : n.kind === 'unary'
        ? calls(n.arg)
        : n.kind === 'binary'
          ? calls(n.left) || calls(n.right)
          : false;
  // A network in more than one equation (`r: … - F(r, c)`, `c: … + delta*F(r, c)`): a share of a
  // known term of one equation would change the others, so none is left to the physics.
  const using = Object.values(spec.equations).filter((t) => calls(parseExpression(t, { functions: names }).root));
  if (using.length !== 1) return out;
  for (const text of Object.values(spec.equations)) {
    const e = parseExpression(text, { functions: names });
    const terms = additiveTerms(e.root);
    const hasCall = (n: ExprNode): boolean =>
      n.kind === 'call'
        ? n.name === call.name || n.args.some(hasCall)
        : n.kind === 'unary'
          ? hasCall(n.arg)
          : n.kind === 'binary'
            ? hasCall(n.left) || hasCall(n.right)
            : false;
    if (!terms.some((t) => t.node.kind === 'call' && t.node.name === call.name)) continue;
    for (const t of terms) {
      // Only terms with a trainable parameter can take over a share of the network (`1.3*r` cannot).
      if (hasCall(t.node) || !variablesOf(t.node).some((v) => params.has(v))) continue;
      const ones = Object.fromEntries(
        variablesOf(t.node)
          .filter((v) => params.has(v))
          .map((v) => [v, constant(1)]),
      );
      const k = simplify(new Expression(substituteVariables(t.node, ones)));
      const vars = variablesOf(k.root);
      if (vars.length > 0 && vars.every((v) => call.variables.includes(v))) {
        const name = linearParameter(t.node, Object.keys(ones), k);
        out.push({ term: k, parameter: name === undefined ? undefined : { name, sign: t.sign } });
      }
    }
  }
  return out;
}

/** The term's one parameter when the term is that parameter times `k` (checked at a few points), else undefined. */
function linearParameter(term: ExprNode, parameters: readonly string[], k: Expression): string | undefined {
  const [p] = parameters;
  if (parameters.length !== 1 || p === undefined) return undefined;
  const twice = new Expression(substituteVariables(term, { [p]: constant(2) }));
  const at = Object.fromEntries(
    variablesOf(k.root).map((v, i) => [v, Float64Array.from([0.6, 1.3, 2.2], (x) => x + 0.37 * i)]),
  );
  const a = twice.evaluate(at);
  const b = k.evaluate(at);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = 2 * (b[i] as number);
    if (!(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)))) return undefined;
  }
  return p;
}

/** A front entry for the report (constants to 4 significant digits). */
export function frontEntry(e: HallOfFameEntry, round: (x: Expression) => Expression): FrontEntry {
  const r = round(e.expr);
  return { complexity: e.complexity, loss: e.loss, score: e.score, expression: r.toString(), latex: r.toLatex() };
}

/** What the symbolic stage found for one network, with the samples it used. */
export interface NetworkDiscovery extends Discovery {
  readonly call: NetworkCall;
  readonly X: Record<string, Float64Array>;
  readonly y: Float64Array;
  /** The known terms' values on the samples (see `knownTerms`). */
  readonly knownValues: readonly Float64Array[];
  /** For each known term, the parameter it is linear in, if one (see `knownTermsWithParameters`). */
  readonly knownParameters?: readonly (KnownParameter | undefined)[];
  /** `expr` was chosen by the user (the pipeline's `choose`): the refit fits it as written, dropping no term. */
  readonly chosen?: boolean;
}

/**
 * Stage 3: each network sampled on the trained model's typical states (several trajectories,
 * jittered; see `sampleStates`) and read back as an equation by symbolic regression.
 */
export async function symbolicStage(
  model: EquationsModel,
  params: EquationsParams,
  spec: ModelSpec,
  ctx: StageContext,
  search: SearchFunction,
  options: { budget: number; workers: number | 'auto' },
): Promise<NetworkDiscovery[]> {
  const names = Object.keys(model.networks);
  const calls = networkCalls(spec, names);
  const states = sampleStates(model, params, ctx.data, ctx.settings, ctx.seed);
  // Where the networks were trained: the data's trajectories only (the UDE paper's sparse
  // regression ran there); unless the search's samples are those already.
  const along =
    ctx.settings.sampleTrajectories > 0
      ? sampleStates(
          model,
          params,
          ctx.data,
          { ...ctx.settings, sampleTrajectories: 0, jitter: ctx.settings.jitter / 2 },
          ctx.seed,
        )
      : undefined;
  const physics = Object.fromEntries(Object.entries(params.physics).map(([k, v]) => [k, v.dataSync()[0] as number]));
  const out: NetworkDiscovery[] = [];
  for (const [i, call] of calls.entries()) {
    const net = model.networks[call.name];
    if (net === undefined) continue;
    const evaluate = (S: Record<string, Float64Array>) => {
      const X: Record<string, Float64Array> = {};
      call.argNodes.forEach((node, j) => {
        X[call.variables[j] as string] = new Expression(node).evaluate({ ...physics, ...S });
      });
      const n = S[model.states[0] as string]?.length ?? 0;
      const inputs = new Float32Array(n * call.variables.length);
      call.variables.forEach((v, j) => {
        const col = X[v] as Float64Array;
        for (let k = 0; k < n; k++) inputs[k * call.variables.length + j] = col[k] as number;
      });
      const yt = tf.tidy(() =>
        net.apply(params.networks[call.name] as never, tf.tensor2d(inputs, [n, call.variables.length])),
      );
      const y = Float64Array.from(yt.dataSync());
      yt.dispose();
      return { X, y };
    };
    const { X, y } = evaluate(states);
    const n = y.length;
    await ctx.emit({
      type: 'log',
      level: 'info',
      message: `${call.name}(${call.args.join(', ')}): searching on ${n} sampled states for ${options.budget} s`,
    });
    const withParameters = knownTermsWithParameters(spec, call, names);
    const known = withParameters.map((k) => k.term);
    const found = await discoverTerm({
      X,
      y,
      settings: ctx.settings,
      seed: ctx.seed + i,
      budget: options.budget,
      workers: options.workers,
      search,
      knownTerms: known,
      ...(along === undefined ? {} : { along: evaluate(along) }),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onFront: (front, fraction) =>
        ctx.emitNow({
          type: 'pareto',
          network: call.name,
          front: front.map((e) => frontEntry(e, (x) => roundSignificant(x, 4))),
          fraction,
        }),
    });
    out.push({
      ...found,
      call,
      X,
      y,
      knownValues: known.map((k) => k.evaluate(X)),
      knownParameters: withParameters.map((k) => k.parameter),
    });
  }
  return out;
}

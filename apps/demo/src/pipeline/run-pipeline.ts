import { cloneTree, disposeTree, type TensorTree } from '@odekit/core';
import type { Dataset, EquationsModel, EquationsParams } from '@odekit/observables';
import {
  Expression,
  type ExprNode,
  parseExpression,
  simplify,
  symbolicRegression,
  variablesOf,
} from '@odekit/symbolic';
import { type LbfgsOptions, lbfgsAsync } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';
import { roundSignificant, type SearchFunction } from './discover.js';
import { cancelMonomials } from './expand-polynomial.js';
import { buildModel, checkChannels, lossScalesOf, readData } from './input.js';
import { effectiveLoss, knownShares } from './known-terms.js';
import { withNetworkScales } from './network-scales.js';
import { equationWithNumbers, roundedConstants, roundTo, supportedDigits } from './numbers.js';
import { allOnes, applyScales, leafScales } from './parameter-scales.js';
import { resolveSettings, resolveStages } from './settings.js';
import { checkAborted, type StageContext } from './stages/context.js';
import { hybridStage } from './stages/hybrid.js';
import { mechanisticStage } from './stages/mechanistic.js';
import { refitStage } from './stages/refit.js';
import { linspace, timeSpan } from './stages/sample-states.js';
import { frontEntry, type NetworkDiscovery, networkCalls, symbolicStage } from './stages/symbolic.js';
import type {
  DiscoveredTerm,
  ModelSpec,
  PipelineEvent,
  PipelineInput,
  PipelineResult,
  Report,
  SeriesSet,
  StageName,
  StageReport,
} from './types.js';
import { UserInputError } from './types.js';

/** What the host provides beyond the input: Node passes the worker-thread search. */
export interface PipelineRuntime {
  /** The symbolic search (default: the serial `symbolicRegression` of @odekit/symbolic). */
  readonly search?: SearchFunction;
  /** A clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

type Values = Record<string, number>;

/**
 * The `choose` option read against the model: each entry names a network of the spec and parses as
 * an expression of that network's inputs.
 *
 * @throws UserInputError naming the entry and the fix.
 */
function readChoices(choose: Readonly<Record<string, string>>, spec: ModelSpec, networks: string[]) {
  const calls = networkCalls(spec, networks);
  const out = new Map<string, Expression>();
  for (const [name, text] of Object.entries(choose)) {
    const call = calls.find((c) => c.name === name);
    if (call === undefined)
      throw new UserInputError(
        `choose.${name}: not a network of the model; choose one of ${networks.join(', ') || '(none: the model has no networks)'}.`,
      );
    let e: Expression;
    try {
      e = simplify(parseExpression(String(text)));
    } catch (err) {
      throw new UserInputError(`choose.${name}: ${(err as Error).message.split('\n')[0]}`);
    }
    const unknown = variablesOf(e.root).filter((v) => !call.variables.includes(v));
    if (unknown.length > 0)
      throw new UserInputError(
        `choose.${name}: '${unknown.join("', '")}' is not an input of ${name}; write it in ${call.variables.join(', ')}.`,
      );
    out.set(name, e);
  }
  return out;
}

const scalarValues = (tree: Record<string, { dataSync(): ArrayLike<number> }>): Values =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v.dataSync()[0] as number]));

/** Predicted observations of every trajectory on `times` (or its own times), as plot series. */
function seriesOf(
  model: EquationsModel,
  params: EquationsParams,
  data: Dataset,
  times?: readonly number[],
): SeriesSet[] {
  const pred = model.predictValues(params, data, times === undefined ? {} : { times });
  return pred.map((tr, k) => ({
    trajectory: k,
    t: Array.from(tr.times),
    values: Object.fromEntries(Object.entries(tr.channels).map(([ch, v]) => [ch, Array.from(v, (x) => roundTo(x, 6))])),
  }));
}

/** The data as plot series. */
function observedSeries(data: Dataset): SeriesSet[] {
  return data.trajectories.map((tr, k) => ({
    trajectory: k,
    t: Array.from(tr.times),
    values: Object.fromEntries(data.channels.map((ch) => [ch, Array.from(tr.values[ch] ?? [], (x) => x)])),
  }));
}

/** Noise per channel from second differences of each series (σ² ≈ mean((y₋ − 2y + y₊)²)/6). */
function noiseEstimate(data: Dataset): Values {
  const out: Values = {};
  for (const ch of data.channels) {
    let s = 0;
    let n = 0;
    for (const tr of data.trajectories) {
      const v = tr.values[ch] ?? [];
      for (let i = 1; i + 1 < v.length; i++) {
        const d = (v[i - 1] as number) - 2 * (v[i] as number) + (v[i + 1] as number);
        if (Number.isFinite(d)) {
          s += d * d;
          n++;
        }
      }
    }
    out[ch] = n > 0 ? Math.sqrt(s / n / 6) : Number.NaN;
  }
  return out;
}

/** RMS of the residuals per channel (missing values skipped). */
function residuals(model: EquationsModel, params: EquationsParams, data: Dataset): Values {
  const pred = model.predictValues(params, data);
  const out: Values = {};
  for (const ch of data.channels) {
    let s = 0;
    let n = 0;
    pred.forEach((tr, k) => {
      const obs = data.trajectories[k]?.values[ch] ?? [];
      const p = tr.channels[ch] ?? new Float64Array();
      for (let i = 0; i < p.length; i++) {
        const d = (p[i] as number) - (obs[i] as number);
        if (Number.isFinite(d)) {
          s += d * d;
          n++;
        }
      }
    });
    out[ch] = n > 0 ? Math.sqrt(s / n) : Number.NaN;
  }
  return out;
}

/** Each trajectory's initial state (every state, hidden ones too) under `params`. */
function initialStates(model: EquationsModel, params: EquationsParams, data: Dataset, t0: number): Values[] {
  return model
    .predictValues(params, data, { times: [t0] })
    .map((tr) => Object.fromEntries(Object.entries(tr.states).map(([s, v]) => [s, roundTo(v[0] as number, 6)])));
}

/** The constants of a found expression after the refit: the refit's values in place. */
function refitExpression(d: NetworkDiscovery, finalValues: Values, digits: number): { text: string; latex: string } {
  // substituteNetwork names the expression's constants <network>_c0, _c1, … in pre-order,
  // integer exponents excluded; the same walk puts the refit values back.
  let k = 0;
  const fill = (n: ExprNode, exponent: boolean): ExprNode => {
    switch (n.kind) {
      case 'const': {
        if (exponent && Number.isInteger(n.value)) return n;
        const v = finalValues[`${d.call.name}_c${k++}`];
        return v === undefined ? n : { kind: 'const', value: roundTo(v, digits) };
      }
      case 'var':
        return n;
      case 'unary':
        return { kind: 'unary', op: n.op, arg: fill(n.arg, false) };
      case 'binary':
        return { kind: 'binary', op: n.op, left: fill(n.left, false), right: fill(n.right, n.op === '^') };
      case 'call':
        return { kind: 'call', name: n.name, args: n.args.map((a) => fill(a, false)) };
    }
  };
  const e = roundedConstants(cancelMonomials(simplify(new Expression(fill(d.expr.root, false)))), digits);
  return { text: e.toString(), latex: e.toLatex() };
}

/**
 * The discovery loop on a model written as equations and a CSV: (1) the mechanistic fit,
 * networks off, L-BFGS with continuum learning; (2) the hybrid model, physics frozen then
 * everything, Adam with continuum learning (again from gradient matching on the smoothed data and
 * multiple shooting when that misses the data); (3) symbolic regression of each network on the
 * trained model's typical states; (4) the refit with the found expressions' constants trainable;
 * (5) the report. Browser-safe; the command and the page both run it.
 *
 * @throws UserInputError (one line naming the place and the fix) for bad data, model or options;
 *   an `AbortError`-named error when `options.signal` aborts.
 */
export async function runPipeline(input: PipelineInput, runtime: PipelineRuntime = {}): Promise<PipelineResult> {
  const now = runtime.now ?? (() => performance.now());
  const search = runtime.search ?? (symbolicRegression as SearchFunction);
  const opts = input.options ?? {};
  const seed = opts.seed ?? 0;
  const budget = opts.budget ?? 30;
  const workers = opts.workers ?? 0;
  let spec: ModelSpec = input.spec;
  const settings = resolveSettings(spec, opts.settings);
  // The user's starting values: the magnitude each physical parameter is fitted in.
  const userValues = Object.fromEntries(
    Object.entries((spec.parameters ?? {}) as Record<string, unknown>).filter(
      (e): e is [string, number] => typeof e[1] === 'number',
    ),
  );
  const data = readData(input.csv, opts.timeColumn ?? 't', opts.trajectoryColumn ?? 'trajectory');
  const lossScales = lossScalesOf(data, settings);
  let model = buildModel(spec, settings, seed, lossScales);
  checkChannels(model, data);
  const scaled = settings.networkScales
    ? withNetworkScales(spec, data, Object.keys(model.networks))
    : { spec, said: [] as string[] };
  if (scaled.said.length > 0) {
    spec = scaled.spec;
    model = buildModel(spec, settings, seed, lossScales);
  }
  const hasNetworks = Object.keys(model.networks).length > 0;
  const stages = resolveStages(opts.stages, hasNetworks);
  const choices = readChoices(opts.choose ?? {}, spec, Object.keys(model.networks));
  const [t0, t1] = timeSpan(data);
  const plotTimes = linspace(t0, t1, 120);
  const predictionEvery = opts.predictionEvery ?? 250;
  let lastPrediction = -Infinity;

  const gate = async () => {
    await opts.gate?.();
  };
  // Every Adam step reports a 'step' event through `emit` (fit awaits it); the gate follows it.
  const emit = async (e: PipelineEvent) => {
    await opts.onEvent?.(e);
    if (e.type === 'step') await gate();
  };
  const ctx: StageContext = {
    userValues,
    ...(lossScales === undefined ? {} : { lossScales }),
    data,
    settings,
    seed,
    signal: opts.signal,
    emit,
    emitNow: (e) => {
      void opts.onEvent?.(e);
    },
    predictions: async (stage, m, p) => {
      if (opts.onEvent === undefined) return;
      const t = now();
      if (t - lastPrediction < predictionEvery) return;
      lastPrediction = t;
      try {
        await emit({ type: 'predictions', stage, series: seriesOf(m, p, data, plotTimes) });
      } catch (e) {
        if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      }
    },
    gate,
    lbfgs: async <P extends TensorTree>(o: LbfgsOptions<P>) => {
      const run = <Q extends TensorTree>(q: LbfgsOptions<Q>) =>
        lbfgsAsync({
          ...q,
          onIteration: async (info) => {
            q.onIteration?.(info);
            await gate();
            checkAborted(opts.signal);
          },
        });
      const scales = settings.parameterScales ? leafScales(o.params, userValues) : undefined;
      if (scales === undefined || allOnes(scales)) return run(o);
      // Each parameter in units of its own magnitude (see StageSettings.parameterScales).
      const u = applyScales(o.params, scales, 'div');
      try {
        const res = await run({ ...o, params: u, loss: (q: P) => o.loss(applyScales(q, scales, 'mul')) });
        const params = applyScales(res.params, scales, 'mul');
        disposeTree(res.params);
        return { ...res, params };
      } finally {
        disposeTree(u);
      }
    },
  };

  for (const line of scaled.said) await emit({ type: 'log', level: 'info', message: line });
  const stageReports: StageReport[] = [];
  const byStage: Partial<Record<StageName, Values>> = {};
  const initialByStage: Partial<Record<StageName, Values[]>> = {};
  const predictions: Partial<Record<StageName, SeriesSet[]>> = {};
  const lossCurves: Partial<Record<StageName, number[]>> = {};
  let params = model.initParams();
  if (settings.fitStarts) {
    // each trajectory's start: its first row plus a trained correction (see StageSettings.fitStarts)
    for (const [st, init] of Object.entries(model.spec.initial ?? {}))
      if (init === 'data') params.initial[st] = tf.zeros([data.trajectories.length]);
  }
  // The user's starting values: the hybrid stage tries them too when the mechanistic fit moved the
  // physics far and that start misses the data.
  const guesses = cloneTree({ physics: params.physics, initial: params.initial });
  let discoveries: NetworkDiscovery[] = [];
  const fullLoss = (m: EquationsModel, p: EquationsParams): number | null => {
    try {
      const v = m.losses(p, data).total;
      return Number.isFinite(v) ? v : null;
    } catch (e) {
      if (e instanceof Error && e.name === 'SolveError') return null;
      throw e;
    }
  };
  const record = (name: StageName, m: EquationsModel, p: EquationsParams) => {
    byStage[name] = scalarValues(p.physics);
    try {
      initialByStage[name] = initialStates(m, p, data, t0);
      predictions[name] = seriesOf(m, p, data, plotTimes);
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
    }
  };

  try {
    for (const name of stages) {
      if (name === 'report') continue;
      if (opts.signal?.aborted) {
        const e = new Error('the run was stopped');
        e.name = 'AbortError';
        throw e;
      }
      const started = now();
      const detail = {
        mechanistic: 'networks off; L-BFGS on growing prefixes of the series',
        hybrid: 'physics frozen, networks from near zero (Adam, continuum learning); then everything',
        symbolic: `symbolic regression of ${Object.keys(model.networks).join(', ')} on sampled states`,
        refit: 'found expressions in place of the networks, all constants refit (L-BFGS)',
        report: '',
      }[name];
      await emit({ type: 'stage-start', stage: name, detail });
      let loss: number | null = null;
      let steps = 0;
      let stopReason = 'completed';
      let message = '';
      if (name === 'mechanistic' || name === 'hybrid') {
        const out =
          name === 'mechanistic'
            ? await mechanisticStage(model, params, ctx)
            : await hybridStage(model, params, ctx, guesses);
        disposeTree(params);
        params = out.params;
        lossCurves[name] = out.curve;
        ({ steps, stopReason, message } = out);
        if (name === 'hybrid' && scaled.said.length > 0) message = `${scaled.said.join('; ')}. ${message}`;
        loss = fullLoss(model, params);
        record(name, model, params);
        if (name === 'mechanistic') {
          // The physics fit's residual against the noise level: far above it, the physics misses something.
          try {
            const res = residuals(model, params, data);
            const noise = noiseEstimate(data);
            message += ` Residual RMS against the noise estimated from the data: ${data.channels
              .map((ch) => `${ch} ${(res[ch] as number).toPrecision(3)} vs ${(noise[ch] as number).toPrecision(3)}`)
              .join(', ')}.`;
          } catch (e) {
            if (!(e instanceof Error && e.name === 'SolveError')) throw e;
          }
        }
      } else if (name === 'symbolic') {
        discoveries = (await symbolicStage(model, params, spec, ctx, search, { budget, workers })).map((d) => {
          const e = choices.get(d.call.name);
          if (e === undefined) return d;
          return {
            ...d,
            expr: e,
            alternatives: [e],
            chosen: true,
            errorRms: Math.sqrt(effectiveLoss(e, d.X, d.y, d.knownValues)),
            message: `refit with the chosen ${e.toString()} (the search's choice: ${d.expr.toString()}); ${d.message}`,
          };
        });
        for (const d of discoveries) {
          await emit({
            type: 'pareto',
            network: d.call.name,
            front: d.front.map((e) => frontEntry(e, (x) => roundSignificant(x, 4))),
            fraction: 1,
          });
        }
        steps = discoveries.reduce((n, d) => n + d.iterations, 0);
        stopReason = discoveries.map((d) => d.stopReason).join(',') || 'nothing_to_search';
        message = discoveries.map((d) => `${d.call.name} ≈ ${d.expr.toString()}: ${d.message}`).join(' ');
      } else if (name === 'refit') {
        if (discoveries.length === 0) {
          stopReason = 'skipped';
          message = 'nothing found to refit (the symbolic stage did not run).';
        } else {
          const out = await refitStage(model, params, discoveries, ctx);
          discoveries = discoveries.map((d) => {
            const e = out.chosen.get(d.call.name);
            return e === undefined || e === d.expr
              ? d
              : { ...d, expr: e, errorRms: Math.sqrt(effectiveLoss(e, d.X, d.y, d.knownValues)) };
          });
          disposeTree(params);
          params = out.params;
          model = out.model;
          lossCurves[name] = out.curve;
          ({ steps, stopReason, message } = out);
          loss = fullLoss(model, params);
          record(name, model, params);
        }
      }
      const seconds = (now() - started) / 1000;
      stageReports.push({ name, loss, seconds, steps, stopReason, message });
      await emit({ type: 'stage-end', stage: name, seconds, loss, stopReason, message });
    }

    // The report.
    const started = now();
    await emit({ type: 'stage-start', stage: 'report', detail: 'final equations, extrapolation, report' });
    const noise = noiseEstimate(data);
    let residualRms: Values;
    try {
      residualRms = residuals(model, params, data);
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      residualRms = Object.fromEntries(data.channels.map((ch) => [ch, Number.NaN]));
    }
    const relNoise = Math.max(
      ...data.channels.map((ch) => {
        let s = 0;
        let n = 0;
        for (const tr of data.trajectories)
          for (const v of tr.values[ch] ?? []) {
            if (Number.isFinite(v)) {
              s += v * v;
              n++;
            }
          }
        return (noise[ch] as number) / Math.sqrt(s / Math.max(n, 1));
      }),
    );
    const digits = supportedDigits(relNoise);
    const finalValues = scalarValues(params.physics);
    const finalSpec = model.toSpec(params) as unknown as ModelSpec;
    const equations: Record<string, string> = {};
    const equationsLatex: Record<string, string> = {};
    for (const [state, text] of Object.entries(finalSpec.equations)) {
      const e = equationWithNumbers(text, finalValues, digits);
      equations[state] = e.toString();
      equationsLatex[state] = e.toLatex();
    }
    const discovered: Record<string, DiscoveredTerm> = {};
    for (const d of discoveries) {
      const refit = stages.includes('refit')
        ? refitExpression(d, finalValues, digits)
        : { text: d.expr.toString(), latex: d.expr.toLatex() };
      const keep = Math.min(400, d.y.length);
      const pick = Array.from({ length: keep }, (_, i) => Math.floor((i * d.y.length) / keep));
      // the expression with the multiples of the known terms it leaves to the physics (the shares
      // the network learned of `gamma*c`, e.g.): what the network's output is compared with
      const exprValues = d.expr.evaluate(d.X);
      const shares = knownShares(d.expr, d.X, d.y, d.knownValues) ?? [];
      shares.forEach((c, j) => {
        const col = d.knownValues[j] as Float64Array;
        for (let i = 0; i < exprValues.length; i++) exprValues[i] = (exprValues[i] as number) + c * (col[i] as number);
      });
      discovered[d.call.name] = {
        expression: refit.text,
        latex: refit.latex,
        searched: roundSignificant(d.expr, 4).toString(),
        inputs: d.call.args,
        complexity: d.expr.complexity,
        networkRms: d.networkRms,
        errorRms: d.errorRms,
        front: d.front.map((e) => frontEntry(e, (x) => roundSignificant(x, 4))),
        samples: {
          inputs: Object.fromEntries(
            Object.entries(d.X).map(([k, v]) => [k, pick.map((i) => roundTo(v[i] as number, 6))]),
          ),
          network: pick.map((i) => roundTo(d.y[i] as number, 6)),
          expression: pick.map((i) => roundTo(exprValues[i] as number, 6)),
        },
      };
    }
    let extrapolation: SeriesSet[] = [];
    try {
      extrapolation = seriesOf(model, params, data, linspace(t0, t0 + 2 * (t1 - t0), 240));
    } catch (e) {
      if (!(e instanceof Error && e.name === 'SolveError')) throw e;
      await emit({
        type: 'log',
        level: 'warn',
        message: `the final model could not be run to twice the time span: ${e.message.split('\n')[0]}`,
      });
    }
    const rows = data.trajectories.reduce((n, tr) => n + tr.times.length, 0);
    stageReports.push({
      name: 'report',
      loss: fullLoss(model, params),
      seconds: (now() - started) / 1000,
      steps: 0,
      stopReason: 'completed',
      message: `constants to ${digits} significant digits (relative noise ≈ ${relNoise.toPrecision(2)}).`,
    });
    const report: Report = {
      version: 1,
      generator: '@odekit/demo',
      options: {
        seed,
        budget,
        workers,
        stages,
        ...(choices.size > 0 ? { choose: { ...opts.choose } } : {}),
      },
      data: {
        file: input.dataName ?? 'data.csv',
        rows,
        channels: data.channels,
        trajectories: data.trajectories.length,
        timeSpan: [t0, t1],
      },
      equations,
      equationsLatex,
      discovered,
      parameters: {
        final: Object.fromEntries(Object.entries(finalValues).map(([k, v]) => [k, roundTo(v, 6)])),
        byStage: roundStage(byStage),
      },
      initial: { final: initialStates(model, params, data, t0), byStage: initialByStage },
      stages: stageReports,
      fit: { residualRms, noiseRms: noise },
      predictions: { byStage: predictions, extrapolation },
      lossCurves,
      observed: observedSeries(data),
    };
    await emit({
      type: 'stage-end',
      stage: 'report',
      seconds: (now() - started) / 1000,
      loss: null,
      stopReason: 'completed',
      message: '',
    });
    return { report, model: finalSpec };
  } finally {
    disposeTree(params);
    disposeTree(guesses);
  }
}

function roundStage(v: Partial<Record<StageName, Values>>): Partial<Record<StageName, Values>> {
  return Object.fromEntries(
    Object.entries(v).map(([s, vals]) => [
      s,
      Object.fromEntries(Object.entries(vals ?? {}).map(([k, x]) => [k, roundTo(x, 6)])),
    ]),
  );
}

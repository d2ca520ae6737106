// Held-out Lotka–Volterra variants for the discovery bench (`pnpm bench --workload discovery
// --scenario variants`): from a seed, a random predator–prey truth whose unknown terms a network
// (or two) stands in for in the model, with noise, point counts and rates drawn in the ranges the
// issue names (1–5 % noise, 30–100 points). Pure and browser-safe; the script
// scenarios/variants/generate.ts writes model.json, data.csv and truth.json from it.
import { mulberry32, portablePow } from '@odekit/core';
import { parseExpression, simplify } from '@odekit/symbolic';

/**
 * The functional responses P(r, c) (rabbits eaten per unit time) a variant draws from:
 * `bilinear` a·r·c (Lotka–Volterra), `holling2` a·r·c/(1 + h·r) (saturating predator, Holling
 * 1959), `holling3` a·r²·c/(1 + h·r²), `bd` a·r·c/(1 + h·r + m·c) (Beddington 1975, DeAngelis et
 * al. 1975); and two kinds whose unknown term is not a response: `logistic` (the prey's −k·r²
 * under the network) and `cubic` (the predator's q·c² − s·c³ under the network, the embedded
 * example's kind).
 */
export const VARIANT_KINDS = [
  'bilinear/both',
  'holling2/shared',
  'holling2/both',
  'holling2/prey',
  'holling3/both',
  'bd/both',
  'logistic/prey',
  'cubic/predator',
] as const;

/**
 * The Lotka–Volterra family (`drawVariant(seed, 'lv')`): the truth is always the bilinear
 * a·r·c response (with a logistic prey half the time), and a network stands in for the unknown
 * interaction term of both equations, of the prey's only, or of the predator's only — the
 * issue's "variants of Lotka–Volterra with unknown terms of one or both equations replaced by
 * networks".
 */
export const LV_KINDS = ['bilinear/both', 'bilinear/prey', 'bilinear/predator'] as const;
export type VariantKind = (typeof VARIANT_KINDS)[number] | (typeof LV_KINDS)[number];
/**
 * Which cycle of kinds a seed draws from: all eight, the Lotka–Volterra three, or the
 * Lotka–Volterra three in other units (`units`: the `lv` draw with its populations and its time
 * rescaled, so states of 0.1–100 and spans of 1.5–300 time units, as a user's own data come).
 */
export type VariantFamily = 'all' | 'lv' | 'units';
/** The families `drawVariant` knows. */
export const VARIANT_FAMILIES: readonly VariantFamily[] = ['all', 'lv', 'units'];

/** One variant: the model a user would write, the truth behind the data, and how the data are sampled. */
export interface Variant {
  readonly kind: VariantKind;
  readonly seed: number;
  /** The model as an equations spec (model.json): known terms with trainable guesses, networks for the rest. */
  readonly model: {
    readonly states: readonly ['r', 'c'];
    readonly parameters: Readonly<Record<string, number>>;
    readonly equations: Readonly<Record<'r' | 'c', string>>;
    readonly initial: Readonly<Record<'r' | 'c', 'data'>>;
    readonly networks: Readonly<Record<string, { width: number; depth: number; activation: string }>>;
  };
  /** The truth: equations in the truth's parameters (parseable by @odekit/symbolic), and their values. */
  readonly truth: {
    readonly equations: Readonly<Record<'r' | 'c', string>>;
    readonly parameters: Readonly<Record<string, number>>;
    /** The term each network stands in for, numbers in place. */
    readonly missing: Readonly<Record<string, string>>;
  };
  readonly initial: readonly (readonly [number, number])[];
  readonly times: { readonly t0: number; readonly t1: number; readonly points: number };
  /** Noise σ as a fraction of each state's mean. */
  readonly noise: number;
  /** The first row of each trajectory without noise. */
  readonly exactStart: boolean;
  /** The `units` family's scales of time and of each population against the `lv` draw. */
  readonly scales?: { readonly time: number; readonly r: number; readonly c: number };
}

const round3 = (x: number): number => Number(x.toPrecision(3));

/** The response's text in the truth's parameters and the parameters' ranges. */
const RESPONSES = {
  bilinear: { text: 'a*r*c', ranges: { a: [0.4, 1.2] } },
  holling2: { text: 'a*r*c/(1 + h*r)', ranges: { a: [0.6, 1.4], h: [0.3, 0.8] } },
  holling3: { text: 'a*r^2*c/(1 + h*r^2)', ranges: { a: [0.5, 1.2], h: [0.15, 0.5] } },
  bd: { text: 'a*r*c/(1 + h*r + m*c)', ranges: { a: [0.6, 1.4], h: [0.3, 0.7], m: [0.2, 0.5] } },
} as const;

/**
 * The variant of `seed`: its kind is `VARIANT_KINDS[seed % 8]` (so seeds 0..8k−1 give k of each),
 * everything else is drawn from a Mulberry32 stream of the seed: rates, 1 or 2 trajectories, 30–100
 * points in all on [0, 6..15], noise 1–5 %, starts known or noisy, and the model's starting guesses
 * (the truth's known rates × 0.7–1.3). `rhs` must keep the states positive, bounded and moving
 * (each varies by ≥ 30 % of its mean) on twice the span; a draw that does not is redrawn.
 *
 * @example
 * ```ts
 * import { drawVariant } from './variants.js';
 * const v = drawVariant(1);
 * if (v.kind !== 'holling2/shared' || !v.model.equations.c.includes('F(r, c)')) throw new Error(v.kind);
 * ```
 */
export function drawVariant(seed: number, family: VariantFamily = 'all'): Variant {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`drawVariant: seed must be an integer >= 0, got ${seed}.`);
  if (!VARIANT_FAMILIES.includes(family))
    throw new Error(`drawVariant: family must be 'all', 'lv' or 'units', got '${String(family)}'.`);
  if (family === 'units') {
    // The lv draw of the same seed (so the two families' results compare case by case), seen in
    // units of its own stream's log-uniform scales: time × 0.25–20, each population × 0.1–40.
    const w = mulberry32(9000 + seed);
    const decade = (lo: number, hi: number) => round3(portablePow(10, lo + (hi - lo) * w()));
    return rescaled(drawVariant(seed, 'lv'), { time: decade(-0.6, 1.3), r: decade(-1, 1.6), c: decade(-1, 1.6) });
  }
  const kinds: readonly VariantKind[] = family === 'all' ? VARIANT_KINDS : LV_KINDS;
  const kind = kinds[seed % kinds.length] as VariantKind;
  const u = mulberry32((family === 'lv' ? 5000 : 1000) + seed);
  const within = (lo: number, hi: number) => round3(lo + (hi - lo) * u());
  for (let attempt = 0; attempt < 200; attempt++) {
    const v = draw(kind, seed, within, u);
    if (behaves(v)) return v;
  }
  throw new Error(`drawVariant: no well-behaved draw for seed ${seed} in 200 tries.`);
}

function draw(kind: VariantKind, seed: number, within: (lo: number, hi: number) => number, u: () => number): Variant {
  const [response, placement] = kind.split('/') as [string, string];
  const p: Record<string, number> = { alpha: within(0.7, 1.5), gamma: within(0.4, 1.2), eps: within(0.4, 0.9), b: 0 };
  const guess = (x: number) => round3(x * (0.7 + 0.6 * u()));
  let rTruth: string;
  let cTruth: string;
  let model: Variant['model']['equations'];
  const parameters: Record<string, number> = {};
  const networks: Record<string, { width: number; depth: number; activation: string }> = {};
  const net = { width: 8, depth: 1, activation: 'tanh' };
  if (response === 'logistic' || response === 'cubic') {
    p.a = within(0.5, 1.1);
    if (response === 'logistic') p.k = within(0.15, 0.4);
    else {
      p.q = within(0.2, 0.4);
      p.s = within(0.06, 0.12);
    }
    rTruth = response === 'logistic' ? 'alpha*r - k*r^2 - a*r*c' : 'alpha*r - a*r*c';
    p.b = round3((p.eps as number) * (p.a as number));
    cTruth = response === 'cubic' ? '-gamma*c + b*r*c + q*c^2 - s*c^3' : '-gamma*c + b*r*c';
    Object.assign(parameters, {
      alpha: guess(p.alpha as number),
      beta: guess(p.a as number),
      gamma: guess(p.gamma as number),
      delta: guess(p.b as number),
    });
    model =
      response === 'logistic'
        ? { r: 'alpha*r - beta*r*c + NN(r, c)', c: '-gamma*c + delta*r*c' }
        : { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c + NN(r, c)' };
    networks.NN = net;
  } else {
    const def = RESPONSES[response as keyof typeof RESPONSES];
    for (const [k, [lo, hi]] of Object.entries(def.ranges)) p[k] = within(lo, hi);
    const logistic = u() < 0.5;
    if (logistic) p.k = within(0.05, 0.2);
    const P = def.text;
    p.b = round3((p.eps as number) * (p.a as number));
    rTruth = `alpha*r${logistic ? ' - k*r^2' : ''} - ${P}`;
    // The predator's gain b·P/a (b = eps·a: one identifiable constant, not two).
    cTruth = `-gamma*c + ${P.replace(/^a\*/, 'b*')}`;
    parameters.alpha = guess(p.alpha as number);
    if (logistic) parameters.kappa = guess(p.k as number);
    parameters.gamma = guess(p.gamma as number);
    const rKnown = `alpha*r${logistic ? ' - kappa*r^2' : ''}`;
    if (placement === 'shared') {
      parameters.delta = guess(p.eps as number);
      model = { r: `${rKnown} - F(r, c)`, c: '-gamma*c + delta*F(r, c)' };
      networks.F = net;
    } else if (placement === 'both') {
      model = { r: `${rKnown} + NN1(r, c)`, c: '-gamma*c + NN2(r, c)' };
      networks.NN1 = net;
      networks.NN2 = net;
    } else if (placement === 'predator') {
      // The prey's loss written out with its own trainable rate; the predator's gain unknown.
      const known = P.replace(/\ba\b/g, 'beta').replace(/\bh\b/g, 'hh').replace(/\bm\b/g, 'mm');
      parameters.beta = guess(p.a as number);
      for (const k of ['h', 'm']) if (p[k] !== undefined) parameters[k + k] = guess(p[k] as number);
      model = { r: `${rKnown} - ${known}`, c: '-gamma*c + NN(r, c)' };
      networks.NN = net;
    } else {
      // The predator's gain written out with its own trainable parameters (delta·P with guesses).
      const known = P.replace(/\ba\b/g, 'delta').replace(/\bh\b/g, 'hh').replace(/\bm\b/g, 'mm');
      parameters.delta = guess(p.b as number);
      for (const k of ['h', 'm']) if (p[k] !== undefined) parameters[k + k] = guess(p[k] as number);
      model = { r: `${rKnown} + NN(r, c)`, c: `-gamma*c + ${known}` };
      networks.NN = net;
    }
  }
  const numbers = (text: string) => withNumbers(text, p);
  const missing: Record<string, string> = {};
  const resp = response in RESPONSES ? RESPONSES[response as keyof typeof RESPONSES].text : '';
  if (networks.F) missing.F = numbers(resp);
  if (networks.NN1) missing.NN1 = numbers(`-${resp}`);
  if (networks.NN2) missing.NN2 = numbers(resp.replace(/^a\*/, 'b*'));
  if (networks.NN)
    missing.NN =
      response === 'logistic'
        ? numbers('-k*r^2')
        : response === 'cubic'
          ? numbers('q*c^2 - s*c^3')
          : placement === 'predator'
            ? numbers(resp.replace(/^a\*/, 'b*'))
            : numbers(`-${resp}`);
  const trajectories = u() < 0.7 ? 1 : 2;
  const points = Math.round(within(30, 100) / trajectories);
  const initial = Array.from({ length: trajectories }, () => [within(0.5, 3), within(0.5, 2.5)] as const);
  return {
    kind,
    seed,
    model: { states: ['r', 'c'], parameters, equations: model, initial: { r: 'data', c: 'data' }, networks },
    truth: { equations: { r: rTruth, c: cTruth }, parameters: p, missing },
    initial,
    times: { t0: 0, t1: round3(within(6, 15)), points },
    noise: round3(within(0.01, 0.05)),
    exactStart: u() < 0.5,
  };
}

/** `text` (in the truth's parameters) with the values of `p` in place, simplified. */
function withNumbers(text: string, p: Readonly<Record<string, number>>): string {
  return simplify(
    parseExpression(text.replace(/\b[a-z]+\b/g, (w) => (w === 'r' || w === 'c' ? w : String(p[w])))),
  ).toString();
}

/**
 * The Lotka–Volterra variant `v` in other units: r = S_r·r̂, c = S_c·ĉ, t = S_t·t̂. Each rate
 * scales by its dimension (α, γ by 1/S_t; the prey's a and the model's β by 1/(S_t·S_c); the
 * predator's b, δ and the logistic k, κ by 1/(S_t·S_r)), so the new truth is the old one seen in
 * the new units; the missing terms are restated in the new numbers.
 */
export function rescaled(v: Variant, s: { time: number; r: number; c: number }): Variant {
  const per = (name: string): number => {
    if (name === 'alpha' || name === 'gamma') return 1 / s.time;
    if (name === 'a' || name === 'beta') return 1 / (s.time * s.c);
    if (name === 'b' || name === 'delta' || name === 'k' || name === 'kappa') return 1 / (s.time * s.r);
    if (name === 'eps') return s.c / s.r;
    throw new Error(`rescaled: no units known for parameter '${name}' (only the Lotka–Volterra kinds rescale).`);
  };
  const scale = (p: Readonly<Record<string, number>>) =>
    Object.fromEntries(Object.entries(p).map(([k, x]) => [k, round3(x * per(k))]));
  const p = scale(v.truth.parameters);
  const missing = Object.fromEntries(
    Object.keys(v.truth.missing).map((name) => {
      // A network in the prey's equation stands in for −a·r·c, in the predator's for b·r·c.
      const text = v.model.equations.r.includes(`${name}(r, c)`) ? '-a*r*c' : 'b*r*c';
      return [name, withNumbers(text, p)];
    }),
  );
  return {
    ...v,
    model: { ...v.model, parameters: scale(v.model.parameters) },
    truth: { ...v.truth, parameters: p, missing },
    initial: v.initial.map(([r, c]) => [round3(r * s.r), round3(c * s.c)] as const),
    times: { ...v.times, t1: round3(v.times.t1 * s.time) },
    scales: s,
  };
}

/**
 * What a variant states about its data (truth.json, and the sampling `makeCsv` reads): its kind,
 * states, true equations and values, the missing terms, starts, times, noise and seed, and the
 * `units` family's scales.
 */
export function variantTruth(v: Variant) {
  return {
    kind: v.kind,
    states: ['r', 'c'],
    equations: v.truth.equations,
    missing: v.truth.missing,
    parameters: v.truth.parameters,
    initial: v.initial,
    times: v.times,
    noise: v.noise,
    exactStart: v.exactStart,
    seed: v.seed,
    ...(v.scales === undefined ? {} : { scales: v.scales }),
  };
}

/** dy/dt of a variant's truth, in float64 (its equations as JavaScript: they are this file's own text). */
export function variantRhs(v: Variant): (t: number, y: readonly number[]) => number[] {
  const js = (text: string) =>
    new Function(
      'r',
      'c',
      `return ${text.replace(/\^/g, '**').replace(/\b[a-z]+\b/g, (w) => (w === 'r' || w === 'c' ? w : `(${v.truth.parameters[w]})`))};`,
    ) as (r: number, c: number) => number;
  const fr = js(v.truth.equations.r);
  const fc = js(v.truth.equations.c);
  return (_t, [r = 0, c = 0]) => [fr(r, c), fc(r, c)];
}

/** Positive, bounded and moving on twice the span (RK4, step 0.01). */
function behaves(v: Variant): boolean {
  const f = variantRhs(v);
  const h = 0.01;
  for (const y0 of v.initial) {
    let y = [...y0];
    const lo = [Infinity, Infinity];
    const hi = [-Infinity, -Infinity];
    const sum = [0, 0];
    let n = 0;
    for (let t = 0; t < 2 * v.times.t1; t += h) {
      const k1 = f(t, y);
      const k2 = f(
        t,
        y.map((x, i) => x + (h / 2) * (k1[i] as number)),
      );
      const k3 = f(
        t,
        y.map((x, i) => x + (h / 2) * (k2[i] as number)),
      );
      const k4 = f(
        t,
        y.map((x, i) => x + h * (k3[i] as number)),
      );
      y = y.map(
        (x, i) => x + (h / 6) * ((k1[i] as number) + 2 * (k2[i] as number) + 2 * (k3[i] as number) + (k4[i] as number)),
      );
      if (!y.every((x) => Number.isFinite(x) && x > 0.02 && x < 20)) return false;
      if (t <= v.times.t1)
        y.forEach((x, i) => {
          lo[i] = Math.min(lo[i] as number, x);
          hi[i] = Math.max(hi[i] as number, x);
          sum[i] = (sum[i] as number) + x;
        });
      n++;
    }
    const m = Math.round(v.times.t1 / h);
    for (let i = 0; i < 2; i++)
      if ((hi[i] as number) - (lo[i] as number) < 0.3 * ((sum[i] as number) / m)) return false;
    void n;
  }
  return true;
}

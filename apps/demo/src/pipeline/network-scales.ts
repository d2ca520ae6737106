import type { Dataset } from '@odekit/observables';
import { Expression } from '@odekit/symbolic';
import { magnitudeOf } from './parameter-scales.js';
import { smoothRates } from './stages/smooth-rates.js';
import { networkCalls } from './stages/symbolic.js';
import type { ModelSpec } from './types.js';

/**
 * Typical sizes up to this are left unscaled: a tanh layer whose first weights start within ±1
 * (fan-in initialisation) is not saturated by inputs of a few units, and a last layer that starts
 * near zero reaches outputs of a few units within the hybrid stage's steps. Small sizes are left
 * too: they saturate nothing.
 */
export const UNSCALED_UP_TO = 5;

/**
 * The scale for a typical size `x`: 1 up to {@link UNSCALED_UP_TO}, above it the power of ten
 * nearest `x` in log scale (10 for 5–31.6, 100 for 31.6–316); 1 when `x` is not a positive number.
 */
export function scaleFor(x: number): number {
  return Number.isFinite(x) && x > UNSCALED_UP_TO ? magnitudeOf(x) : 1;
}

const rms = (values: readonly number[]): number => {
  let s = 0;
  let n = 0;
  for (const v of values)
    if (Number.isFinite(v)) {
      s += v * v;
      n++;
    }
  return n > 0 ? Math.sqrt(s / n) : Number.NaN;
};

/** The channel that observes each state as it is (the state itself without observations), by state. */
function directChannelOf(spec: ModelSpec, data: Dataset): Map<string, string> {
  const out = new Map<string, string>();
  const obs = spec.observations as Readonly<Record<string, string>> | undefined;
  for (const st of spec.states) {
    const ch = obs === undefined ? st : Object.entries(obs).find(([, src]) => String(src).trim() === st)?.[0];
    if (ch !== undefined && data.channels.includes(ch)) out.set(st, ch);
  }
  return out;
}

/**
 * The spec with fixed input and output scales (`inputScale`, `outputScale` of @odekit/observables)
 * for each network that sets neither: each input whose typical size (RMS) in the data is over
 * {@link UNSCALED_UP_TO} divided by its order of magnitude (a power of ten), and the output
 * multiplied by that of the rates of the equations that call it, when those are that large. A
 * network then sees inputs of a few units and gives outputs of a few units whatever the data's
 * units: on Lotka–Volterra in Diffrax's units (populations 5–40) a tanh layer fed the raw states
 * saturates, and the refit read back `c^2` and `c^3` terms beside the true `r*c`; with prey
 * spikes to 12 and rates to 30, the hybrid fit stayed at 15× the noise floor and no term came
 * back right. An input whose size the data cannot give (a hidden state) keeps 1, as does an output whose
 * equations' states are not observed directly. Returns the spec (a new object when a scale was
 * set) and a line per scaled network for the log.
 */
export function withNetworkScales(
  spec: ModelSpec,
  data: Dataset,
  names: readonly string[],
): { spec: ModelSpec; said: string[] } {
  const direct = directChannelOf(spec, data);
  const parameters = (spec.parameters ?? {}) as Readonly<Record<string, number>>;
  const said: string[] = [];
  const networks: Record<string, Readonly<Record<string, unknown>>> = { ...(spec.networks ?? {}) };
  // Each trajectory's rows as variable columns: directly observed states, conditions, t, parameters.
  const columns = data.trajectories.map((tr) => {
    const vars: Record<string, Float64Array> = { t: Float64Array.from(tr.times) };
    for (const [st, ch] of direct) vars[st] = Float64Array.from(tr.values[ch] ?? []);
    for (const k of data.conditions) vars[k] = new Float64Array(tr.times.length).fill(tr.conditions[k] as number);
    for (const [k, v] of Object.entries(parameters))
      if (typeof v === 'number') vars[k] = new Float64Array(tr.times.length).fill(v);
    return vars;
  });
  // The typical rate of each directly observed state (smoothed, every trajectory).
  const rateSize = new Map<string, number>();
  for (const [st, ch] of direct) {
    const all: number[] = [];
    for (const tr of data.trajectories) {
      const values = tr.values[ch];
      if (values === undefined || tr.times.length < 5) continue;
      all.push(...smoothRates(Float64Array.from(tr.times), Float64Array.from(values)).rate);
    }
    rateSize.set(st, rms(all));
  }
  for (const call of networkCalls(spec, names)) {
    const own = networks[call.name] ?? {};
    if (own.inputScale !== undefined || own.outputScale !== undefined) continue;
    const inputScale = call.argNodes.map((node) => {
      const e = new Expression(node);
      const values: number[] = [];
      for (const vars of columns) {
        try {
          values.push(...e.evaluate(vars));
        } catch {
          // a variable the data does not give (a hidden state): the scale stays 1
          return 1;
        }
      }
      return scaleFor(rms(values));
    });
    const callsIt = Object.entries(spec.equations).filter(([, text]) =>
      new RegExp(`\\b${call.name}\\s*\\(`).test(String(text)),
    );
    const sizes = callsIt.map(([st]) => rateSize.get(st) ?? Number.NaN).filter(Number.isFinite);
    const outputScale = scaleFor(sizes.length > 0 ? Math.max(...sizes) : Number.NaN);
    if (inputScale.every((v) => v === 1) && outputScale === 1) continue;
    networks[call.name] = { ...own, inputScale, outputScale };
    said.push(
      `${call.name}(${call.args.join(', ')}): inputs divided by ${inputScale.join(', ')}, output multiplied by ${outputScale} (the data's sizes)`,
    );
  }
  if (said.length === 0) return { spec, said };
  return { spec: { ...spec, networks }, said };
}

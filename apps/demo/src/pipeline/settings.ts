import { type ModelSpec, STAGE_NAMES, type StageName, type StageSettings, UserInputError } from './types.js';

const defaults: StageSettings = {
  mechanisticLengths: [0.25, 0.5, 1],
  mechanisticIterations: 60,
  hybridLengths: [0.3, 0.6, 1],
  hybridSteps: 150,
  jointSteps: 300,
  networkIterations: 100,
  collocationIterations: 200,
  jointIterations: 100,
  learningRate: 1e-2,
  samples: 10000,
  sampleTrajectories: 8,
  sampleSpread: 0.2,
  jitter: 0.02,
  binaryOperators: ['+', '-', '*', '/'],
  unaryOperators: [],
  maxSize: 16,
  selectionTolerance: 0.05,
  candidates: 10,
  refitIterations: 200,
  rtol: 1e-6,
  atol: 1e-8,
  fitStarts: true,
  rateStarts: true,
  networkScales: true,
  parameterScales: true,
  lossScales: true,
};

/** Default stage settings (the talk's tricks: continuum learning, tight tolerances for line searches). */
export const DEFAULT_SETTINGS: Readonly<StageSettings> = Object.freeze(defaults);

const positiveInts = ['mechanisticIterations', 'hybridSteps', 'samples', 'maxSize', 'candidates'] as const;
const nonNegativeInts = [
  'sampleTrajectories',
  'refitIterations',
  'networkIterations',
  'collocationIterations',
  'jointSteps',
  'jointIterations',
] as const;
const positives = ['learningRate', 'rtol', 'atol', 'selectionTolerance'] as const;
const nonNegatives = ['sampleSpread', 'jitter'] as const;

/**
 * The settings of a run: defaults, then the spec's `discovery`, then `overrides`; every value checked.
 *
 * @throws UserInputError naming the setting and what it takes.
 */
export function resolveSettings(spec: ModelSpec, overrides: Partial<StageSettings> = {}): StageSettings {
  const fromSpec = spec.discovery ?? {};
  if (typeof fromSpec !== 'object' || fromSpec === null || Array.isArray(fromSpec)) {
    throw new UserInputError('model: \'discovery\' must be an object of stage settings, e.g. { "jointSteps": 300 }.');
  }
  const s = { ...DEFAULT_SETTINGS, ...fromSpec, ...overrides } as StageSettings;
  for (const key of Object.keys(fromSpec)) {
    if (!Object.hasOwn(DEFAULT_SETTINGS, key)) {
      throw new UserInputError(
        `model: unknown setting 'discovery.${key}'; known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}.`,
      );
    }
  }
  const where = (k: string) => (Object.hasOwn(overrides, k) ? `setting '${k}'` : `model: 'discovery.${k}'`);
  for (const k of positiveInts) {
    if (!(Number.isInteger(s[k]) && s[k] >= 1))
      throw new UserInputError(`${where(k)} must be an integer >= 1, got ${JSON.stringify(s[k])}.`);
  }
  for (const k of nonNegativeInts) {
    if (!(Number.isInteger(s[k]) && s[k] >= 0))
      throw new UserInputError(`${where(k)} must be an integer >= 0, got ${JSON.stringify(s[k])}.`);
  }
  for (const k of positives) {
    if (!(typeof s[k] === 'number' && s[k] > 0 && Number.isFinite(s[k])))
      throw new UserInputError(`${where(k)} must be a number > 0, got ${JSON.stringify(s[k])}.`);
  }
  for (const k of nonNegatives) {
    if (!(typeof s[k] === 'number' && s[k] >= 0 && Number.isFinite(s[k])))
      throw new UserInputError(`${where(k)} must be a number >= 0, got ${JSON.stringify(s[k])}.`);
  }
  for (const k of ['fitStarts', 'rateStarts', 'networkScales', 'parameterScales', 'lossScales'] as const) {
    if (typeof s[k] !== 'boolean')
      throw new UserInputError(`${where(k)} must be true or false, got ${JSON.stringify(s[k])}.`);
  }
  for (const k of ['mechanisticLengths', 'hybridLengths'] as const) {
    const v = s[k];
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => !(typeof x === 'number' && x > 0 && x <= 1))) {
      throw new UserInputError(`${where(k)} must be a non-empty list of fractions in (0, 1], e.g. [0.3, 0.6, 1].`);
    }
  }
  return s;
}

/**
 * The stages to run: `report` always; a model without networks runs only `mechanistic` and `report`.
 *
 * @throws UserInputError for an unknown stage name.
 */
export function resolveStages(requested: readonly string[] | undefined, hasNetworks: boolean): StageName[] {
  const req = requested ?? STAGE_NAMES;
  for (const name of req) {
    if (!(STAGE_NAMES as readonly string[]).includes(name)) {
      throw new UserInputError(
        `--stages: unknown stage '${name}'; use a comma-separated subset of ${STAGE_NAMES.join(',')}.`,
      );
    }
  }
  const chosen = new Set<string>(req);
  chosen.add('report');
  return STAGE_NAMES.filter((n) => chosen.has(n) && (hasNetworks || n === 'mechanistic' || n === 'report'));
}

// The searches the SR and SR-suite workloads can compare, as option presets on top of the shared
// protocol (operators, maxSize, budget). 'old' is the previous search: main's defaults before
// session 8 (pinned here: every mechanism added since is an option that 'old' leaves off).
import type { SymbolicRegressionOptions } from '@odekit/symbolic';

/**
 * The search space both SR workloads use (the shared ten's protocol): PySR's example operators,
 * trees up to 30 nodes, powers with a constant or simple exponent, no nested transcendental functions.
 */
export const BENCH_SEARCH_SPACE = {
  maxSize: 30,
  binaryOperators: ['+', '-', '*', '/', '^'],
  unaryOperators: ['exp', 'log', 'sin', 'cos', 'sqrt'],
  constraints: { '^': [-1, 1] },
  nestedConstraints: {
    exp: { exp: 0, log: 0 },
    log: { exp: 0, log: 0 },
    sin: { sin: 0, cos: 0 },
    cos: { sin: 0, cos: 0 },
    sqrt: { sqrt: 0 },
    '^': { '^': 0 },
  },
} satisfies Partial<SymbolicRegressionOptions>;

/** Early stopping of the current search: a stalled front (30 % of the budget), sooner (15 %) at the noise floor. */
export const EARLY_STOP = {
  earlyStop: { stall: 0.3, floorStall: 0.15 },
} as const satisfies Partial<SymbolicRegressionOptions>;

const VARIANTS: Record<string, Partial<SymbolicRegressionOptions>> = {
  // main before session 8: the package defaults as they were (the new options off)
  old: { seedSimpleCoefficients: false },
  new: { ...EARLY_STOP },
  // the current search without early stopping (to measure what the early stop costs)
  'new-nostop': {},
  // candidates measured against 'new' one at a time (kept in 'new' only if they help)
  'new+restart': { ...EARLY_STOP, restartStagnant: 0.2 },
  // the search of session 6: no seeded populations, no tidying (PySR's behaviour)
  pysr: { seedPopulations: false, tidy: false },
  // the current search with PySR's selection rule instead of the noise-level one
  'pysr-select': { ...EARLY_STOP, modelSelection: 'pysr' },
};

/** The names `--search` accepts. */
export const SEARCH_NAMES = Object.keys(VARIANTS);

/**
 * The options of search `name`, with `noiseVariance` when known (every search but the PySR-like ones, as the
 * bench gave it before).
 *
 * @throws Error naming the flag for an unknown search name.
 */
export function searchVariant(name: string, noiseVariance: number | undefined): Partial<SymbolicRegressionOptions> {
  const v = VARIANTS[name];
  if (v === undefined) throw new Error(`bench: unknown search '${name}' in --search; use ${SEARCH_NAMES.join(', ')}.`);
  return noiseVariance !== undefined && !name.startsWith('pysr') ? { ...v, noiseVariance } : v;
}

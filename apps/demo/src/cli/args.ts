import { STAGE_NAMES, type StageName, UserInputError } from '../pipeline/types.js';

/** The command's options after parsing. */
export interface CliOptions {
  model: string | undefined;
  data: string | undefined;
  out: string;
  seed: number;
  budget: number;
  workers: number | 'auto';
  stages: StageName[] | undefined;
  /** `--choose`: the expression to refit per network instead of the search's choice. */
  choose: Record<string, string> | undefined;
  json: boolean;
  force: boolean;
  help: boolean;
  debug: boolean;
  timeColumn: string;
  trajectoryColumn: string;
}

export const USAGE = `odekit-demo: the discovery loop on a model and a CSV — mechanistic fit, hybrid network,
symbolic regression of each network, refit, report.

Usage: pnpm demo [--model model.json --data data.csv] [options]
  (with neither --model nor --data: the embedded rabbits-and-cats example)

Options:
  --model FILE              the model as equations (JSON; see apps/demo/README.md)
  --data FILE               the data (CSV: a time column, a column per observed channel,
                            optional trajectory column; empty cells are missing)
  --out DIR                 where report.json, report.html and model.json go (default demo-output/)
  --seed N                  seed of every random choice (default 0)
  --budget SECONDS          symbolic-regression budget per network (default 30)
  --workers N|auto          search threads; 0 = serial, reproducible (default 0)
  --stages LIST             comma-separated subset of ${STAGE_NAMES.join(',')}
  --choose NET=EXPR         refit EXPR (e.g. a row of the report's Pareto front) for network NET
                            instead of the search's choice; several: 'NN=...;NN2=...'
  --time-column NAME        the time column (default t)
  --trajectory-column NAME  the trajectory column (default trajectory)
  --json                    progress as JSON lines on stdout
  --force                   replace an earlier report in --out
  --debug                   print stack traces of unexpected errors
  --help                    this text
`;

const VALUE_FLAGS = new Set([
  'model',
  'data',
  'out',
  'seed',
  'budget',
  'workers',
  'stages',
  'choose',
  'time-column',
  'trajectory-column',
]);
const BOOL_FLAGS = new Set(['json', 'force', 'help', 'debug']);

/**
 * Parses the command line (`--name value` or `--name=value`).
 *
 * @throws UserInputError naming the flag and what it takes.
 */
export function parseArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) {
      throw new UserInputError(`unexpected argument '${arg}'; flags start with --, e.g. --data data.csv (see --help).`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    if (BOOL_FLAGS.has(name)) {
      if (eq >= 0) throw new UserInputError(`--${name} takes no value.`);
      bools.add(name);
    } else if (VALUE_FLAGS.has(name)) {
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || value.startsWith('--'))
          throw new UserInputError(`--${name} needs a value (see --help).`);
        i++;
      }
      if (values.has(name)) throw new UserInputError(`--${name} is given twice.`);
      values.set(name, value);
    } else {
      throw new UserInputError(`unknown flag --${name} (see --help).`);
    }
  }
  const int = (name: string, fallback: number, min: number): number => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(v.trim() !== '' && Number.isInteger(n) && n >= min))
      throw new UserInputError(`--${name} must be an integer >= ${min}, got '${v}'.`);
    return n;
  };
  const budgetText = values.get('budget');
  const budget = budgetText === undefined ? 30 : Number(budgetText);
  if (!(budgetText === undefined || (budgetText.trim() !== '' && budget > 0 && budget <= 86400))) {
    throw new UserInputError(`--budget must be a number of seconds > 0, got '${budgetText}'.`);
  }
  const workersText = values.get('workers') ?? '0';
  const workers = workersText === 'auto' ? 'auto' : int('workers', 0, 0);
  let stages: StageName[] | undefined;
  const stagesText = values.get('stages');
  if (stagesText !== undefined) {
    const names = stagesText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const s of names) {
      if (!(STAGE_NAMES as readonly string[]).includes(s)) {
        throw new UserInputError(
          `--stages: unknown stage '${s}'; use a comma-separated subset of ${STAGE_NAMES.join(',')}.`,
        );
      }
    }
    if (names.length === 0) throw new UserInputError(`--stages needs at least one of ${STAGE_NAMES.join(',')}.`);
    stages = names as StageName[];
  }
  let choose: Record<string, string> | undefined;
  const chooseText = values.get('choose');
  if (chooseText !== undefined) {
    choose = {};
    for (const part of chooseText.split(';').filter((p) => p.trim() !== '')) {
      const eq = part.indexOf('=');
      const name = part.slice(0, Math.max(eq, 0)).trim();
      const expr = part.slice(eq + 1).trim();
      if (eq < 0 || name === '' || expr === '')
        throw new UserInputError(`--choose takes NETWORK=EXPRESSION (e.g. --choose 'NN=0.3*c^2'), got '${part}'.`);
      choose[name] = expr;
    }
    if (Object.keys(choose).length === 0)
      throw new UserInputError(`--choose takes NETWORK=EXPRESSION (e.g. --choose 'NN=0.3*c^2').`);
  }
  const model = values.get('model');
  const data = values.get('data');
  if ((model === undefined) !== (data === undefined) && !bools.has('help')) {
    throw new UserInputError(
      model === undefined ? '--data needs --model too (the equations to fit).' : '--model needs --data too (a CSV).',
    );
  }
  return {
    model,
    data,
    out: values.get('out') ?? 'demo-output',
    seed: int('seed', 0, 0),
    budget,
    workers,
    stages,
    choose,
    json: bools.has('json'),
    force: bools.has('force'),
    help: bools.has('help'),
    debug: bools.has('debug'),
    timeColumn: values.get('time-column') ?? 't',
    trajectoryColumn: values.get('trajectory-column') ?? 'trajectory',
  };
}

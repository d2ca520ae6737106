// The story's side channel to the docs build: `step(name)` ends the console output of a step,
// `figure(name, values)` hands the numbers of a plot to the build (apps/docs/scripts/generate.ts),
// which renders them with vega-lite. Run on its own, the story just prints.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.env.ODEKIT_STORY_OUT;

/** Marks the end of a step's output (a line the build splits the output on). */
export function step(name: string): void {
  if (out) console.log(`@@step ${name}`);
}

/** Writes the numbers of one figure as JSON for the build (nothing when run on its own). */
export function figure(name: string, values: unknown): void {
  if (out) writeFileSync(join(out, `${name}.json`), JSON.stringify(values));
}

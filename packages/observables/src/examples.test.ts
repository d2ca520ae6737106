// The package's examples (examples/observables-*.ts at the repository root) run here in their
// quick mode, each in its own process (as a user runs them), and their claims are checked.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function runExample(name: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@odekit/source', `examples/${name}.ts`, '--quick'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${name} exited with ${code}:\n${err}`));
      else resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

describe('examples', () => {
  // started together: three processes share the wait for tfjs to load
  const results = {
    latitude: runExample('observables-latitude'),
    cats: runExample('observables-hidden-cats'),
    missing: runExample('observables-missing-values'),
  };

  it('latitude-conditioned LV: held-out error within 3x the training error', async () => {
    const r = await results.latitude;
    expect(r.ratio as number).toBeLessThanOrEqual(3);
    expect(r.trainRmse as number).toBeLessThan(0.1); // the data's values are 0.2–4 with 2 % noise
    expect(r.pass).toBe(true);
  }, 120_000);

  it('hidden cats: recovered within 5 % relative RMS from rabbits and worms only', async () => {
    const r = await results.cats;
    expect(r.catRelRms as number).toBeLessThanOrEqual(0.05);
  }, 120_000);

  it('30 % missing on irregular grids: physical parameters within 2 %', async () => {
    const r = await results.missing;
    expect(r.missingFraction as number).toBeGreaterThanOrEqual(0.25);
    expect(r.maxRelError as number).toBeLessThanOrEqual(0.02);
  }, 120_000);
});

// Held-out Lotka–Volterra variants (not committed data: drawn from a seed for the discovery bench).
// Writes model.json, data.csv and truth.json of variant `--seed` (its kind, truth and sampling:
// apps/demo/src/scenarios/variants.ts) into `--out` (required).
// `--family lv` draws from the Lotka–Volterra kinds only (LV_KINDS); `--family units` draws those
// in other units (populations × 0.1–40, time × 0.25–20).
// Run: npx tsx --conditions=@odekit/source apps/demo/scenarios/variants/generate.ts --seed 3 [--family lv] --out DIR
import { writeFileSync } from 'node:fs';
import { drawVariant, type VariantFamily, variantRhs, variantTruth } from '../../src/scenarios/variants.js';
import { flag } from '../lib/args.js';
import { makeCsv } from '../lib/generate.js';

const out = flag('out', '');
if (out === '') {
  console.error('variants/generate.ts: --out DIR is required (the variants are drawn, not committed).');
  process.exit(1);
}
const v = drawVariant(Number(flag('seed', '0')), flag('family', 'all') as VariantFamily);
const dir = out.endsWith('/') ? out : `${out}/`;
const truth = variantTruth(v);
writeFileSync(`${dir}data.csv`, makeCsv(variantRhs(v), truth));
writeFileSync(`${dir}truth.json`, `${JSON.stringify(truth, null, 2)}\n`);
writeFileSync(`${dir}model.json`, `${JSON.stringify(v.model, null, 2)}\n`);

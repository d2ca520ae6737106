import { describe, expect, it } from 'vitest';
import { decodeSetup, defaultSetup, encodeSetup, packText, unpackText } from './setup.js';

describe('page setup in the URL', () => {
  it('round-trips every field, spec and CSV included', async () => {
    const setup = {
      ...defaultSetup('lotka-volterra'),
      spec: '{\n  "states": ["r", "c"]\n}',
      csv: 't,r,c\n0,1,2\n0.5,1.1,1.9\n',
      csvName: 'my data.csv',
      steps: { hybridSteps: 40, refitIterations: 0 },
      budget: 2.5,
      seed: 7,
      backend: 'cpu' as const,
    };
    const hash = await encodeSetup(setup);
    expect(hash.startsWith('#scenario=lotka-volterra')).toBe(true);
    expect(await decodeSetup(hash, 'other')).toEqual(setup);
  });

  it('omits defaults and fills them back in', async () => {
    const hash = await encodeSetup(defaultSetup('lotka-volterra'));
    expect(hash).toBe('#scenario=lotka-volterra');
    expect(await decodeSetup('', 'lotka-volterra')).toEqual(defaultSetup('lotka-volterra'));
  });

  it('packs long texts smaller than they are', async () => {
    const csv = `t,r,c\n${Array.from({ length: 200 }, (_, i) => `${i / 10},1.${i},2.${i}`).join('\n')}`;
    const packed = await packText(csv);
    expect(packed.length).toBeLessThan(csv.length);
    expect(packed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await unpackText(packed)).toBe(csv);
  });

  it('names the key and the fix for malformed values', async () => {
    await expect(decodeSetup('#seed=abc', 'x')).rejects.toThrow(/seed=abc .*whole number/);
    await expect(decodeSetup('#backend=metal', 'x')).rejects.toThrow(
      /backend=metal is unknown; use one of wasm, cpu, webgl/,
    );
    await expect(decodeSetup('#budget=-1', 'x')).rejects.toThrow(/budget=-1/);
    await expect(decodeSetup('#jointSteps=2.5', 'x')).rejects.toThrow(/jointSteps=2.5/);
    await expect(decodeSetup('#spec=@@@', 'x')).rejects.toThrow(/damaged/);
  });
});

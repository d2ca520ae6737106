import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from './index.js';

describe('expectNoLeak', () => {
  it('passes when every tensor made is disposed, and returns the result', async () => {
    const r = await expectNoLeak(() => {
      const a = tf.ones([3]);
      const s = tf.tidy(() => tf.sum(tf.mul(a, 2)).arraySync());
      a.dispose();
      return s;
    });
    expect(r).toBe(6);
  });

  it('awaits async functions', async () => {
    await expect(
      expectNoLeak(async () => {
        const a = tf.ones([3]);
        await a.data();
        a.dispose();
        return 'ok';
      }),
    ).resolves.toBe('ok');
  });

  it('detects a leak and names the count and the label', async () => {
    let leaked: tf.Tensor | undefined;
    await expect(
      expectNoLeak(() => {
        leaked = tf.ones([2]).add(1); // the tf.ones intermediate and the sum both leak
      }, 'step'),
    ).rejects.toThrow(/step: 2 tensor\(s\) leaked \(numTensors \d+ before, \d+ after\)/);
    leaked?.dispose();
    // over-disposal (freeing what was not made inside) is reported too
    const outer = tf.ones([1]);
    await expect(expectNoLeak(() => outer.dispose())).rejects.toThrow(/-1 tensor\(s\) leaked/);
  });
});

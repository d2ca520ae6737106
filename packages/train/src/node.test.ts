import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { disposeTree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, fit } from './index.js';
import { fileCheckpointStore, terminalProgress } from './node.js';

describe('@odekit/train/node', () => {
  it('checkpoints to a file and resumes from it', async () => {
    const file = `${mkdtempSync(`${tmpdir()}/odekit-train-`)}/run.ckpt.json`;
    const store = fileCheckpointStore(file);
    expect(await store.load()).toBeUndefined();
    const params = { w: tf.tensor([1, 2]) };
    const loss = (p: typeof params) => tf.sum(tf.square(p.w));
    const a = await fit({
      params,
      loss,
      optimizer: adam({ learningRate: 0.1 }),
      steps: 10,
      checkpoint: { store, every: 5 },
    });
    expect(JSON.parse(readFileSync(file, 'utf8')).step).toBe(10);
    const b = await fit({ params, loss, optimizer: adam({ learningRate: 0.1 }), steps: 10, resume: store });
    expect(b.steps).toBe(10);
    expect(b.params).toBeAllclose(a.params, { rtol: 0, atol: 0 });
    disposeTree([params, a.params, b.params]);
  });

  it('draws a bar on a TTY and plain lines elsewhere', async () => {
    for (const isTTY of [true, false]) {
      let text = '';
      const stream = { write: (s: string) => (text += s), isTTY };
      const params = { w: tf.tensor([1]) };
      const res = await fit({
        params,
        loss: (p) => tf.sum(tf.square(p.w)),
        optimizer: adam({ learningRate: 0.1 }),
        steps: 50,
        progress: terminalProgress({ stream }),
      });
      expect(text).toContain('50/50');
      expect(text).toContain('completed 50 steps');
      if (isTTY) expect(text).toContain('\r');
      else expect(text.split('\n').length).toBeGreaterThanOrEqual(10);
      disposeTree([params, res.params]);
    }
  });
});

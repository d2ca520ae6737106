import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { cloneTree, disposeTree, keepTree, tidyTree } from './index.js';

describe('memory helpers', () => {
  it('tidyTree keeps every leaf of the returned tree and frees intermediates', async () => {
    await expectNoLeak(() => {
      const before = tf.memory().numTensors;
      const out = tidyTree(() => {
        const tmp = tf.ones([3]);
        return { a: tf.mul(tmp, 2), b: [tf.add(tmp, 1), { c: tf.neg(tmp) }] };
      });
      expect(tf.memory().numTensors - before).toBe(3);
      expect(out.a).toBeAllclose([2, 2, 2]);
      expect(out.b[1]).toBeAllclose({ c: [-1, -1, -1] });
      disposeTree(out);
    });
  });

  it('tidyTree passes non-tensor leaves through and works nested in tf.tidy', async () => {
    await expectNoLeak(() => {
      let kept: { t: tf.Tensor; n: number } | undefined;
      const outer = tf.tidy(() => {
        kept = tidyTree(() => ({ t: tf.scalar(1).add(1), n: 5 }) as unknown as { t: tf.Tensor }) as unknown as {
          t: tf.Tensor;
          n: number;
        };
        return kept.t;
      });
      expect(kept?.n).toBe(5);
      expect(outer.arraySync()).toBe(2);
      outer.dispose();
    });
  });

  it('disposeTree disposes tensor leaves, ignores others, tolerates null and double disposal', async () => {
    const before = tf.memory().numTensors;
    const t = { w: tf.ones([2, 2]), list: [tf.zeros([1]), 3, 'x', null], nested: { b: tf.scalar(1) } };
    expect(tf.memory().numTensors - before).toBe(3);
    disposeTree(t as never);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.w.isDisposed).toBe(true);
    expect(() => disposeTree(t as never)).not.toThrow();
    expect(() => disposeTree(null)).not.toThrow();
    expect(() => disposeTree(undefined)).not.toThrow();
  });

  it('keepTree protects leaves from an enclosing tidy', async () => {
    await expectNoLeak(() => {
      let kept: { a: tf.Tensor; b: tf.Tensor[] } | undefined;
      let lost: tf.Tensor | undefined;
      tf.tidy(() => {
        kept = keepTree({ a: tf.ones([2]), b: [tf.zeros([1])] });
        lost = tf.ones([1]);
      });
      expect(kept?.a.isDisposed).toBe(false);
      expect(kept?.b[0]?.isDisposed).toBe(false);
      expect(lost?.isDisposed).toBe(true);
      disposeTree(kept);
    });
  });

  it('cloneTree copies tensors (new lifetime) and shares other leaves', async () => {
    await expectNoLeak(() => {
      const obj = new Date(0); // class instances are leaves
      const a = { w: tf.tensor1d([1, 2]), meta: obj, list: [tf.scalar(3)] };
      const b = cloneTree(a);
      expect(b.w).not.toBe(a.w);
      expect(b.meta).toBe(obj);
      disposeTree(a);
      expect(b.w.isDisposed).toBe(false);
      expect(b.w).toBeAllclose([1, 2]);
      expect(b.list[0]).toBeAllclose(3);
      disposeTree(b);
    });
  });
});

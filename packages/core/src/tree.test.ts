import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { treeFlatten, treeLeaves, treeMap, treeMapWithPath, treeStructureEquals, treeUnflatten } from './index.js';

describe('pytrees', () => {
  it('flattens with sorted keys and round trips', () => {
    const tree = { b: [1, { z: 2, y: 3 }], a: 4 };
    const { leaves, treedef } = treeFlatten(tree);
    expect(leaves).toEqual([4, 1, 3, 2]);
    expect(treedef.toString()).toBe('{a: *, b: [*, {y: *, z: *}]}');
    expect(treedef.numLeaves).toBe(4);
    expect(treeUnflatten(treedef, leaves)).toEqual(tree);
  });
  it('treats tensors, null and class instances as leaves', () => {
    const x = tf.ones([2]);
    const { leaves, treedef } = treeFlatten({ t: x, n: null, d: new Date(0) });
    expect(leaves.length).toBe(3);
    expect(treedef.toString()).toBe('{d: *, n: *, t: *}');
    x.dispose();
  });
  it('compares definitions', () => {
    expect(treeFlatten([1, { a: 2 }]).treedef.equals(treeFlatten([5, { a: 6 }]).treedef)).toBe(true);
    expect(treeFlatten([1, { a: 2 }]).treedef.equals(treeFlatten([5, { b: 6 }]).treedef)).toBe(false);
    expect(treeFlatten([1, 2]).treedef.equals(treeFlatten([1, 2, 3]).treedef)).toBe(false);
    expect(treeStructureEquals({ a: [1] }, { a: [2] })).toBe(true);
    expect(treeStructureEquals({ a: [1] }, { a: 2 })).toBe(false);
  });
  it('rejects a wrong number of leaves', () => {
    const { treedef } = treeFlatten([1, 2]);
    expect(() => treeUnflatten(treedef, [1])).toThrow(/got 1 leaves for a structure with 2/);
  });
  it('maps n-ary with paths', () => {
    const paths: string[] = [];
    const out = treeMapWithPath(
      (p, a: number, b: number) => {
        paths.push(p);
        return a * b;
      },
      { layers: [{ weight: 2, bias: 3 }] },
      { layers: [{ weight: 5, bias: 7 }] },
    );
    expect(out).toEqual({ layers: [{ weight: 10, bias: 21 }] });
    expect(paths).toEqual(['layers.0.bias', 'layers.0.weight']);
    expect(treeMap((x: number) => x + 1, 1)).toBe(2);
    expect(treeLeaves({ a: [1, 2], b: 3 })).toEqual([1, 2, 3]);
  });
  it('names both paths on a structure mismatch', () => {
    expect(() => treeMap((a: number, b: number) => a + b, { a: [1, 2] }, { a: [1] })).toThrow(
      /tree 0 has an array of length 2 at 'a' but tree 1 has an array of length 1 at 'a'/,
    );
    expect(() => treeMap((a: number, b: number) => a + b, { a: 1 }, { b: 1 })).toThrow(
      /keys \{a\} at '<root>' but tree 1 has an object with keys \{b\}/,
    );
    expect(() => treeMap((a: number, b: number) => a + b, { a: 1 }, { a: [1] })).toThrow(/at 'a'/);
  });
});

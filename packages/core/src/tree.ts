import { Tensor } from '@tensorflow/tfjs-core';

/**
 * A pytree: a leaf `T`, an array of trees, or a plain object of trees.
 *
 * States, parameters, `args` and gradients in odekit are `Tree<Tensor>`.
 * Arrays and plain objects are containers; everything else is a leaf.
 */
export type Tree<T> = T | readonly Tree<T>[] | { readonly [key: string]: Tree<T> };

/** The structure of a pytree without its leaves (see {@link treeFlatten}). */
export type TreeNode =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'array'; readonly children: readonly TreeNode[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeNode[] };

/**
 * The structure of a flattened pytree: enough to rebuild it from its leaves.
 *
 * Two definitions compare with {@link TreeDef.equals}; {@link TreeDef.toString} prints them
 * like `{a: *, b: [*, *]}`.
 */
export class TreeDef {
  /** The number of leaves. */
  readonly numLeaves: number;
  constructor(readonly root: TreeNode) {
    this.numLeaves = countLeaves(root);
  }
  /** Whether `other` has the same containers, keys and leaf positions. */
  equals(other: TreeDef): boolean {
    return nodeEquals(this.root, other.root);
  }
  /** Prints the structure, leaves as `*`, e.g. `{a: *, b: [*, *]}`. */
  toString(): string {
    return printNode(this.root);
  }
}

function countLeaves(node: TreeNode): number {
  if (node.kind === 'leaf') return 1;
  let n = 0;
  for (const c of node.children) n += countLeaves(c);
  return n;
}

function nodeEquals(a: TreeNode, b: TreeNode): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf') return true;
  const bc = (b as { children: readonly TreeNode[] }).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === 'object') {
    const bk = (b as { keys: readonly string[] }).keys;
    if (a.keys.some((k, i) => k !== bk[i])) return false;
  }
  return a.children.every((c, i) => nodeEquals(c, bc[i] as TreeNode));
}

function printNode(node: TreeNode): string {
  if (node.kind === 'leaf') return '*';
  if (node.kind === 'array') return `[${node.children.map(printNode).join(', ')}]`;
  return `{${node.keys.map((k, i) => `${k}: ${printNode(node.children[i] as TreeNode)}`).join(', ')}}`;
}

/** Whether `x` is a plain object container (not a tensor, class instance or null). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Keys of an object container in a canonical (sorted) order, as JAX does. */
function sortedKeys(x: Record<string, unknown>): string[] {
  return Object.keys(x).sort();
}

/**
 * Splits a pytree into its leaves (depth first, object keys sorted) and its structure.
 *
 * @example
 * ```ts
 * import { treeFlatten, treeUnflatten } from '@odekit/core';
 * const { leaves, treedef } = treeFlatten({ b: [1, 2], a: 3 });
 * // leaves = [3, 1, 2]; treedef.toString() = '{a: *, b: [*, *]}'
 * const back = treeUnflatten(treedef, leaves.map((x) => x * 10));
 * if (JSON.stringify(back) !== '{"a":30,"b":[10,20]}') throw new Error('round trip failed');
 * ```
 */
export function treeFlatten<T>(tree: Tree<T>): { leaves: T[]; treedef: TreeDef } {
  const leaves: T[] = [];
  const visit = (x: unknown): TreeNode => {
    if (Array.isArray(x)) return { kind: 'array', children: x.map(visit) };
    if (isPlainObject(x)) {
      const keys = sortedKeys(x);
      return { kind: 'object', keys, children: keys.map((k) => visit(x[k])) };
    }
    leaves.push(x as T);
    return { kind: 'leaf' };
  };
  const root = visit(tree);
  return { leaves, treedef: new TreeDef(root) };
}

/**
 * Rebuilds a pytree of the structure `treedef` from `leaves` (inverse of {@link treeFlatten}).
 *
 * @throws Error when the number of leaves differs from `treedef.numLeaves`.
 * @example
 * ```ts
 * import { treeFlatten, treeUnflatten } from '@odekit/core';
 * const { treedef } = treeFlatten([{ w: 0 }, 0]);
 * const t = treeUnflatten(treedef, ['x', 'y']);
 * if (JSON.stringify(t) !== '[{"w":"x"},"y"]') throw new Error('unexpected');
 * ```
 */
export function treeUnflatten<T>(treedef: TreeDef, leaves: readonly T[]): Tree<T> {
  if (leaves.length !== treedef.numLeaves) {
    throw new Error(
      `treeUnflatten: got ${leaves.length} leaves for a structure with ${treedef.numLeaves} (${treedef.toString()}); pass exactly one leaf per '*'.`,
    );
  }
  let i = 0;
  const build = (node: TreeNode): Tree<T> => {
    if (node.kind === 'leaf') return leaves[i++] as T;
    if (node.kind === 'array') return node.children.map(build);
    const out: Record<string, Tree<T>> = {};
    node.keys.forEach((k, j) => {
      out[k] = build(node.children[j] as TreeNode);
    });
    return out;
  };
  return build(treedef.root);
}

/** The leaves of a pytree in {@link treeFlatten}'s order. */
export function treeLeaves<T>(tree: Tree<T>): T[] {
  return treeFlatten(tree).leaves;
}

/** Whether two pytrees have the same structure (leaves are not compared). */
export function treeStructureEquals(a: Tree<unknown>, b: Tree<unknown>): boolean {
  return treeFlatten(a).treedef.equals(treeFlatten(b).treedef);
}

/**
 * Maps `fn` over the leaves of one or more pytrees of the same structure, passing each leaf's
 * path (`layers.0.weight`; `''` for a bare leaf).
 *
 * @throws Error naming both paths when the structures differ.
 * @example
 * ```ts
 * import { treeMapWithPath } from '@odekit/core';
 * const paths = treeMapWithPath((path) => path, { layers: [{ weight: 1, bias: 2 }] });
 * if (JSON.stringify(paths) !== '{"layers":[{"bias":"layers.0.bias","weight":"layers.0.weight"}]}') throw new Error('bad');
 * ```
 */
export function treeMapWithPath<T, R>(
  fn: (path: string, ...leaves: T[]) => R,
  tree: Tree<T>,
  ...rest: Tree<T>[]
): Tree<R> {
  const visit = (path: string, x: unknown, others: unknown[]): Tree<R> => {
    if (Array.isArray(x)) {
      others.forEach((o, k) => {
        if (!Array.isArray(o) || o.length !== x.length) {
          throw structureError(path, x, k + 1, o);
        }
      });
      return x.map((c, i) =>
        visit(
          join(path, String(i)),
          c,
          others.map((o) => (o as unknown[])[i]),
        ),
      );
    }
    if (isPlainObject(x)) {
      const keys = sortedKeys(x);
      others.forEach((o, k) => {
        if (!isPlainObject(o) || sortedKeys(o).join('\u0000') !== keys.join('\u0000')) {
          throw structureError(path, x, k + 1, o);
        }
      });
      const out: Record<string, Tree<R>> = {};
      for (const key of keys) {
        out[key] = visit(
          join(path, key),
          x[key],
          others.map((o) => (o as Record<string, unknown>)[key]),
        );
      }
      return out;
    }
    others.forEach((o, k) => {
      if (Array.isArray(o) || isPlainObject(o)) throw structureError(path, x, k + 1, o);
    });
    return fn(path, x as T, ...(others as T[]));
  };
  return visit('', tree, rest);
}

/**
 * Maps `fn` over the leaves of one or more pytrees of the same structure.
 *
 * @throws Error naming the path in both trees when the structures differ.
 * @example
 * ```ts
 * import { treeMap } from '@odekit/core';
 * const sum = treeMap((a: number, b: number) => a + b, { x: 1, y: [2] }, { x: 10, y: [20] });
 * if (JSON.stringify(sum) !== '{"x":11,"y":[22]}') throw new Error('bad');
 * ```
 */
export function treeMap<T, R>(fn: (...leaves: T[]) => R, tree: Tree<T>, ...rest: Tree<T>[]): Tree<R> {
  return treeMapWithPath((_path, ...leaves: T[]) => fn(...leaves), tree, ...rest);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (isPlainObject(x)) return `an object with keys {${sortedKeys(x).join(', ')}}`;
  if (x instanceof Tensor) return `a tensor of shape [${x.shape.join(', ')}]`;
  return `a leaf (${x === null ? 'null' : typeof x})`;
}

function structureError(path: string, a: unknown, k: number, b: unknown): Error {
  const where = path === '' ? '<root>' : path;
  return new Error(
    `tree structure mismatch: tree 0 has ${describe(a)} at '${where}' but tree ${k} has ${describe(b)} at '${where}'; make every tree passed together share one structure.`,
  );
}

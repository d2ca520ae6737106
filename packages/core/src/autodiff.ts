import * as tf from '@tensorflow/tfjs-core';
import { withSavedTape as savedTape, tapeGradients } from './internal/tfjs-internals.js';
import type { TensorTree } from './memory.js';
import { type Tree, type TreeDef, treeFlatten, treeLeaves, treeMapWithPath, treeUnflatten } from './tree.js';

/**
 * Runs `fn` with the engine's active gradient tape saved and restored around it.
 *
 * tfjs 4.22 replaces and then nulls the active tape when `tf.grads`-style gradients run while
 * an outer backward pass is in progress (e.g. inside a `customGrad` gradient function), which
 * crashes the outer pass with `Cannot read properties of null (reading 'forEach')`. Every
 * gradient entry point of odekit goes through this wrapper, so nesting them is safe.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { withSavedTape } from '@odekit/core';
 * const g = withSavedTape(() => tf.grad((x: tf.Tensor) => x.square())(tf.scalar(3)));
 * if (g.arraySync() !== 6) throw new Error('bad');
 * ```
 */
export function withSavedTape<R>(fn: () => R): R {
  return savedTape(fn);
}

function flattenTensors(tree: TensorTree, fn: string, arg: string): { leaves: tf.Tensor[]; treedef: TreeDef } {
  const { leaves, treedef } = treeFlatten<tf.Tensor>(tree);
  const where = (i: number): string => {
    const paths = treeLeaves<string>(
      treeMapWithPath((path: string, _leaf: unknown) => path, tree as Tree<unknown>) as Tree<string>,
    );
    return `leaf '${paths[i] || '<root>'}' (#${i})`;
  };
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof tf.Tensor)) {
      throw new Error(
        `${fn}: ${where(i)} of '${arg}' (${treedef.toString()}) is ${leaf === null ? 'null' : typeof leaf}, not a tf.Tensor; differentiate only with respect to trees of tensors.`,
      );
    }
    if (leaf.isDisposed) {
      throw new Error(`${fn}: ${where(i)} of '${arg}' is a disposed tensor; pass live tensors.`);
    }
  });
  return { leaves, treedef };
}

/**
 * The engine's gradient of `f()` with respect to `xs` (optionally weighted by the cotangent
 * `dy`), with the tape saved and restored and its tensors freed when `f` throws. Inputs `f`
 * does not use get `undefined`. The caller owns `value` and every gradient. For code that
 * needs raw VJPs of one tensor-valued function (the solvers' adjoints); prefer
 * {@link valueAndGrad} and {@link vjp}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { engineGradients } from '@odekit/core';
 * const x = tf.tensor1d([1, 2]);
 * const { value, grads } = engineGradients(() => tf.square(x), [x], tf.tensor1d([1, 1]));
 * if (grads[0]?.arraySync().toString() !== '2,4') throw new Error('bad');
 * tf.dispose([value, ...grads.filter((g) => g !== undefined)]);
 * ```
 */
export function engineGradients(
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } {
  return tapeGradients(f, xs, dy);
}

/** Fills the gradients of unused inputs with zeros (what JAX returns for them). */
function zerosForMissing(grads: (tf.Tensor | undefined)[], xs: tf.Tensor[]): tf.Tensor[] {
  return grads.map((g, i) => g ?? tf.zerosLike(xs[i] as tf.Tensor));
}

/**
 * Transforms a scalar function of a pytree of parameters into one that returns its value and
 * its gradient with respect to the parameters (JAX's `value_and_grad`).
 *
 * `f(params, ...rest)` must return a scalar tensor; `rest` is passed through and gets no
 * gradient. `grads` has the structure and shapes of `params`; a leaf `f` does not use gets
 * zeros. The caller owns `value` and every leaf of `grads`.
 *
 * @throws Error when a leaf of `params` is not a tensor, or `f` returns a non-scalar.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { valueAndGrad, disposeTree } from '@odekit/core';
 * const f = (p: { x: tf.Tensor }) => tf.sum(tf.square(p.x));
 * const { value, grads } = valueAndGrad(f)({ x: tf.tensor([1, 2]) });
 * if (value.arraySync() !== 5) throw new Error('value');
 * if ((grads as { x: tf.Tensor }).x.arraySync().toString() !== '2,4') throw new Error('grad');
 * disposeTree([value, grads]);
 * ```
 */
export function valueAndGrad<P extends TensorTree, A extends unknown[]>(
  f: (params: P, ...rest: A) => tf.Tensor,
): (params: P, ...rest: A) => { value: tf.Scalar; grads: P } {
  return (params: P, ...rest: A) => {
    const { leaves, treedef } = flattenTensors(params, 'valueAndGrad', 'params');
    const run = (): tf.Tensor => {
      const y = f(treeUnflatten(treedef, leaves) as P, ...rest);
      if (!(y instanceof tf.Tensor) || y.rank !== 0) {
        throw new Error(
          `valueAndGrad: f must return a scalar tensor, got ${y instanceof tf.Tensor ? `shape [${y.shape.join(', ')}]` : typeof y}; reduce the loss with tf.sum or tf.mean.`,
        );
      }
      return y;
    };
    const { value, grads } = engineGradients(run, leaves);
    const filled = tf.tidy(() => zerosForMissing(grads, leaves));
    grads.forEach((g, i) => {
      if (g !== undefined && g !== filled[i]) g.dispose();
    });
    return { value: value as tf.Scalar, grads: treeUnflatten(treedef, filled) as P };
  };
}

/**
 * Like {@link valueAndGrad} but returns only the gradient (the value is disposed).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { grad } from '@odekit/core';
 * const g = grad((p: tf.Tensor[]) => tf.sum(tf.mul(p[0] as tf.Tensor, p[1] as tf.Tensor)))([tf.scalar(2), tf.scalar(5)]);
 * if ((g[0] as tf.Tensor).arraySync() !== 5) throw new Error('bad');
 * ```
 */
export function grad<P extends TensorTree, A extends unknown[]>(
  f: (params: P, ...rest: A) => tf.Tensor,
): (params: P, ...rest: A) => P {
  const vg = valueAndGrad(f);
  return (params: P, ...rest: A) => {
    const { value, grads } = vg(params, ...rest);
    value.dispose();
    return grads;
  };
}

/**
 * Evaluates `f(primals)` and returns its output with a vector–Jacobian product function.
 *
 * `vjp(cotangent)` takes a tree shaped like the output and returns `cotangentᵀ · ∂f/∂primals`
 * shaped like `primals`. tfjs records a tape only inside a gradient call, so each `vjp` call
 * re-evaluates `f` under the tape (one forward + one backward). The caller owns `out` and the
 * trees `vjp` returns; `primals` must stay alive while `vjp` may be called.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { vjp, disposeTree } from '@odekit/core';
 * const { out, vjp: back } = vjp((p: { a: tf.Tensor }) => ({ y: tf.mul(p.a, p.a) }), { a: tf.tensor([3]) });
 * const ct = back({ y: tf.tensor([1]) }) as { a: tf.Tensor };
 * if (ct.a.arraySync()[0] !== 6) throw new Error('bad');
 * disposeTree([out, ct]);
 * ```
 */
export function vjp<P extends TensorTree, O extends TensorTree>(
  f: (primals: P) => O,
  primals: P,
): { out: O; vjp: (cotangent: O) => P } {
  const { leaves, treedef } = flattenTensors(primals, 'vjp', 'primals');
  const out = tf.tidy(() => f(primals) as tf.TensorContainer) as O;
  const outDef = treeFlatten<tf.Tensor>(out).treedef;
  const back = (cotangent: O): P => {
    const ct = flattenTensors(cotangent, 'vjp', 'cotangent');
    if (!ct.treedef.equals(outDef)) {
      throw new Error(
        `vjp: cotangent structure ${ct.treedef.toString()} differs from the output's ${outDef.toString()}; pass a cotangent shaped like the output.`,
      );
    }
    const run = (): tf.Tensor => {
      const ys = treeFlatten<tf.Tensor>(f(treeUnflatten(treedef, leaves) as P)).leaves;
      const terms = ys.map((y, i) => {
        const c = ct.leaves[i] as tf.Tensor;
        if (!tf.util.arraysEqual(y.shape, c.shape)) {
          throw new Error(
            `vjp: cotangent leaf #${i} has shape [${c.shape.join(', ')}] but the output leaf has [${y.shape.join(', ')}]; match the shapes.`,
          );
        }
        return tf.sum(tf.mul(y, c));
      });
      return terms.length === 0 ? tf.scalar(0) : tf.addN(terms);
    };
    const { value, grads } = engineGradients(run, leaves);
    value.dispose();
    const filled = tf.tidy(() => zerosForMissing(grads, leaves));
    grads.forEach((g, i) => {
      if (g !== undefined && g !== filled[i]) g.dispose();
    });
    return treeUnflatten(treedef, filled) as P;
  };
  return { out, vjp: back };
}

/** What the forward function of {@link customGrad} returns. */
export interface CustomGradResult<I extends TensorTree, O extends TensorTree> {
  /** The output pytree of the function. */
  value: O;
  /**
   * Given the cotangent of `value` (same structure), returns the cotangent of the inputs
   * (same structure as the inputs). Runs inside the outer backward pass; gradient calls made
   * here are safe (the tape is saved and restored). `saved` holds the tensors passed to
   * `save` in the forward function, in order.
   */
  gradFunc: (dy: O, saved: tf.Tensor[]) => I;
}

/**
 * Defines a function of a pytree with a custom gradient (tfjs `customGrad` over trees).
 *
 * tfjs's `customGrad` takes and returns single tensors; this wrapper flattens the inputs to
 * leaves, packs the output leaves into one vector for the engine and unpacks them, so
 * `f(inputs)` may return any tree. Every input leaf must be a tensor: the gradient reaches only
 * the tensors passed in `inputs`, never tensors captured in a closure. `gradFunc` must return
 * one cotangent per input leaf, in the structure of `inputs`. The caller owns the output.
 *
 * Tensors made inside `f` are disposed when it returns (tfjs runs it in a tidy scope), except
 * the output and those passed to `save(tensors)`: the engine keeps those for `gradFunc` and
 * disposes them when the gradient computation ends, whether or not `gradFunc` ran.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { customGrad, grad } from '@odekit/core';
 * // y = 2x with a gradient deliberately doubled
 * const f = customGrad((p: { x: tf.Tensor }) => ({
 *   value: { y: tf.mul(p.x, 2) },
 *   gradFunc: (dy: { y: tf.Tensor }) => ({ x: tf.mul(dy.y, 4) }),
 * }));
 * const g = grad((p: { x: tf.Tensor }) => tf.sum((f(p) as { y: tf.Tensor }).y))({ x: tf.tensor([1, 1]) }) as { x: tf.Tensor };
 * if (g.x.arraySync().toString() !== '4,4') throw new Error('bad');
 * ```
 */
export function customGrad<I extends TensorTree, O extends TensorTree>(
  f: (inputs: I, save: (tensors: tf.Tensor[]) => void) => CustomGradResult<I, O>,
): (inputs: I) => O {
  return (inputs: I) => {
    const { leaves, treedef } = flattenTensors(inputs, 'customGrad', 'inputs');
    let outDef: TreeDef | undefined;
    let shapes: number[][] = [];
    let sizes: number[] = [];
    const packed = tf.customGrad((...args: unknown[]) => {
      const xs = args.slice(0, leaves.length) as tf.Tensor[];
      const save = args[leaves.length] as (tensors: tf.Tensor[]) => void;
      const res = f(treeUnflatten(treedef, xs) as I, save);
      const flat = treeFlatten<tf.Tensor>(res.value);
      if (flat.leaves.length === 0) {
        throw new Error("customGrad: f's 'value' has no leaves; return at least one tensor.");
      }
      flat.leaves.forEach((y, i) => {
        if (!(y instanceof tf.Tensor)) {
          throw new Error(
            `customGrad: leaf #${i} of f's 'value' (${flat.treedef.toString()}) is ${y === null ? 'null' : typeof y}, not a tf.Tensor; return a tree of tensors.`,
          );
        }
      });
      outDef = flat.treedef;
      shapes = flat.leaves.map((y) => y.shape);
      sizes = flat.leaves.map((y) => y.size);
      const value = tf.concat(flat.leaves.map((y) => tf.reshape(y, [-1])));
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          withSavedTape(() => {
            const parts = tf.split(dy, sizes);
            const dyTree = treeUnflatten(
              outDef as TreeDef,
              parts.map((p, i) => tf.reshape(p, shapes[i] as number[])),
            ) as O;
            const gIn = treeFlatten<tf.Tensor>(res.gradFunc(dyTree, saved));
            if (!gIn.treedef.equals(treedef)) {
              throw new Error(
                `customGrad: gradFunc returned structure ${gIn.treedef.toString()} but the inputs are ${treedef.toString()}; return one cotangent per input leaf.`,
              );
            }
            return gIn.leaves;
          }),
      };
    })(...leaves);
    const parts = sizes.length === 1 ? [packed] : tf.split(packed, sizes);
    const outs = parts.map((p, i) => tf.reshape(p, shapes[i] as number[]));
    if (sizes.length !== 1) for (const p of parts) p.dispose();
    packed.dispose();
    return treeUnflatten(outDef as TreeDef, outs) as O;
  };
}

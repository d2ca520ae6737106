import { BINARY } from '../../host-ops/binary.js';
import { sizeOfShape } from '../../host-ops/shapes.js';
import { UNARY, UNARY_FLOAT64 } from '../../host-ops/unary.js';
import { WASM_BINARY, WASM_UNARY } from '../../host-wasm/module.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';
import { expand } from './gather.js';

/** An elementwise kernel of one input (`p`, `q`: its parameters, say LeakyRelu's alpha). */
export function lowerUnary(b: ProgramBuilder, name: string, x: Slot, n: number, p: number, q: number): Slot {
  const u = (b.precision === 'float64' ? UNARY_FLOAT64[name] : undefined) ?? (UNARY[name] as (typeof UNARY)[string]);
  const out = b.result(n, [x]);
  const k = b.wasm;
  const code = WASM_UNARY[name];
  b.push(
    [x],
    [out],
    k !== null && code !== undefined
      ? () => k.unary(code, x.p32, out.p32, n)
      : () => u.fwd(x.value, out.value, n, p, q),
    k !== null && name === 'Tanh'
      ? () => {
          if (x.needsGrad) k.tanhBack(x.p64, out.p64, out.p32, n);
        }
      : () => {
          if (x.needsGrad) u.bwd(x.value, out.value, out.ct, x.ct, n, p, q);
        },
  );
  return out;
}

/** An elementwise kernel of two broadcast inputs. */
export function lowerBinary(
  b: ProgramBuilder,
  name: string,
  a: Slot,
  aShape: number[],
  c: Slot,
  cShape: number[],
  outShape: number[],
): Slot {
  const va = expand(b, a, aShape, outShape);
  const vb = expand(b, c, cShape, outShape);
  const n = sizeOfShape(outShape);
  const out = b.result(n, [va, vb]);
  const op = BINARY[name] as (typeof BINARY)[string];
  const k = b.wasm;
  const code = WASM_BINARY[name];
  if (k !== null && code !== undefined) {
    const bwd =
      name === 'Add' || name === 'Sub'
        ? () => {
            if (va.needsGrad) k.axpy64(va.p64, out.p64, 1, n);
            if (vb.needsGrad) k.axpy64(vb.p64, out.p64, name === 'Add' ? 1 : -1, n);
          }
        : name === 'Multiply'
          ? () => {
              if (va.needsGrad) k.mulAcc(va.p64, out.p64, vb.p32, n);
              if (vb.needsGrad) k.mulAcc(vb.p64, out.p64, va.p32, n);
            }
          : undefined;
    if (bwd !== undefined) {
      b.push([va, vb], [out], () => k.binary(code, va.p32, vb.p32, out.p32, n), bwd);
      return out;
    }
  }
  b.push(
    [va, vb],
    [out],
    k !== null && code !== undefined
      ? () => k.binary(code, va.p32, vb.p32, out.p32, n)
      : () => op.fwd(va.value, vb.value, out.value, n),
    () =>
      op.bwd(
        va.value,
        vb.value,
        out.value,
        out.ct,
        va.needsGrad ? va.ct : undefined,
        vb.needsGrad ? vb.ct : undefined,
        n,
      ),
  );
  return out;
}

/** AddN: the sum of its inputs. */
export function lowerAddN(b: ProgramBuilder, ins: Slot[], outSize: number): Slot {
  const out = b.result(outSize, ins);
  b.push(
    ins,
    [out],
    () => {
      for (let i = 0; i < outSize; i++) {
        let s = 0;
        for (const v of ins) s += v.value[i] as number;
        out.value[i] = s;
      }
    },
    () => {
      for (const v of ins) {
        if (!v.needsGrad) continue;
        for (let i = 0; i < outSize; i++) v.ct[i] = (v.ct[i] as number) + (out.ct[i] as number);
      }
    },
  );
  return out;
}

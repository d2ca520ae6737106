import { type MatMulPlan, matMulBackward, matMulForward } from '../../host-ops/matmul.js';
import { sizeOfShape } from '../../host-ops/shapes.js';
import { UNARY } from '../../host-ops/unary.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';
import type { RawOp } from '../trace-types.js';
import { inputIndex, numberAttr, Unsupported } from './attrs.js';
import { lowerBinary, lowerUnary } from './elementwise.js';

/** tfjs's fused activation names → the elementwise kernels that compute them. */
const FUSED_ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
};

/** BatchMatMul and _FusedMatMul (bias and activation lowered as their own steps). */
export function lowerMatMul(b: ProgramBuilder, op: RawOp, ins: Slot[]): Slot {
  const outShape = op.outShapes[0] as number[];
  const named = inputIndex(op.inputs);
  const ia = named.get('a') as number;
  const ib = named.get('b') as number;
  if (named.has('preluActivationWeights')) throw new Unsupported('a fused matMul with prelu');
  const aShape = op.inShapes[ia] as number[];
  const bShape = op.inShapes[ib] as number[];
  if (aShape.length < 2 || bShape.length < 2) throw new Unsupported('matMul of rank < 2');
  const tA = op.attrs.transposeA === true;
  const tB = op.attrs.transposeB === true;
  const [a0, a1] = aShape.slice(-2) as [number, number];
  const [b0, b1] = bShape.slice(-2) as [number, number];
  const M = tA ? a1 : a0;
  const K = tA ? a0 : a1;
  const N = tB ? b0 : b1;
  const batchA = sizeOfShape(aShape.slice(0, -2));
  const batchB = sizeOfShape(bShape.slice(0, -2));
  const batch = sizeOfShape(outShape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    throw new Unsupported('a matMul whose batch dimensions broadcast partly');
  }
  const plan: MatMulPlan = {
    transposeA: tA,
    transposeB: tB,
    batch,
    M,
    K,
    N,
    sab: batchA === 1 ? 0 : a0 * a1,
    sam: tA ? 1 : a1,
    sak: tA ? a1 : 1,
    sbb: batchB === 1 ? 0 : b0 * b1,
    sbk: tB ? 1 : b1,
    sbn: tB ? b1 : 1,
  };
  const a = ins[ia] as Slot;
  const c = ins[ib] as Slot;
  const size = batch * M * N;
  const acc = new Float64Array(Math.max(16, N));
  const k = b.wasm;
  const mm = b.result(size, [a, c]);
  b.push(
    [a, c],
    [mm],
    k !== null
      ? () => {
          for (let q = 0; q < batch; q++) {
            k.matmul(
              a.p32 + 4 * q * plan.sab,
              c.p32 + 4 * q * plan.sbb,
              mm.p32 + 4 * q * M * N,
              M,
              K,
              N,
              plan.sam,
              plan.sak,
              plan.sbk,
              plan.sbn,
            );
          }
        }
      : () => matMulForward(plan, a.value, c.value, mm.value, acc),
    k !== null
      ? () => {
          for (let q = 0; q < batch; q++) {
            k.matmulBack(
              a.p32 + 4 * q * plan.sab,
              c.p32 + 4 * q * plan.sbb,
              mm.p64 + 8 * q * M * N,
              a.needsGrad ? a.p64 + 8 * q * plan.sab : 0,
              c.needsGrad ? c.p64 + 8 * q * plan.sbb : 0,
              M,
              K,
              N,
              plan.sam,
              plan.sak,
              plan.sbk,
              plan.sbn,
            );
          }
        }
      : () =>
          matMulBackward(plan, a.value, c.value, mm.ct, a.needsGrad ? a.ct : undefined, c.needsGrad ? c.ct : undefined),
  );
  if (op.kernel !== '_FusedMatMul') return mm;
  let out = mm;
  const ibias = named.get('bias');
  if (ibias !== undefined) {
    out = lowerBinary(b, 'Add', out, outShape, ins[ibias] as Slot, op.inShapes[ibias] as number[], outShape);
  }
  const act = (op.attrs.activation as string | undefined) ?? 'linear';
  if (act === 'linear') return out;
  const name = FUSED_ACTIVATIONS[act];
  if (name === undefined || UNARY[name] === undefined) throw new Unsupported(`a fused matMul with activation ${act}`);
  const alpha = act === 'leakyrelu' ? numberAttr(op.attrs.leakyreluAlpha, 'leakyreluAlpha') : 0;
  return lowerUnary(b, name, out, size, alpha, 0);
}

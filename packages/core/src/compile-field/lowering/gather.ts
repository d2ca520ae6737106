import { gatherBackward, gatherForward } from '../../host-ops/blocks.js';
import { broadcastMap } from '../../host-ops/shapes.js';
import type { ProgramBuilder, Slot } from '../program-builder.js';

/** `out[i] = x[map[i]]`; its VJP scatters back (adds into `x`'s cotangent). */
export function lowerGather(b: ProgramBuilder, x: Slot, map: Int32Array): Slot {
  const out = b.result(map.length, [x]);
  const k = b.wasm;
  const n = map.length;
  if (k !== null) {
    const mp = b.mapPtr(map);
    b.push(
      [x],
      [out],
      () => k.gather(mp, x.p32, out.p32, n),
      () => {
        if (x.needsGrad) k.scatterAdd(mp, out.p64, x.p64, n);
      },
    );
    return out;
  }
  b.push(
    [x],
    [out],
    () => gatherForward(map, x.value, out.value),
    () => {
      if (x.needsGrad) gatherBackward(map, out.ct, x.ct);
    },
  );
  return out;
}

/** A dense view of `s` at the output's shape: itself, or a gathered copy (once, when static). */
export function expand(b: ProgramBuilder, s: Slot, shape: number[], outShape: number[]): Slot {
  const map = broadcastMap(shape, outShape);
  return map === undefined ? s : lowerGather(b, s, map);
}

import { describe, expect, it } from 'vitest';
import { cutToWindows, plotWindows } from './plots.js';

describe('plot windows (the report and the page)', () => {
  it("are each channel's data range widened by its width, and cut model rows outside them", () => {
    const data = [
      { channel: 'r', value: 1 },
      { channel: 'r', value: 3 },
      { channel: 'c', value: 5 },
    ];
    const w = plotWindows(data);
    expect(w.get('r')).toEqual([-1, 5]);
    // a channel of one value: widened by its size
    expect(w.get('c')).toEqual([0, 10]);
    const model = [
      { channel: 'r', value: 4.9, t: 0 },
      { channel: 'r', value: 4000, t: 1 },
      { channel: 'c', value: -0.1, t: 0 },
      { channel: 'x', value: 1e9, t: 0 },
    ];
    const { kept, cut } = cutToWindows(model, w);
    expect(cut).toBe(true);
    // a channel without data is left as it is
    expect(kept.map((r) => r.value)).toEqual([4.9, 1e9]);
    expect(cutToWindows(model.slice(0, 1), w)).toEqual({ kept: model.slice(0, 1), cut: false });
  });
});

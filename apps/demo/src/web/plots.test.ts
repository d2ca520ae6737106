import { describe, expect, it } from 'vitest';
import { Decimator } from './plots.js';

describe('Decimator', () => {
  it('appends while under the limit, then halves the density and redraws', () => {
    const d = new Decimator<number>(4);
    expect(d.push([0, 1, 2])).toEqual({ mode: 'append', rows: [0, 1, 2] });
    expect(d.push([3])).toEqual({ mode: 'append', rows: [3] });
    expect(d.push([4])).toEqual({ mode: 'replace', rows: [0, 2, 4] });
    expect(d.push([5, 6])).toEqual({ mode: 'append', rows: [6] });
    expect(d.push([7, 8, 9, 10])).toEqual({ mode: 'replace', rows: [0, 4, 8] });
    expect(d.points).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    d.clear();
    expect(d.push([1])).toEqual({ mode: 'append', rows: [1] });
  });

  it('never shows more than max points over a long series', () => {
    const d = new Decimator<number>(100);
    let shown: number[] = [];
    for (let i = 0; i < 5000; i += 7) {
      const { mode, rows } = d.push(Array.from({ length: 7 }, (_, k) => i + k));
      shown = mode === 'append' ? shown.concat(rows) : rows;
      expect(shown.length).toBeLessThanOrEqual(100);
    }
    expect(shown.length).toBeGreaterThan(50);
  });
});

/** report.json without its timings (each stage's `seconds`), for same-seed comparisons. */
export function withoutTimings<T>(report: T): T {
  const r = report as { stages?: { seconds?: number }[] };
  return { ...r, stages: (r.stages ?? []).map((s) => ({ ...s, seconds: 0 })) } as T;
}

/**
 * The first place where two JSON values differ, as a path with both values (`null` when equal).
 *
 * @example
 * ```ts
 * firstDifference({ a: [1, 2] }, { a: [1, 3] }); // 'a[1]: 2 vs 3'
 * ```
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (Object.is(a, b)) return null;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return `${path || '<root>'}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.join() !== kb.join()) return `${path || '<root>'}: keys ${ka.join(',')} vs ${kb.join(',')}`;
  for (const k of ka) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      path ? `${path}.${k}` : k,
    );
    if (d !== null) return d;
  }
  return null;
}

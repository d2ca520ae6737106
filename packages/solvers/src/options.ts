/**
 * Throws when `options` has a key not in `known`, suggesting the closest known key.
 *
 * @throws Error like `diffeqsolve: unknown option 'rtoll'; did you mean 'rtol'? Known: …`.
 */
export function checkOptions(fn: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') {
    throw new Error(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const best = known
      .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
      .sort((a, b) => a.d - b.d)[0];
    const hint = best && best.d <= 3 ? ` did you mean '${best.k}'?` : '';
    throw new Error(`${fn}: unknown option '${key}';${hint} known options: ${known.join(', ')}.`);
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/** Thrown by a lowering that cannot take a recorded kernel; its message is the fallback reason. */
export class Unsupported extends Error {}

/** An axis attribute made non-negative. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** A numeric attribute, or {@link Unsupported} naming it. */
export function numberAttr(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new Unsupported(`attribute ${name} is not a number`);
  return v;
}

/** Input positions by their registry names (`a`, `b`, `bias`, ...). */
export function inputIndex(inputs: readonly { name: string }[]): Map<string, number> {
  return new Map(inputs.map(({ name }, j) => [name, j]));
}

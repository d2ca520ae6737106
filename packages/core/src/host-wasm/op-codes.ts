// The op codes of the host-ops module's `binary` and `unary` exports: the one source for both
// sides. This file is TypeScript and AssemblyScript at once (plain integer constants):
// assembly/host-ops.ts imports it, and so does module.ts here. Change a code here, then run
// `pnpm --filter @odekit/core build:wasm` (the staleness test fails until you do).

/** `binary` op code: a + b. */
export const BINARY_ADD = 0;
/** `binary` op code: a − b. */
export const BINARY_SUB = 1;
/** `binary` op code: a · b. */
export const BINARY_MUL = 2;
/** `binary` op code: a / b. */
export const BINARY_DIV = 3;
/** `binary` op code: max(a, b). */
export const BINARY_MAX = 4;
/** `binary` op code: min(a, b). */
export const BINARY_MIN = 5;

/** `unary` op code: −x. */
export const UNARY_NEG = 0;
/** `unary` op code: max(x, 0), NaN kept. */
export const UNARY_RELU = 1;
/** `unary` op code: x². */
export const UNARY_SQUARE = 2;
/** `unary` op code: √x. */
export const UNARY_SQRT = 3;
/** `unary` op code: |x|. */
export const UNARY_ABS = 4;
/** `unary` op code: tanh x. */
export const UNARY_TANH = 5;
/** `unary` op code: 1/x. */
export const UNARY_RECIPROCAL = 6;

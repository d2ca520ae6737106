/**
 * The values of a host program: float32 (the default, rounding like tfjs's kernels) or float64
 * (`compileField(f, { precision: 'float64' })`).
 */
export type FloatArray = Float32Array | Float64Array;

export { type CompileFieldOptions, compileField } from './compile-field.js';
export { KERNEL_ATTRIBUTES, KERNELS, type KernelEntry } from './lowering/kernel-table.js';
export type { Precision } from './program-builder.js';
export { isTracingField } from './tracing.js';

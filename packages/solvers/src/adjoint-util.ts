// The adjoints' helpers, one concept per file; re-exported here for code that imports them from
// this module.
export { cotangentRows } from './cotangent-rows.js';
export { type FieldVjp, makeFieldVjp } from './field-vjp.js';
export { openHostSession } from './open-host-session.js';
export { differentiable, splitArgs } from './split-args.js';

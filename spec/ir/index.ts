export * from './broadcast.js';
export * from './builder.js';
export * from './errors.js';
export * from './ops.js';
export * from './print.js';
export * from './types.js';
export * from './verify.js';

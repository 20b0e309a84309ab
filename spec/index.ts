// The contract: the IR, the kernels' semantics, the normative interpreter and the Implementation
// interface. spec/ imports nothing outside itself; reference/ and conformance/ build on it.
export * from './ir/index.js';
export * from './kernels/index.js';
export * from './f16.js';
export * from './interpreter.js';
export type * from './implementation.js';

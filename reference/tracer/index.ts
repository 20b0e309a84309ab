export { Tensor } from './tensor.js';
export { trace } from './trace.js';
export type { InputDecl, InputSpec, TraceOutput } from './trace.js';

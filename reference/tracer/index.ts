export { Tensor } from './tensor.js';
export { trace } from './trace.js';
export type { InputSpec, TraceOutput } from './trace.js';

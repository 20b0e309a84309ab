// The reference implementation, stage by stage in pipeline order. What it implements — the IR, the
// kernels' semantics, the interpreter and the Implementation interface — is spec/'s, re-exported here.
export * from '../spec/index.js';
export { Tensor, trace } from './tracer/index.js';
export type { InputSpec, TraceOutput } from './tracer/index.js';
export { createRegistry, Registry, DEFAULT_SETTINGS } from './registry/registry.js';
export type { ArgInfo, ConfigPicker, KernelDefinition, KernelFn, KernelSpec } from './registry/registry.js';
export type { KernelTemplate, TemplateCode, TemplateContext } from './registry/template.js';
export { elementwiseAdd, matmul, matmulWorkgroupBytes, registerTile, rmsnorm, softmax, TEMPLATES } from './kernels/index.js';
export type { RegisterTile } from './kernels/index.js';
export type { TemplateTable } from './kernels/index.js';
export { lowerGraph } from './fusion/lower.js';
export type { KernelPlan, Schedule, Section } from './fusion/schedule.js';
export { generateKernel, generateProgram } from './codegen/kernel.js';
export type { KernelSource } from './codegen/kernel.js';
export { COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS } from './codegen/limits.js';
export type { CodegenLimits } from './codegen/limits.js';
export { createProgram } from './runtime/executor.js';
export { createReferenceImplementation, eagerReference, fusedReference, implementation } from './implementation.js';
export type { ReferenceOptions } from './implementation.js';
export { compile } from './api.js';
export type { CompiledFunction, CompileOptions } from './api.js';

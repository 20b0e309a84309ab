/**
 * The one door from the suite into the reference implementation. Nothing else under conformance/
 * imports reference/, so this list is everything of the reference the suite relies on, and why.
 * Verdicts never depend on it for what is right: the oracle and the kernel counts come from spec/ and
 * the harness; the reference only supplies a second opinion and builds cases.
 */

// The eager executor: the second opinion every case is compared with ([numerics.fused-eager.1]),
// and the fused pipeline judged when no other implementation is named ([interface.plugin.1]).
export { eagerReference, fusedReference } from '../reference/implementation.js';

// The tracer, the registry and its templates: how the generators build cases (a traced function with
// registered kernel calls) and the configs they may carry.
export { createRegistry, elementwiseAdd, matmul, rmsnorm, softmax, Tensor, trace } from '../reference/index.js';
export type { KernelFn, KernelTemplate } from '../reference/index.js';

// The reference's stages, with hooks to break one on purpose: the planted faults (conformance/faults/)
// and the selftests of the reference's own codegen use these, never a judging verdict.
export { COMPAT_DEFAULT_LIMITS, compile, CORE_DEFAULT_LIMITS, createReferenceImplementation, generateProgram, lowerGraph, TEMPLATES } from '../reference/index.js';
export type { CodegenLimits, KernelSource, TemplateContext } from '../reference/index.js';

import type { KernelConfig, Shape } from '../../spec/ir/index.js';

/** What a template's interval semantics is given: each argument's element intervals, and the call. */
export interface TemplateIntervalArgs {
  readonly lo: readonly Float64Array[];
  readonly hi: readonly Float64Array[];
  readonly argShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly config: KernelConfig;
}

/**
 * A kernel template's acceptance semantics ([numerics.interval.call]): fills `outLo`/`outHi` with, for
 * each output element, the interval of f32 values a conforming implementation of the template may
 * produce for ANY argument values inside the argument intervals (WGSL accuracy of every op it performs,
 * in any order WGSL allows). Returns the index of an element whose interval would be unbounded (an op
 * outside its domain, an overflow), or -1.
 */
export type TemplateInterval = (args: TemplateIntervalArgs, outLo: Float64Array, outHi: Float64Array) => number;

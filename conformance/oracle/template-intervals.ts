import type { KernelConfig, Shape } from '../../reference/ir/index.js';
import { rmsnormInterval, softmaxInterval } from './reduction-intervals.js';
import { matmulInterval } from './matmul-interval.js';

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

/**
 * Templates whose semantics are not a single elementwise op, by template name. Each entry is normative,
 * like the template's `evaluate`; a template with neither an entry here nor one in TEMPLATE_SEMANTICS
 * (interval.ts) cannot be judged and is refused.
 */
export const TEMPLATE_INTERVALS: Readonly<Record<string, TemplateInterval>> = {
  matmul: matmulInterval, // [numerics.interval.matmul]
  softmax: softmaxInterval, // [numerics.interval.softmax]
  rmsnorm: rmsnormInterval, // [numerics.interval.rmsnorm]
};

import { rmsnormInterval, softmaxInterval } from './reduction-intervals.js';
import { matmulInterval } from './matmul-interval.js';

import type { TemplateInterval } from './template-interval.js';

export type { TemplateInterval, TemplateIntervalArgs } from './template-interval.js';

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

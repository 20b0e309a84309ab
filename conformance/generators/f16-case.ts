import fc from 'fast-check';
import { f16PlanArbitrary } from './f16-plan.js';
import { fusionCaseArbitrary, SEED_CASE } from './fusion-case.js';
import type { FusionCase } from './fusion-case.js';
import { F16_SPACE } from './interval.js';
import { reductionCaseArbitrary } from './reduction-case.js';
import type { ReductionCase } from './reduction-case.js';

/**
 * Mixed-precision cases ([gen.f16.1]): the fusion and row-reduction cases' shapes, chains and data
 * ranges, drawn in F16_SPACE, with a plan of where each chain changes dtype, which dtype the kernel
 * runs in, and how the result is stored.
 */

/** The origin test's case in f16: `relu(add(x*2, y+1))` on f16 x and y, an f16 kernel, an f16 output. */
export const F16_SEED_CASE: FusionCase = { ...SEED_CASE, f16: { switchAt: [null, null, null], call: 'f16', output: 'f16' } };

export function f16FusionCaseArbitrary(): fc.Arbitrary<FusionCase> {
  return fusionCaseArbitrary({ spaces: [F16_SPACE] }).chain((c) =>
    f16PlanArbitrary([c.prologues[0].length, c.prologues[1].length, c.epilogue.length]).map((f16): FusionCase => ({ ...c, f16 })),
  );
}

export function f16ReductionCaseArbitrary(): fc.Arbitrary<ReductionCase> {
  return reductionCaseArbitrary({ spaces: [F16_SPACE] }).chain((c) =>
    f16PlanArbitrary([c.prologues[0].length, c.prologues[1].length, c.epilogue.length]).map((f16): ReductionCase => ({ ...c, f16 })),
  );
}

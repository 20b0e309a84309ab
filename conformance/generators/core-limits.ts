import fc from 'fast-check';
import { buildFusionCase, fusionCaseArbitrary } from './fusion-case.js';
import type { BuiltCase } from './built-case.js';
import type { FusionCase } from './fusion-case.js';
import { ORDINARY } from './interval.js';
import { buildMatmulCase, matmulCaseArbitrary } from './matmul-case.js';
import type { MatmulCase } from './matmul-case.js';
import { buildReductionCase, reductionCaseArbitrary } from './reduction-case.js';
import type { ReductionCase } from './reduction-case.js';

/**
 * Cases whose kernels need more than the compatibility level's 128 invocations per workgroup and at most
 * the core level's 256 ([gen.core.1]): the add kernel, matmul and the row reductions with such block
 * sizes, ragged ones included, and chains drawn as everywhere else.
 */

/** [BY, BX] with 128 < BY·BX ≤ 256: square, one row, one column, odd and ragged. */
export const CORE_ADD_BLOCKS: readonly (readonly [number, number])[] = [[16, 16], [1, 256], [256, 1], [2, 128], [3, 64], [5, 32], [4, 33], [7, 32]];
/**
 * [BM, BN, BK] with 128 < BM·BN ≤ 256 and tiles within 16 KiB of workgroup memory, and tiles the reference
 * register-tiles onto 256 invocations ([templates.matmul.regtile]: 4×4, 8×4 and 8×8 outputs each).
 */
export const CORE_MATMUL_BLOCKS: readonly (readonly [number, number, number])[] = [[16, 16, 8], [16, 16, 32], [8, 32, 16], [32, 8, 4], [3, 64, 8], [5, 32, 3], [1, 256, 8], [256, 1, 2], [64, 64, 8], [128, 64, 4], [128, 128, 8]];
/** Lanes per row past 128. */
export const CORE_LANES: readonly number[] = [129, 192, 200, 255, 256];

export type CoreCase =
  | { readonly kind: 'add'; readonly c: FusionCase }
  | { readonly kind: 'matmul'; readonly c: MatmulCase }
  | { readonly kind: 'reduction'; readonly c: ReductionCase };

export function coreCaseArbitrary(): fc.Arbitrary<CoreCase> {
  const spaces = [ORDINARY];
  return fc.oneof(
    fc.tuple(fusionCaseArbitrary({ spaces }), fc.constantFrom(...CORE_ADD_BLOCKS)).map(([c, blockSizes]): CoreCase => ({ kind: 'add', c: { ...c, blockSizes } })),
    fc.tuple(matmulCaseArbitrary({ spaces }), fc.constantFrom(...CORE_MATMUL_BLOCKS)).map(([c, blockSizes]): CoreCase => ({ kind: 'matmul', c: { ...c, blockSizes } })),
    reductionCaseArbitrary({ spaces, lanes: CORE_LANES }).map((c): CoreCase => ({ kind: 'reduction', c })),
  );
}

export function buildCoreCase(k: CoreCase): BuiltCase {
  switch (k.kind) {
    case 'add':
      return buildFusionCase(k.c);
    case 'matmul':
      return buildMatmulCase(k.c);
    case 'reduction':
      return buildReductionCase(k.c);
  }
}

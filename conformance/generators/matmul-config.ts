import fc from 'fast-check';
import { blockSizesArbitrary, BLOCK_SIZE_VALUES } from './config.js';

export interface MatmulBlockSizesConstraints {
  /** Most invocations per workgroup, BM·BN (default 128, the compatibility-mode limit). */
  readonly maxInvocations?: number;
  /** Most bytes of workgroup memory, 4·(BM·BK + BK·BN) (default 16384, the compatibility-mode limit). */
  readonly maxWorkgroupBytes?: number;
  /** Values to draw BK from (default: 1, 2, 3, 4, 5, 8, 16, 32, 64). */
  readonly depthValues?: readonly number[];
}

export const DEPTH_VALUES: readonly number[] = [1, 2, 3, 4, 5, 8, 16, 32, 64];

/**
 * `[BM, BN, BK]` for the matmul kernel ([gen.matmul.1]): BM·BN ≤ maxInvocations as for the add kernel's
 * blocks, and BK lowered to the largest allowed value whose tiles fit maxWorkgroupBytes. A map, not a
 * filter, so it shrinks.
 */
export function matmulBlockSizesArbitrary(c: MatmulBlockSizesConstraints = {}): fc.Arbitrary<readonly [number, number, number]> {
  const maxBytes = c.maxWorkgroupBytes ?? 16 * 1024;
  const depths = [...(c.depthValues ?? DEPTH_VALUES)].filter((v) => Number.isInteger(v) && v >= 1).sort((a, b) => a - b);
  if (depths[0] !== 1) depths.unshift(1);
  const planar = blockSizesArbitrary({ values: BLOCK_SIZE_VALUES, maxInvocations: c.maxInvocations ?? 128 });
  return fc.tuple(planar, fc.constantFrom(...depths)).map(([[bm, bn], bk]): readonly [number, number, number] => {
    const fits = (d: number): boolean => 4 * d * (bm + bn) <= maxBytes;
    if (fits(bk)) return [bm, bn, bk];
    const smaller = depths.filter(fits);
    return [bm, bn, smaller[smaller.length - 1] ?? 1];
  });
}

import fc from 'fast-check';
import { blockSizesArbitrary, BLOCK_SIZE_VALUES } from './config.js';

export interface MatmulBlockSizesConstraints {
  /** Most invocations per workgroup, BM·BN (default 128, the compatibility-mode limit). */
  readonly maxInvocations?: number;
  /** Most bytes of workgroup memory, 4·(BM·BK + BK·BN) (default 16384, the compatibility-mode limit). */
  readonly maxWorkgroupBytes?: number;
  /** Values to draw BK from (default: 1, 2, 3, 4, 5, 8, 16, 32, 64). */
  readonly depthValues?: readonly number[];
  /**
   * Also draw tiles of more outputs than maxInvocations, which the reference register-tiles
   * ([templates.matmul.regtile]), from REGTILE_MATMUL_TILES (default true).
   */
  readonly registerTiled?: boolean;
}

/**
 * [BM, BN] tiles past 128 outputs: register-tiled at the compatibility level's 128 lanes (from 2×1 to 16×8
 * outputs per invocation, on 72 to 128 invocations; vec4 and f32 layouts), most of them at 256 lanes too.
 */
export const REGTILE_MATMUL_TILES: readonly (readonly [number, number])[] = [[32, 32], [64, 32], [32, 64], [64, 64], [16, 16], [12, 12], [128, 128], [3, 64], [256, 1], [24, 40]];

export const DEPTH_VALUES: readonly number[] = [1, 2, 3, 4, 5, 8, 16, 32, 64];

/**
 * `[BM, BN, BK]` for the matmul kernel ([gen.matmul.1]): BM·BN ≤ maxInvocations as for the add kernel's
 * blocks, or (a third of the time) a register-tiled tile of REGTILE_MATMUL_TILES, and BK lowered to the largest allowed value whose tiles fit maxWorkgroupBytes. A map, not a
 * filter, so it shrinks.
 */
export function matmulBlockSizesArbitrary(c: MatmulBlockSizesConstraints = {}): fc.Arbitrary<readonly [number, number, number]> {
  const maxBytes = c.maxWorkgroupBytes ?? 16 * 1024;
  const depths = [...(c.depthValues ?? DEPTH_VALUES)].filter((v) => Number.isInteger(v) && v >= 1).sort((a, b) => a - b);
  if (depths[0] !== 1) depths.unshift(1);
  const direct = blockSizesArbitrary({ values: BLOCK_SIZE_VALUES, maxInvocations: c.maxInvocations ?? 128 });
  const planar = c.registerTiled === false ? direct : fc.oneof({ weight: 2, arbitrary: direct }, { weight: 1, arbitrary: fc.constantFrom(...REGTILE_MATMUL_TILES) });
  return fc.tuple(planar, fc.constantFrom(...depths)).map(([[bm, bn], bk]): readonly [number, number, number] => {
    const fits = (d: number): boolean => 4 * d * (bm + bn) <= maxBytes;
    if (fits(bk)) return [bm, bn, bk];
    const smaller = depths.filter(fits);
    return [bm, bn, smaller[smaller.length - 1] ?? 1];
  });
}

import fc from 'fast-check';
import type { Shape } from '../../spec/ir/index.js';

/**
 * Sizes past the thresholds where kernels change shape ([gen.large.1]): more than 65535 workgroups (a
 * grid folded into 2-D, its last row ragged), more than 65535 rows, and loops longer than an adapter's
 * iteration cap. Too slow for the CI properties (up to ~300k elements, judged on the CPU), so only the
 * campaign tier draws them, rarely; a few named cases (conformance/generators/patterns.ts) stand in for
 * them in CI.
 */

/** Workgroups per grid dimension in every WebGPU device's limits: past it, a 1-D grid must fold. */
export const GRID_DIMENSION = 65535;

/** A tile count past one grid row, ragged against it: 65536 … 2·65535 − 1 (never a multiple of 65535). */
const foldedTiles = fc.integer({ min: GRID_DIMENSION + 1, max: 2 * GRID_DIMENSION - 1 });

/**
 * The add kernel's layout with more than 65535 tiles: blocks [BY, BX] with BY·BX ≤ 2, cols C, and rows
 * chosen so ceil(rows/BY)·ceil(C/BX) passes 65535, the last row of tiles ragged when BY > 1. Rank 1 to 3.
 */
export function foldedAddLayout(): fc.Arbitrary<{ shape: Shape; blockSizes: [number, number] }> {
  return fc
    .record({
      blocks: fc.constantFrom<[number, number]>([1, 1], [1, 2], [2, 1]),
      tiles: foldedTiles,
      cols: fc.oneof(fc.constantFrom(1, 2, 3, 7), fc.integer({ min: 1, max: 40 })),
      lead: fc.constantFrom(1, 2, 3),
      rank: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ blocks: [by, bx], tiles, cols, lead, rank }) => {
      if (rank === 1) return { shape: [tiles * bx - (bx - 1)], blockSizes: [1, bx] as [number, number] };
      const tilesX = Math.ceil(cols / bx);
      const tilesY = Math.ceil(tiles / tilesX);
      // The last tile row holds one row: ragged against BY.
      const rows = (tilesY - 1) * by + 1;
      if (rank === 2 || rows % lead !== 0) return { shape: [rows, cols], blockSizes: [by, bx] as [number, number] };
      return { shape: [lead, rows / lead, cols], blockSizes: [by, bx] as [number, number] };
    });
}

/**
 * A matmul past a threshold: either more than 65535 output tiles (blocks [1, 1, BK] or [1, 2, BK], K ≤ 4,
 * a batch sometimes), or K long enough that one invocation's loop passes llvmpipe's 65535-trip cap
 * (K from 13107, where the reference with blocks [1, 1, 1] first needs more than 65535 trips, to 70000;
 * M and N of 1 or 2). The harness sets the latter aside on an adapter with that cap ([harness.loopcap.2]).
 */
export function largeMatmulLayout(): fc.Arbitrary<{ batch: number | null; m: number; k: number; n: number; blockSizes: [number, number, number] }> {
  const folded = fc
    .record({ tiles: foldedTiles, bn: fc.constantFrom(1, 2), bk: fc.constantFrom(1, 2, 4), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 300 }), batch: fc.constantFrom(null, 2, 3) })
    .map(({ tiles, bn, bk, k, n, batch }) => {
      const perBatch = Math.ceil(tiles / (batch ?? 1));
      const tilesN = Math.ceil(n / bn);
      const m = Math.ceil(perBatch / tilesN);
      return { batch, m, k, n, blockSizes: [1, bn, bk] as [number, number, number] };
    });
  const longK = fc
    .record({ k: fc.integer({ min: 13107, max: 70000 }), m: fc.constantFrom(1, 2), n: fc.constantFrom(1, 2), bk: fc.constantFrom(1, 4, 16) })
    .map(({ k, m, n, bk }) => ({ batch: null, m, k, n, blockSizes: [1, 1, bk] as [number, number, number] }));
  return fc.oneof({ weight: 2, arbitrary: folded }, { weight: 1, arbitrary: longK });
}

/**
 * A row reduction past a threshold: more than 65535 rows, either of C = 1 with B of 100 or 128 and 2·T − 1
 * rows for T past 65535, so the grid folds whether a workgroup holds one row (a compatibility-level device,
 * 128 streaming lanes) or two (256 lanes) ([templates.reduction.rows]), its last workgroup ragged; or of
 * C ≤ 3 with B of 1 or 2, packed 64 to 256 rows a workgroup, the last workgroup's rows ragged; or rows
 * of C from 32767 (where a one-lane rmsnorm first needs more than 65535 loop trips, and softmax long before)
 * to 70000, a few of them, which an adapter with that cap sets aside ([harness.loopcap.2]).
 */
export function largeReductionLayout(): fc.Arbitrary<{ shape: Shape; blockSizes: [number] }> {
  const split = (rows: number, c: number, s: number): Shape => (rows % s === 0 ? [s, rows / s, c] : [rows, c]);
  const manyRows = fc
    .record({ rows: foldedTiles, c: fc.integer({ min: 1, max: 3 }), b: fc.constantFrom(1, 2, 100, 128), split: fc.constantFrom(1, 3, 7) })
    .map(({ rows, c, b, split: s }) => ({ shape: b >= 100 ? split(2 * rows - 1, 1, s) : split(rows, c, s), blockSizes: [b] as [number] }));
  const longRows = fc
    .record({ c: fc.integer({ min: 32767, max: 70000 }), rows: fc.integer({ min: 1, max: 3 }), b: fc.constantFrom(1, 2, 64) })
    .map(({ c, rows, b }) => ({ shape: [rows, c], blockSizes: [b] as [number] }));
  return fc.oneof({ weight: 2, arbitrary: manyRows }, { weight: 1, arbitrary: longRows });
}

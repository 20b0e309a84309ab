import { matmulDims } from '../../spec/index.js';
import type { TemplateContext } from '../registry/template.js';

/**
 * What both matmul schedules share (spec/templates.md [templates.matmul.config]): which BM×BN tile of C a
 * workgroup computes, the bytes of its staged tiles, and staging B's tile row-major.
 */

/** Bytes of workgroup memory a config's A and B tiles take: 4·(BM·BK + BK·BN) ([templates.matmul.config]). */
export function matmulWorkgroupBytes([bm = 1, bn = 1, bk = 1]: readonly number[]): number {
  return 4 * (bm * bk + bk * bn);
}

/**
 * The workgroups of a BM×BN tiling, Bt·⌈M/BM⌉·⌈N/BN⌉, and the body's first statements: the extents, then
 * this workgroup's batch and the corner (row0, col0) of its tile of C, every shape-derived number through
 * `ctx.size` ([templates.matmul.dynamic]).
 */
export function tileOrigin(ctx: TemplateContext, bm: number, bn: number): { readonly tiles: number; readonly lines: string[] } {
  const { batch, m, k, n } = matmulDims(ctx.argShapes);
  const tilesN = Math.ceil(n / bn);
  const tilesPerBatch = Math.ceil(m / bm) * tilesN;
  const s = ctx.size;
  return {
    tiles: batch * tilesPerBatch,
    lines: [
      `let M = ${s(m)}; // rows of A and C`,
      `let N = ${s(n)}; // columns of B and C`,
      `let K = ${s(k)}; // columns of A, rows of B: the reduction`,
      `let tilesN = ${s(tilesN)}; // output tiles across N`,
      `let tilesPerBatch = ${s(tilesPerBatch)};`,
      '// This workgroup computes the output tile C[batch, row0 .. row0+BM, col0 .. col0+BN].',
      'let batch = tile / tilesPerBatch;',
      `let row0 = ((tile % tilesPerBatch) / tilesN) * ${bm}u;`,
      `let col0 = ((tile % tilesPerBatch) % tilesN) * ${bn}u;`,
    ],
  };
}

/** Stages B[k0 .. k0+BK, col0 .. col0+BN] into an f32 `mm_b`, row-major, each element through `loadB` under a mask. */
export function stageBRowMajor(bk: number, bn: number, threads: number, loadB: string): string[] {
  return [
    `  // Stage B[k0 .. k0+${bk}, col0 .. col0+${bn}] into mm_b.`,
    `  for (var e = slot; e < ${bk * bn}u; e += ${threads}u) {`,
    `    let r = k0 + e / ${bn}u;`,
    `    let c = col0 + e % ${bn}u;`,
    '    var v = 0f;',
    `    if (r < K && c < N) { v = ${loadB}(b0 + r * N + c); } // mask: B past its edge reads as 0`,
    '    mm_b[e] = v;',
    '  }',
  ];
}

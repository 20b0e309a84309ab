import { MATMUL, matmulDims, WgfuseError } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { emitRegisterTiled, matmulQuads, registerTile } from './matmul-regtile.js';
import { matmulWorkgroupBytes, stageBRowMajor, tileOrigin } from './matmul-tile.js';

export { registerTile } from './matmul-regtile.js';
export type { RegisterTile } from './matmul-regtile.js';

export { matmulWorkgroupBytes } from './matmul-tile.js';

/**
 * A tiled matmul of spec/kernels/matmul.ts, C = A·B, blockSizes [BM, BN, BK]. A tile of more outputs
 * than the context's lanes is register-tiled (matmul-regtile.ts); otherwise one output element per
 * invocation: a workgroup of (BN, BM) invocations computes a BM×BN tile of C; it walks K in steps of
 * BK, staging a BM×BK tile of A and a BK×BN tile of B in workgroup memory between barriers. Ragged
 * edges are masked (loads past an edge read 0, stores past it are skipped), never cut short by an
 * early return, since every invocation must reach every barrier.
 */
export const matmul: KernelTemplate = {
  ...MATMUL,
  // [registry.config.4]: by the output's extents, so a large C gets 8×8 register tiles (256 invocations, or
  // 128 of 16×8 at the compatibility level) and a small one enough workgroups to fill the device. The large
  // config's A and B tiles take 16 KiB, the compatibility level's limit; on an H100, 2048³ ran 0.60 ms with
  // [128,128,16] against 0.65 ms with [128,128,8] and 0.97 ms with [128,128,32]. A batch only adds tiles.
  tuned: {
    configs: { large: { blockSizes: [128, 128, 16] }, medium: { blockSizes: [64, 64, 8] }, small: { blockSizes: [16, 16, 8] } },
    picker: ([a, b]) => {
      const m = a?.shape.at(-2) ?? 1;
      const n = b?.shape.at(-1) ?? 1;
      return Math.min(m, n) >= 512 ? 'large' : Math.min(m, n) >= 64 ? 'medium' : 'small';
    },
  },
  vectorizes: matmulQuads,
  emit(ctx: TemplateContext): TemplateCode {
    const [bm = 1, bn = 1, bk = 1] = ctx.config.blockSizes;
    // A tile of more outputs than lanes is register-tiled ([templates.matmul.regtile]).
    const regtile = registerTile([bm, bn], ctx.lanes);
    if (regtile.threads < bm * bn) return emitRegisterTiled(ctx, regtile);
    if (ctx.vector !== undefined) throw new WgfuseError('codegen.internal', `matmul: the vec4 path is for register-tiled configs only, not [${bm},${bn},${bk}] at ${ctx.lanes} lanes`);
    const { m, k, n } = matmulDims(ctx.argShapes);
    const origin = tileOrigin(ctx, bm, bn);
    const [loadA, loadB] = ctx.loadHooks;
    const s = ctx.size;
    const threads = bm * bn;
    return {
      workgroupSize: [bn, bm, 1],
      tiles: origin.tiles,
      declarations: [
        `var<workgroup> mm_a: array<f32, ${bm * bk}>; // a ${bm}x${bk} tile of A, row-major`,
        `var<workgroup> mm_b: array<f32, ${bk * bn}>; // a ${bk}x${bn} tile of B, row-major`,
      ].join('\n'),
      workgroupBytes: matmulWorkgroupBytes([bm, bn, bk]),
      body: [
        ...origin.lines,
        'let row = row0 + lid.y;',
        'let col = col0 + lid.x;',
        `let a0 = batch * ${s(m * k)}; // A[batch] starts here`,
        `let b0 = batch * ${s(k * n)}; // B[batch] starts here`,
        `let slot = lid.y * ${bn}u + lid.x; // this invocation's first element in the staging loops`,
        'var acc = 0f;',
        `for (var k0 = 0u; k0 < K; k0 += ${bk}u) {`,
        `  // Stage A[row0 .. row0+${bm}, k0 .. k0+${bk}] into mm_a; each invocation takes elements slot, slot + ${threads}, …`,
        `  for (var e = slot; e < ${bm * bk}u; e += ${threads}u) {`,
        `    let r = row0 + e / ${bk}u;`,
        `    let c = k0 + e % ${bk}u;`,
        '    var v = 0f;',
        `    if (r < M && c < K) { v = ${loadA}(a0 + r * K + c); } // mask: A past its edge reads as 0`,
        '    mm_a[e] = v;',
        '  }',
        ...stageBRowMajor(bk, bn, threads, loadB ?? 'load_b'),
        '  workgroupBarrier(); // both tiles staged',
        '  // This invocation\'s row of the A tile times its column of the B tile.',
        `  for (var j = 0u; j < ${bk}u; j++) {`,
        `    acc += mm_a[lid.y * ${bk}u + j] * mm_b[j * ${bn}u + lid.x];`,
        '  }',
        '  workgroupBarrier(); // every invocation is done with the tiles before they are overwritten',
        '}',
        'if (row >= M || col >= N) { return; } // bounds guard: ragged tiles store nothing (after the last barrier)',
        `${ctx.storeHook}(batch * ${s(m * n)} + row * N + col, acc);`,
      ].join('\n'),
    };
  },
};

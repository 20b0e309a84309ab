import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { interpretAll } from '../../spec/interpreter.js';
import { interpret, printGraph } from '../../spec/index.js';
import { COMPAT_DEFAULT_LIMITS, createRegistry, generateProgram, lowerGraph, matmul, trace, TEMPLATES } from '../reference-door.js';
import type { Graph, KernelCatalog, Shape } from '../../spec/index.js';
import type { CodegenLimits, KernelSource, TemplateContext, Tensor } from '../reference-door.js';
import { formatGuards } from '../generators/apply-chain.js';
import { batchCount, buildMatmulCase, matmulCaseArbitrary } from '../generators/matmul-case.js';
import type { MatmulCase } from '../generators/matmul-case.js';
import type { BuiltCase } from '../generators/built-case.js';
import { inGeneratorMargin, inOpDomain } from '../generators/interval.js';
import { acceptanceIntervals } from '../oracle/interval.js';
import { PATTERNS } from '../generators/patterns.js';
import { firstBadOperand, showCase } from '../generators/case-checks.js';
import { envVar } from '../harness/runtime.js';
import { MATMUL_FAULT_EDITS } from '../faults/matmul.js';

// The tiled matmul template and its generator, on the CPU (spec/templates.md): its shape contract and
// normative semantics, the WGSL it emits (hooks only, masks, barriers, sizes), the reference's schedule
// around it, and generated cases that stay where results are determinate. Device tests: matmul.test.ts.

const envSeed = envVar('WGFUSE_SEED');
const seed = envSeed === undefined || envSeed === '' ? undefined : Number.parseInt(envSeed, 10);
const params = (numRuns: number): fc.Parameters<unknown> => (seed === undefined ? { numRuns } : { numRuns, seed });

/** The emitted code of the matmul template for these shapes and blocks, with literal sizes. */
function emit(argShapes: Shape[], blockSizes: number[], lanes = 128) {
  const ctx: TemplateContext = {
    argShapes,
    outShape: matmul.outputShape(argShapes, 'mm'),
    config: { blockSizes },
    loadHooks: ['load_a', 'load_b'],
    storeHook: 'store_out',
    size: (v) => `${v}u`,
    lanes,
  };
  return matmul.emit(ctx);
}

/** Registers `mm` with `blockSizes` and traces `relu(mm(a*2, b+1))` at the given shapes. */
function tracedWithConfig(blockSizes: number[], a: Shape, b: Shape): { graph: Graph; kernels: KernelCatalog } {
  const registry = createRegistry();
  const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes } } });
  return { graph: trace((x: Tensor, y: Tensor) => mm(x.mul(2), y.add(1)).relu(), { a, b }), kernels: registry.kernels };
}

/** The one kernel of `relu(mm(a*2, b) + bias)`, `mm` registered with `blockSizes`, A [M,K], B [K,N], bias [N]. */
function biasKernel(blockSizes: number[], [m, k, n]: readonly [number, number, number]): KernelSource | undefined {
  const registry = createRegistry();
  const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes } } });
  const graph = trace((x: Tensor, y: Tensor, bias: Tensor) => mm(x.mul(2), y).add(bias).relu(), { a: [m, k], b: [k, n], bias: [n] });
  return generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS)[0];
}

const structureOf = (graph: Graph): string => printGraph(graph).replace(/f32\[[\d,]*\]/g, 'f32');
const show = showCase;

describe('the matmul template', () => {
  test('[templates.matmul.contract] A [M,K] x B [K,N] is [M,N], [...Bt,M,K] x [...Bt,K,N] is [...Bt,M,N] up to rank 6; anything else names both shapes', () => {
    const registry = createRegistry();
    const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes: [4, 4, 4] } } });
    const shapeOf = (a: Shape, b: Shape): Shape | undefined => trace((x: Tensor, y: Tensor) => mm(x, y), { a, b }).nodes.at(-1)?.shape;
    expect(shapeOf([3, 5], [5, 7])).toEqual([3, 7]);
    expect(shapeOf([2, 3, 5], [2, 5, 7])).toEqual([2, 3, 7]);
    expect(shapeOf([2, 1, 3, 2, 3, 5], [2, 1, 3, 2, 5, 7])).toEqual([2, 1, 3, 2, 3, 7]);
    expect(shapeOf([1, 1], [1, 1])).toEqual([1, 1]);
    expect(() => shapeOf([3, 5], [4, 7])).toThrow(/^\[registry\.call\.shape\] mm\(%0, %1\): matmul takes .* got \[3,5\] and \[4,7\]: A has 5 columns but B has 4 rows/);
    expect(() => shapeOf([2, 3, 5], [5, 7])).toThrow(/\[registry\.call\.shape\] .*got \[2,3,5\] and \[5,7\]: the ranks must be equal, from 2 to 6/);
    expect(() => shapeOf([2, 3, 5], [3, 5, 7])).toThrow(/\[registry\.call\.shape\] .*the batch extents differ \(\[2\] and \[3\]\)/);
    expect(() => shapeOf([4, 2, 3, 5], [2, 4, 5, 7])).toThrow(/\[registry\.call\.shape\] .*the batch extents differ \(\[4,2\] and \[2,4\]\)/);
    expect(() => shapeOf([5], [5, 7])).toThrow(/\[registry\.call\.3\] .*rank 1 \[5\]; mm takes rank 2\.\.6/);
    expect(() => shapeOf([1, 1, 1, 1, 1, 3, 5], [1, 1, 1, 1, 1, 5, 7])).toThrow(/\[registry\.call\.3\] .*rank 7 .*; mm takes rank 2\.\.6/);
  });

  test('[templates.matmul.eval] the normative result is the exact sum of the f32 products, rounded once', () => {
    const registry = createRegistry();
    const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes: [2, 2, 2] } } });
    // 1 + 2⁻²⁴ + 2⁻²⁴ is 1 + 2⁻²³ exactly; an f32 loop would round 1 + 2⁻²⁴ back to 1 at each step.
    const tie = trace((x: Tensor, y: Tensor) => mm(x, y), { a: [1, 3], b: [3, 1] });
    expect(interpret(tie, [Float32Array.of(1, 2 ** -24, 2 ** -24), Float32Array.of(1, 1, 1)])[0]).toEqual(Float32Array.of(1 + 2 ** -23));
    // A batch, element by element against the definition.
    const [bt, m, k, n] = [2, 3, 4, 5];
    const a = Float32Array.from({ length: bt * m * k }, (_, i) => Math.fround(Math.sin(i) * 3));
    const b = Float32Array.from({ length: bt * k * n }, (_, i) => Math.fround(Math.cos(i * 1.7)));
    const [out] = interpret(trace((x: Tensor, y: Tensor) => mm(x, y), { a: [bt, m, k], b: [bt, k, n] }), [a, b]);
    for (let i = 0; i < bt * m * n; i++) {
      const [t, r, c] = [Math.floor(i / (m * n)), Math.floor(i / n) % m, i % n];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += (a[t * m * k + r * k + j] as number) * (b[t * k * n + j * n + c] as number);
      expect(out?.[i]).toBe(Math.fround(sum));
    }
  });

  test('[templates.matmul.config] blocks [BM, BN, BK]: a (BN, BM) workgroup per BM×BN tile, mm_ tiles of 4·(BM·BK + BK·BN) bytes', () => {
    const code = emit([[2, 37, 29], [2, 29, 23]], [8, 16, 4]);
    expect(code.workgroupSize).toEqual([16, 8, 1]);
    expect(code.tiles).toBe(2 * Math.ceil(37 / 8) * Math.ceil(23 / 16));
    expect(code.workgroupBytes).toBe(4 * (8 * 4 + 4 * 16));
    expect(code.declarations).toBe(
      'var<workgroup> mm_a: array<f32, 32>; // a 8x4 tile of A, row-major\nvar<workgroup> mm_b: array<f32, 64>; // a 4x16 tile of B, row-major',
    );
    const registry = createRegistry();
    expect(() => registry.register('mm', { template: matmul, configs: { default: { blockSizes: [8, 8] } } })).toThrow(/\[registry\.config\.1\] mm: config 'default' has blockSizes \[8,8\]; matmul needs 3 positive integers/);
  });

  test('[templates.matmul.hooks] the body reads only through load_a/load_b under a mask, stores only through store_out, and returns only after its last barrier', () => {
    const { body } = emit([[7, 5], [5, 3]], [3, 2, 2]);
    expect(body).not.toMatch(/src_|dst/);
    const loads = body.split('\n').filter((l) => /load_[ab]\(/.test(l));
    expect(loads).toHaveLength(2);
    for (const line of loads) expect(line).toMatch(/^\s*if \(r < [MK] && c < [KN]\) \{ v = load_[ab]\(.*\); \} \/\/ mask: /);
    expect(body.match(/store_out\(/g)).toHaveLength(1);
    expect(body.match(/workgroupBarrier\(\)/g)).toHaveLength(2);
    // Every invocation reaches every barrier: the only return comes after the K loop.
    expect(body.indexOf('return')).toBeGreaterThan(body.lastIndexOf('workgroupBarrier()'));
    expect(body).toMatchInlineSnapshot(`
      "let M = 7u; // rows of A and C
      let N = 3u; // columns of B and C
      let K = 5u; // columns of A, rows of B: the reduction
      let tilesN = 2u; // output tiles across N
      let tilesPerBatch = 6u;
      // This workgroup computes the output tile C[batch, row0 .. row0+BM, col0 .. col0+BN].
      let batch = tile / tilesPerBatch;
      let row0 = ((tile % tilesPerBatch) / tilesN) * 3u;
      let col0 = ((tile % tilesPerBatch) % tilesN) * 2u;
      let row = row0 + lid.y;
      let col = col0 + lid.x;
      let a0 = batch * 35u; // A[batch] starts here
      let b0 = batch * 15u; // B[batch] starts here
      let slot = lid.y * 2u + lid.x; // this invocation's first element in the staging loops
      var acc = 0f;
      for (var k0 = 0u; k0 < K; k0 += 2u) {
        // Stage A[row0 .. row0+3, k0 .. k0+2] into mm_a; each invocation takes elements slot, slot + 6, …
        for (var e = slot; e < 6u; e += 6u) {
          let r = row0 + e / 2u;
          let c = k0 + e % 2u;
          var v = 0f;
          if (r < M && c < K) { v = load_a(a0 + r * K + c); } // mask: A past its edge reads as 0
          mm_a[e] = v;
        }
        // Stage B[k0 .. k0+2, col0 .. col0+2] into mm_b.
        for (var e = slot; e < 4u; e += 6u) {
          let r = k0 + e / 2u;
          let c = col0 + e % 2u;
          var v = 0f;
          if (r < K && c < N) { v = load_b(b0 + r * N + c); } // mask: B past its edge reads as 0
          mm_b[e] = v;
        }
        workgroupBarrier(); // both tiles staged
        // This invocation's row of the A tile times its column of the B tile.
        for (var j = 0u; j < 2u; j++) {
          acc += mm_a[lid.y * 2u + j] * mm_b[j * 2u + lid.x];
        }
        workgroupBarrier(); // every invocation is done with the tiles before they are overwritten
      }
      if (row >= M || col >= N) { return; } // bounds guard: ragged tiles store nothing (after the last barrier)
      store_out(batch * 21u + row * N + col, acc);"
    `);
  });

  test('[templates.matmul.dynamic] every extent, product and tile count goes through ctx.size: none is baked in under staticShapes: false', () => {
    const baked: number[] = [];
    const code = matmul.emit({
      argShapes: [[3, 37, 29], [3, 29, 23]],
      outShape: [3, 37, 23],
      config: { blockSizes: [8, 16, 4] },
      loadHooks: ['load_a', 'load_b'],
      storeHook: 'store_out',
      size: (v) => `sizes[${baked.push(v) - 1}]`,
      lanes: 128,
    });
    expect(baked).toEqual([37, 23, 29, Math.ceil(23 / 16), Math.ceil(37 / 8) * Math.ceil(23 / 16), 37 * 29, 29 * 23, 37 * 23]);
    // What is left as literals are the config's block sizes and their products.
    const literals = new Set([...code.body.matchAll(/\b(\d+)u\b/g)].map((m) => Number(m[1])));
    expect([...literals].every((v) => [0, 1, 8, 16, 4, 8 * 4, 4 * 16, 8 * 16].includes(v)), [...literals].join(', ')).toBe(true);
  });
});

describe('the register-tiled matmul template', () => {
  test('[templates.matmul.regtile] TM×TN and the invocations follow from the config and the lanes: most invocations, then balanced, then TN a multiple of 4', () => {
    const tile = (bm: number, bn: number, lanes: number): [number, number, number] => {
      const [x = 0, y = 0] = emit([[bm, 8], [8, bn]], [bm, bn, 8], lanes).workgroupSize;
      expect(y).toBe(1);
      const tm = /let rowBase = row0 \+ ty \* (\d+)u;/.exec(emit([[bm, 8], [8, bn]], [bm, bn, 8], lanes).body)?.[1];
      const tn = /let colBase = col0 \+ tx \* (\d+)u;/.exec(emit([[bm, 8], [8, bn]], [bm, bn, 8], lanes).body)?.[1];
      return [Number(tm), Number(tn), x];
    };
    expect(tile(128, 128, 256)).toEqual([8, 8, 256]);
    expect(tile(64, 64, 256)).toEqual([4, 4, 256]);
    expect(tile(128, 64, 256)).toEqual([8, 4, 256]);
    expect(tile(64, 32, 128)).toEqual([4, 4, 128]);
    expect(tile(32, 32, 128)).toEqual([2, 4, 128]);
    expect(tile(128, 128, 128)).toEqual([16, 8, 128]);
    expect(tile(12, 12, 128)).toEqual([2, 1, 72]);
    expect(tile(3, 64, 128)).toEqual([1, 2, 96]);
    // A tile of at most `lanes` outputs stays one output per invocation, a (BN, BM) workgroup.
    expect(emit([[16, 8], [8, 16]], [16, 16, 8], 256).workgroupSize).toEqual([16, 16, 1]);
  });

  test('[templates.matmul.regtile] [128,128,8] at 256 lanes: A transposed and B in vec4f tiles, vec4f reads, 16 vec4f accumulators, every register index a constant', () => {
    const code = emit([[130, 129], [129, 7]], [128, 128, 8], 256);
    expect(code.workgroupSize).toEqual([256, 1, 1]);
    expect(code.workgroupBytes).toBe(4 * (128 * 8 + 8 * 128));
    expect(code.declarations).toContain('var<workgroup> mm_a: array<vec4f, 256>; // a 128x8 tile of A, transposed: mm_a[k][m]');
    expect(code.declarations).toContain('var<workgroup> mm_b: array<vec4f, 256>; // a 8x128 tile of B, row-major: mm_b[k][n]');
    const { body } = code;
    expect(body.match(/^var acc\d+_\d+ = vec4f\(\);$/gm)).toHaveLength(16);
    // The 8 steps of k written out: each 2 + 2 vec4f reads of workgroup memory at constant rows and 16 vec4 multiply-adds.
    expect(body).not.toContain('for (var kk');
    const inner = body.slice(body.indexOf('{ // k0 + 0'), body.lastIndexOf('workgroupBarrier()'));
    for (let kk = 0; kk < 8; kk++) {
      const row = kk === 0 ? '' : `${kk * 32}u \\+ `;
      expect(inner.match(new RegExp(`let ar\\d = mm_a\\[${row}aOff( \\+ \\du)?\\];`, 'g'))).toHaveLength(2);
      expect(inner.match(new RegExp(`let br\\d = mm_b\\[${row}bOff( \\+ \\du)?\\];`, 'g'))).toHaveLength(2);
    }
    expect(inner.match(/acc\d_\d \+= ar\d\.[xyzw] \* br\d;/g)).toHaveLength(8 * 16);
    // A deeper BK keeps the loop.
    expect(emit([[130, 129], [129, 7]], [128, 128, 32], 256).body).toContain('for (var kk = 0u; kk < 32u; kk++) {');
    // No register is indexed by a variable: accumulators are read by name and constant swizzle only.
    expect(body).not.toMatch(/acc\w*\[/);
    expect(body.match(/^mm_store\(batch, rowBase \+ \d+u, colBase \+ \d+u, acc\d_\d\.[xyzw]\);$/gm)).toHaveLength(64);
  });

  test('[templates.matmul.hooks] [templates.matmul.ragged] register-tiled: loads only through the hooks under a mask, each output stored once through a guarded store_out, nothing returns before the last barrier', () => {
    for (const [blocks, lanes] of [[[128, 128, 8], 256], [[32, 32, 8], 128], [[12, 12, 4], 128], [[3, 64, 5], 128]] as const) {
      const code = emit([[2, 37, 29], [2, 29, 23]], [...blocks], lanes);
      const all = `${code.declarations ?? ''}\n${code.body}`;
      expect(all).not.toMatch(/src_|dst/);
      const loads = all.split('\n').filter((l) => /load_[ab]\(/.test(l));
      // One masked load per element, or four per vec4f of a vec4f tile (each component masked on its own).
      expect(loads.length === 2 || loads.length === 5 || loads.length === 8, loads.join('\n')).toBe(true);
      for (const line of loads) expect(line).toMatch(/^\s*if \(r( \+ \du)? < [MK] && c( \+ \du)? < [KN]\) \{ v(\.[xyzw])? = load_[ab]\(.*\); \} \/\/ mask: /);
      expect(all).not.toMatch(/mm_[ab]\[[^\]]*\]\[[^\]]*\] = /); // no component of a shared vec4f is written alone
      // One store_out, in mm_store, after its own guard; the body calls mm_store once per register.
      expect(all.match(/store_out\(/g)).toHaveLength(1);
      expect(code.declarations).toMatch(/ {2}if \(row >= M \|\| col >= N\) \{ return; \} \/\/ bounds guard: .*\n {2}store_out\(batch \* 851u \+ row \* N \+ col, acc\);/);
      expect(code.body).not.toContain('return');
      expect(code.body.match(/workgroupBarrier\(\)/g)).toHaveLength(2);
      expect(code.body).toMatch(/for \(var k0 = 0u; k0 < K; k0 \+= \d+u\)/);
      const [bm, bn] = blocks;
      expect((code.body.match(/^mm_store\(/gm) ?? []).length * code.workgroupSize[0]).toBe(bm * bn);
      expect(code.workgroupBytes).toBe(4 * (bm * blocks[2] + blocks[2] * bn));
    }
  });

  test('[meta.mutant.matmul-regtile-edge-unmasked] every planted matmul fault edits both the one-output-per-invocation and the register-tiled WGSL (the register-tile faults only the latter), and every one the vec4 path\'s', () => {
    const wgslOf = (blockSizes: number[], dims: [number, number, number] = [20, 9, 20]): string => biasKernel(blockSizes, dims)?.wgsl ?? '';
    const scalar = wgslOf([8, 8, 4]);
    expect(scalar).not.toContain('fn mm_store(');
    // Register-tiled at 128 lanes: 4×4 (vec4f tiles), 2×4 (A as f32, B as vec4f), 2×1 (both f32).
    for (const tiled of [wgslOf([64, 32, 8]), wgslOf([32, 32, 8]), wgslOf([12, 12, 4])]) {
      expect(tiled).toContain('fn mm_store(');
      for (const [name, { edit, regtileOnly, quadsOnly }] of Object.entries(MATMUL_FAULT_EDITS)) {
        expect(edit(tiled) === tiled, name).toBe(quadsOnly === true);
        expect(edit(scalar) === scalar, name).toBe(regtileOnly);
      }
      expect(MATMUL_FAULT_EDITS['matmul-regtile-edge-unmasked']?.edit(tiled)).not.toMatch(/^\s*mm_store\(/m);
      expect(MATMUL_FAULT_EDITS['matmul-unmasked-loads']?.edit(tiled)).not.toContain('// mask:');
    }
    // The vec4 path ([templates.matmul.vec4]), K = 12 and N = 20 in quads, C 640 elements: 4×4 and 2×4 register tiles.
    for (const quads of [wgslOf([64, 32, 8], [32, 12, 20]), wgslOf([32, 32, 8], [32, 12, 20])]) {
      expect(quads).toContain('fn mm_store4(');
      for (const [name, { edit }] of Object.entries(MATMUL_FAULT_EDITS)) expect(edit(quads), name).not.toBe(quads);
      expect(MATMUL_FAULT_EDITS['matmul-regtile-edge-unmasked']?.edit(quads)).not.toMatch(/^\s*mm_store4\(/m);
      expect(MATMUL_FAULT_EDITS['matmul-unmasked-loads']?.edit(quads)).not.toContain('// mask:');
      const untransposed = MATMUL_FAULT_EDITS['matmul-a-block-untransposed']?.edit(quads) ?? '';
      expect(untransposed).toMatch(/ = (vec4f\(q2\.x, q2\.y, q2\.z, q2\.w\)|q0\.z;)/);
    }
  });

  test('[templates.matmul.vec4] register tiles of 4 columns or more, BM and BK multiples of 4, K and N multiples of 4, C a multiple of 64: A, B and C in quads, A staged in 4×4 blocks, transposed; else scalar', () => {
    // 4×4 outputs a lane at 128 lanes: mm_a of vec4f, each block column written whole.
    const four = biasKernel([64, 32, 8], [40, 12, 24]);
    expect(four?.wgsl).toContain('var<storage, read> src_a_0: array<vec4f>;');
    expect(four?.wgsl).toContain('let i = (a0 + r * K + c) / 4u; // the quad A[r, c … c+3]');
    expect(four?.wgsl).toContain('if (r + 3u < M && c < K) { q3 = load_a4(i + 9u); } // mask: A past its edge reads as 0');
    expect(four?.wgsl).toContain('mm_a[(kk + 2u) * 16u + m4] = vec4f(q0.z, q1.z, q2.z, q3.z); // column 2 of the block');
    expect(four?.wgsl).toContain('if (r < K && c < N) { v = load_b4((b0 + r * N + c) / 4u); } // mask: B past its edge reads as 0');
    expect(four?.wgsl).toContain('store_out4((batch * 960u + row * N + col) / 4u, acc);');
    expect(four?.wgsl).toMatch(/^ {2}mm_store4\(batch, rowBase \+ 3u, colBase \+ 0u, acc3_0\);$/m);
    expect(four?.wgsl).not.toMatch(/load_[ab]\(|store_out\(|mm_store\(/);
    expect(four?.views?.map((v) => v.size)).toEqual([4 * 40 * 12, 4 * 12 * 24, 4 * 24, 4 * 40 * 24]);
    // 2×4 outputs a lane: mm_a of f32, a block's column written element by element.
    const two = biasKernel([32, 32, 8], [40, 12, 24]);
    expect(two?.wgsl).toContain('mm_a[(kk + 1u) * 32u + m4 * 4u + 3u] = q3.y;');
    // K, N not multiples of 4; C not a multiple of 64; TN of 1 (2×1 at [16,16]); BK of 2; one output a lane; dynamic shapes.
    for (const [blocks, dims] of [[[64, 32, 8], [40, 10, 24]], [[64, 32, 8], [40, 12, 22]], [[64, 32, 8], [10, 12, 20]], [[16, 16, 8], [32, 16, 32]], [[64, 32, 2], [40, 12, 24]], [[8, 8, 4], [32, 16, 32]]] as const) {
      expect(biasKernel([...blocks], [...dims])?.wgsl, `${blocks.join()} over ${dims.join()}`).not.toContain('load_a4');
    }
    const registry = createRegistry();
    const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes: [64, 32, 8] } }, settings: { staticShapes: false } });
    const dynamic = trace((x: Tensor, y: Tensor) => mm(x, y), { a: [40, 12], b: [12, 24] });
    expect(generateProgram(lowerGraph(dynamic, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS)[0]?.wgsl).not.toContain('load_a4');
  });

  test('[templates.matmul.dynamic] register-tiled: every extent, product and tile count goes through ctx.size', () => {
    const baked: number[] = [];
    const code = matmul.emit({ argShapes: [[3, 37, 29], [3, 29, 23]], outShape: [3, 37, 23], config: { blockSizes: [64, 32, 8] }, loadHooks: ['load_a', 'load_b'], storeHook: 'store_out', size: (v) => `sizes[${baked.push(v) - 1}]`, lanes: 128 });
    expect(new Set(baked)).toEqual(new Set([37, 23, 29, 1, 1, 37 * 29, 29 * 23, 37 * 23]));
    const literals = new Set([...`${code.declarations ?? ''}\n${code.body}`.matchAll(/\b(\d+)u\b/g)].map((m) => Number(m[1])));
    // Config-derived only: the blocks, their products, and the unrolled k steps' rows kk·16 and kk·8 (BM/4, BN/4).
    const rows = Array.from({ length: 8 }, (_, kk) => [kk * 16, kk * 8]).flat();
    expect([...literals].every((v) => [0, 1, 2, 3, 4, 8, 64, 32, 64 * 8, 8 * 32, 16, 128, ...rows].includes(v)), [...literals].join(', ')).toBe(true);
  });
});

describe('the schedule and limits around matmul, compile-only', () => {
  test('[fusion.prologue.4] matmul → relu → matmul: the relu is the second call\'s prologue; the first call stores its output', () => {
    const p = PATTERNS.find((q) => q.rule === 'fusion.prologue.4');
    if (p === undefined) throw new Error('no fusion.prologue.4 pattern');
    const schedule = lowerGraph(p.graph, TEMPLATES);
    const relu = p.graph.nodes.find((n) => n.kind === 'op' && n.op === 'relu');
    const [first, second] = schedule.kernels;
    expect(first?.inlined).toEqual([]);
    expect(second?.inlined).toEqual([{ node: relu?.id, section: { part: 'prologue', arg: 0 } }]);
    const [, k1] = generateProgram(schedule, TEMPLATES, COMPAT_DEFAULT_LIMITS);
    expect(k1?.wgsl).toMatch(/fn load_a\(i: u32\) -> f32 \{\n {2}let l\d+ = src_t\d+\[i\];.*\n {2}let v\d+ = max\(l\d+, 0f\); \/\/ %\d+ relu\n/);
  });

  const over = (limits: CodegenLimits): { invocations: number[]; memory: number[] } => ({
    invocations: [12, 12, 4],
    memory: [8, 16, Math.floor(limits.maxComputeWorkgroupStorageSize / 4 / 24) + 1],
  });

  test('[templates.matmul.regtile] a matmul config with BM·BN past the invocation limit is register-tiled into a workgroup that fits', () => {
    const { graph } = tracedWithConfig(over(COMPAT_DEFAULT_LIMITS).invocations, [20, 9], [9, 20]);
    const [k0] = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
    // [12,12] at 128 lanes: 2×1 outputs on 72 invocations.
    expect(k0?.wgsl).toContain('@workgroup_size(72, 1, 1)');
    expect(k0?.wgsl).toContain('fn mm_store(');
  });

  test('[codegen.limits.5] a matmul config whose tiles need more than 16 KiB of workgroup memory is a clear error', () => {
    const { graph, kernels } = tracedWithConfig(over(COMPAT_DEFAULT_LIMITS).memory, [20, 9], [9, 20]);
    expect(() => generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS)).toThrow(
      /\[codegen\.limits\.5\] kernel k0 \(mm \(matmul.*needs 16416 bytes of workgroup memory; the device allows 16384/,
    );
  });
});


describe('generated matmul cases', () => {
  test('[gen.matmul.1] generated matmul cases stay in domain and range, fit the device limits, and are judged by the oracle', () => {
    fc.assert(
      fc.property(matmulCaseArbitrary(), (mc) => {
        const b = buildMatmulCase(mc);
        expect(batchCount(mc.batch) * mc.m * mc.n * mc.k).toBeLessThanOrEqual(65536);
        const values = interpretAll(b.graph, b.inputs);
        expect(firstBadOperand(b, values, inOpDomain)).toBeUndefined();
        expect(firstBadOperand(b, values, (op, a, x) => inGeneratorMargin(op, a, x, b.space))).toBeUndefined();
        values.forEach((v, id) => {
          const bad = v.findIndex((x) => !Number.isFinite(x) || Math.abs(x) > b.space.limit);
          expect(bad, `%${id} element ${bad} is ${v[bad]}\n${show(b)}`).toBe(-1);
        });
        // Within 8 storage buffers, 128 invocations and 16 KiB of workgroup memory; the oracle accepts the case.
        expect(() => generateProgram(lowerGraph(b.graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS), show(b)).not.toThrow();
        // A wide-space case may be one the spec cannot judge; the check sets it aside ([gen.space.2]).
        if (b.space.name === 'ordinary') expect(() => acceptanceIntervals(b.graph, b.inputs), show(b)).not.toThrow();
        else expect(() => acceptanceIntervals(b.graph, b.inputs), show(b)).not.toThrow(/^(?!\[numerics\.interval\.domain\])/);
        expect(b.callCount).toBe(1);
        expect(printGraph(buildMatmulCase(mc).graph)).toBe(printGraph(b.graph));
      }),
      params(200),
    );
  });

  test('[gen.matmul.1] extents are ragged against the blocks, include 1 and primes; batched, dynamic and two-store cases all occur', () => {
    const cases: MatmulCase[] = fc.sample(matmulCaseArbitrary(), seed === undefined ? { numRuns: 300 } : { numRuns: 300, seed });
    const ragged = cases.filter(({ m, n, k, blockSizes: [bm, bn, bk] }) => m % bm !== 0 || n % bn !== 0 || k % bk !== 0);
    expect(ragged.length).toBeGreaterThan(cases.length / 2);
    for (const dim of ['m', 'n', 'k'] as const) expect(cases.some((c) => c[dim] === 1), dim).toBe(true);
    expect(cases.some((c) => [c.m, c.n, c.k].some((d) => [13, 17, 31].includes(d)))).toBe(true);
    expect(cases.some((c) => c.batch !== null) && cases.some((c) => c.batch === null)).toBe(true);
    expect(cases.some((c) => !c.staticShapes) && cases.some((c) => c.returnsKernelOutput)).toBe(true);
    expect(cases.every(({ blockSizes: [bm, bn, bk] }) => 4 * (bm * bk + bk * bn) <= 16384)).toBe(true);
    // Register-tiled configs ([templates.matmul.regtile]) occur, ragged ones among them.
    const tiled = ragged.filter(({ blockSizes: [bm, bn] }) => bm * bn > 128);
    expect(tiled.length).toBeGreaterThan(cases.length / 8);
  });

  test('[gen.matmul.1] operands whose sum of K products would pass ±1e6 get a recorded tanh guard before the call', () => {
    const big = { op: 'mul', operand: { kind: 'const', value: 100 }, swap: false } as const;
    const mc: MatmulCase = { batch: null, m: 3, k: 64, n: 2, blockSizes: [2, 2, 8], inputRanges: [[-2, 2], [-2, 2]], prologues: [[big, big], [big, big]], epilogue: [], dataSeed: 1, returnsKernelOutput: false, staticShapes: true };
    const b = buildMatmulCase(mc);
    expect(b.description).toBe('matmul(tanh(mul(mul(a, 100), 100)), tanh(mul(mul(b, 100), 100)))');
    expect(formatGuards(b.guards)).toMatch(/^call matmul \(mul\): a sum of 64 products has range .* past the value limit; inserted tanh\(·\)\ncall matmul \(mul\): .*inserted tanh\(·\)$/);
  });

  test('[templates.matmul.dynamic] generated cases under staticShapes: false give the same WGSL at other extents of the same structure', () => {
    const redrawn = fc.tuple(matmulCaseArbitrary(), fc.integer({ min: 2, max: 24 }), fc.integer({ min: 2, max: 24 }), fc.integer({ min: 2, max: 24 }));
    const wgslOf = (c: MatmulCase): string => {
      const b = buildMatmulCase(c, { staticShapes: false });
      return generateProgram(lowerGraph(b.graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS).map((k) => k.wgsl).join('\n');
    };
    fc.assert(
      fc.property(redrawn, ([a, m, k, n]) => {
        const b = { ...a, m: a.m === 1 ? 1 : m, k: a.k === 1 ? 1 : k, n: a.n === 1 ? 1 : n };
        fc.pre(structureOf(buildMatmulCase(a).graph) === structureOf(buildMatmulCase(b).graph));
        expect(wgslOf(b)).toBe(wgslOf(a));
      }),
      params(100),
    );
  });
});

import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS, createRegistry, elementwiseAdd, generateKernel, generateProgram, lowerGraph, trace, TEMPLATES } from '../index.js';
import { foldGrid } from './kernel.js';
import type { CodegenLimits, Graph, KernelTemplate, Tensor } from '../index.js';

// The reference's limit checks at their boundaries, on the CPU: a kernel that needs exactly what the device
// allows compiles, one unit more is refused, and each per-dimension limit is checked on its own. Written
// for the mutation campaign (conformance/mutation-survivors.md): the tests beside it only go past a limit.

/** The seed, relu(add(x*2, y+1)) on [4,4] in 4x4 blocks: one kernel, workgroup 4x4x1, 3 storage buffers of 64 bytes. */
const seed = (): Graph => {
  const registry = createRegistry();
  const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });
  return trace((x: Tensor, y: Tensor) => add(x.mul(2), y.add(1)).relu(), { x: [4, 4], y: [4, 4] });
};

const compileSeed = (limits: Partial<CodegenLimits>) => generateProgram(lowerGraph(seed(), TEMPLATES), TEMPLATES, { ...COMPAT_DEFAULT_LIMITS, ...limits });

describe('codegen limits at their boundaries', () => {
  test('[codegen.limits.4] a tensor of exactly maxStorageBufferBindingSize bytes is bound; one byte less of limit refuses it', () => {
    expect(compileSeed({ maxStorageBufferBindingSize: 64 })).toHaveLength(1);
    expect(() => compileSeed({ maxStorageBufferBindingSize: 63 })).toThrow(/^\[codegen\.limits\.4\] kernel k0 .*a tensor of 64 bytes exceeds the device's maxStorageBufferBindingSize of 63 bytes\. hint: request a larger limit from the adapter, or split the tensor$/);
    // The largest binding decides, not the first or the smallest: a [4] row (16 bytes) beside [4,4] tensors (64 bytes).
    const row = trace((x: Tensor, r: Tensor) => r.add(x), { x: [4, 4], r: [4] });
    expect(() => generateProgram(lowerGraph(row, TEMPLATES), TEMPLATES, { ...COMPAT_DEFAULT_LIMITS, maxStorageBufferBindingSize: 63 })).toThrow(/a tensor of 64 bytes/);
  });

  test('[codegen.limits.1] a workgroup of exactly the limits compiles, and each dimension is checked on its own', () => {
    expect(compileSeed({ maxComputeWorkgroupSizeX: 4, maxComputeWorkgroupSizeY: 4, maxComputeWorkgroupSizeZ: 1, maxComputeInvocationsPerWorkgroup: 16 })).toHaveLength(1);
    const refused = /^\[codegen\.limits\.1\] kernel k0 .*: workgroup 4x4x1 \(16 invocations\) exceeds the device's limits \(x ≤ \d+, y ≤ \d+, total ≤ \d+\)\. hint: pick smaller block sizes$/;
    expect(() => compileSeed({ maxComputeWorkgroupSizeX: 3 })).toThrow(refused);
    // Packed blocks are one row of lanes ([templates.add.config]): a Y limit below BY does not bind them.
    expect(compileSeed({ maxComputeWorkgroupSizeY: 3 })).toHaveLength(1);
    expect(() => compileSeed({ maxComputeWorkgroupSizeZ: 0 })).toThrow(/^\[codegen\.limits\.1\] kernel k0 .*: workgroup 128x1x1 \(128 invocations\) exceeds/);
    expect(() => compileSeed({ maxComputeInvocationsPerWorkgroup: 15 })).toThrow(refused);
    expect(() => compileSeed({ maxComputeWorkgroupSizeX: 3 })).toThrow('(x ≤ 3, y ≤ 128, total ≤ 128)');
    // Invocations are x·y·z: a 2x2x2 workgroup is 8 of them.
    const registry = createRegistry();
    const deep: KernelTemplate = { ...elementwiseAdd, id: 'deep_add', emit: (ctx) => ({ ...elementwiseAdd.emit(ctx), workgroupSize: [2, 2, 2] }) };
    const k = registry.register('deep', { template: deep, configs: { default: { blockSizes: [2, 2] } } });
    const g = trace((x: Tensor, y: Tensor) => k(x, y), { x: [4], y: [4] });
    expect(() => generateProgram(lowerGraph(g, registry.templates), registry.templates, { ...COMPAT_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 7 })).toThrow(/workgroup 2x2x2 \(8 invocations\) exceeds/);
  });

  test('[codegen.limits.5] workgroup memory of exactly maxComputeWorkgroupStorageSize compiles; one byte more is refused', () => {
    const registry = createRegistry();
    const greedy: KernelTemplate = { ...elementwiseAdd, id: 'greedy_add', emit: (ctx) => ({ ...elementwiseAdd.emit(ctx), workgroupBytes: 16_384 }) };
    const k = registry.register('greedy', { template: greedy, configs: { default: { blockSizes: [4, 4] } } });
    const g = trace((x: Tensor, y: Tensor) => k(x, y), { x: [8], y: [8] });
    const compileAt = (bytes: number) => generateProgram(lowerGraph(g, registry.templates), registry.templates, { ...COMPAT_DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: bytes });
    expect(compileAt(16_384)).toHaveLength(1);
    expect(() => compileAt(16_383)).toThrow(/^\[codegen\.limits\.5\] kernel k0 \(greedy .*\): needs 16384 bytes of workgroup memory; the device allows 16383\. hint: pick smaller block sizes$/);
  });

  test('[codegen.limits.2] exactly maxStorageBuffersPerShaderStage bindings compile; one fewer allowed is refused', () => {
    expect(compileSeed({ maxStorageBuffersPerShaderStage: 3 })).toHaveLength(1);
    expect(() => compileSeed({ maxStorageBuffersPerShaderStage: 2 })).toThrow(/^\[codegen\.limits\.2\] kernel k0 .*: needs 3 storage buffers; the device allows 2 per shader stage$/);
  });

  test('[codegen.limits.3] tiles that exactly fill the folded grid compile; one tile more than it holds is refused', () => {
    // 16 elements in 1x1 blocks on 1 lane: 16 tiles, a 4x4 grid at 4 per dimension; at 3 per dimension a 3x3 grid holds 9.
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } } });
    const g = trace((x: Tensor, y: Tensor) => add(x, y), { x: [4, 4], y: [4, 4] });
    const compileAt = (perDim: number) => generateProgram(lowerGraph(g, TEMPLATES), TEMPLATES, { ...COMPAT_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupsPerDimension: perDim });
    expect(compileAt(4).map((k) => k.grid)).toEqual([[4, 4, 1]]);
    // [codegen.grid.2]: at 5 per dimension the fewest rows (4) and the narrowest row (4), not [5, 4] with 4 idle.
    expect(compileAt(5).map((k) => k.grid)).toEqual([[4, 4, 1]]);
    expect(compileAt(16).map((k) => k.grid)).toEqual([[16, 1, 1]]);
    expect(() => compileAt(3)).toThrow(/^\[codegen\.limits\.3\] kernel k0 .*: 16 workgroups do not fit a 3x3 grid$/);
  });
});

describe('codegen, the reference\'s own text', () => {
  test('[codegen.wgsl.1] each kernel\'s first line names it, what it runs and what it stores, with its shape mode', () => {
    const header = (wgsl: string | undefined): string => (wgsl ?? '').split('\n')[0] ?? '';
    const g = seed();
    const [fused] = generateProgram(lowerGraph(g, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
    expect(header(fused?.wgsl)).toBe("// wgfuse kernel k0: add (elementwise_add, config 'default') at %6, stores %7");
    // The eager executor's canonical kernels: one per op and call, named k, nodes numbered locally.
    const eager = generateProgram(lowerGraph(g, TEMPLATES, { fuse: false }), TEMPLATES, COMPAT_DEFAULT_LIMITS, { canonical: true });
    expect(eager.map((k) => k.name)).toEqual(['k', 'k', 'k', 'k']);
    expect(eager.map((k) => header(k.wgsl))).toEqual([
      '// wgfuse kernel k: pointwise, stores %1, canonical',
      '// wgfuse kernel k: pointwise, stores %1, canonical',
      '// wgfuse kernel k: elementwise_add, blocks [4,4], stores %2, canonical',
      '// wgfuse kernel k: pointwise, stores %1, canonical',
    ]);
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } }, settings: { staticShapes: false } });
    const dynamic = trace((x: Tensor, y: Tensor) => add(x, y), { x: [4, 4], y: [4, 4] });
    const [k] = generateProgram(lowerGraph(dynamic, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
    expect(header(k?.wgsl)).toBe("// wgfuse kernel k0: add (elementwise_add, config 'default') at %2, stores %2, dynamic shapes");
  });

  test('[shapes.dynamic.1] a pointwise kernel is dynamic when any call of the graph is, and a template kernel follows its own call', () => {
    const registry = createRegistry();
    const dyn = registry.register('dyn', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } }, settings: { staticShapes: false } });
    const fixed = registry.register('fixed', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });
    const uniform = (k: { readonly wgsl: string }): boolean => k.wgsl.includes('var<uniform> sizes');
    const kernelsOf = (f: (x: Tensor, y: Tensor) => Tensor[]) =>
      generateProgram(lowerGraph(trace(f, { x: [4, 4], y: [4, 4] }), registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS).map((k) => [k.plan.root, k.plan.call, uniform(k)]);
    // %2 dyn(x, y), %3 fixed(x, y), %4 exp(x): three kernels; the pointwise one is dynamic because %2 is.
    expect(kernelsOf((x, y) => [dyn(x, y), fixed(x, y), x.exp()])).toEqual([[2, 2, true], [3, 3, false], [4, undefined, true]]);
    // Only a static call in the graph: the pointwise kernel bakes its extents in.
    expect(kernelsOf((x, y) => [fixed(x, y), x.exp()])).toEqual([[2, 2, false], [3, undefined, false]]);
    expect(kernelsOf((x) => [x.exp()])).toEqual([[2, undefined, false]]);
  });

  test('[shapes.dynamic.1] the sizes uniform is the declared number of vec4s, its values padded with zeros', () => {
    const eager = generateProgram(lowerGraph(seed(), TEMPLATES, { fuse: false }), TEMPLATES, COMPAT_DEFAULT_LIMITS, { canonical: true });
    for (const k of eager) {
      const vec4s = Number(/var<uniform> sizes: array<vec4u, (\d+)>/.exec(k.wgsl)?.[1]);
      expect(vec4s, k.wgsl).toBeGreaterThan(0);
      expect(k.sizes.length, k.wgsl).toBe(4 * vec4s);
      const used = Math.max(...[...k.wgsl.matchAll(/sizes\[(\d+)\]\.([xyzw])/g)].map((m) => 4 * Number(m[1]) + 'xyzw'.indexOf(m[2] ?? '')));
      expect(used, k.wgsl).toBeGreaterThan(4 * vec4s - 5);
    }
  });

  test('[codegen.internal] a kernel index the schedule does not have is an internal error naming it', () => {
    const schedule = lowerGraph(seed(), TEMPLATES);
    expect(() => generateKernel(schedule, 1, TEMPLATES, COMPAT_DEFAULT_LIMITS)).toThrow(/^\[codegen\.internal\] no kernel 1 in the schedule$/);
  });

  test('[ir.call.1] a schedule generated with a template table that lacks a call\'s semantics is an error naming the node and the semantics', () => {
    const registry = createRegistry();
    const own: KernelTemplate = { ...elementwiseAdd, id: 'own_add' };
    const k = registry.register('own', { template: own, configs: { default: { blockSizes: [4, 4] } } });
    const g = trace((x: Tensor, y: Tensor) => k(x, y), { x: [4], y: [4] });
    expect(() => generateProgram(lowerGraph(g, registry.templates), TEMPLATES, COMPAT_DEFAULT_LIMITS)).toThrow(/^\[ir\.call\.1\] %2: the reference has no template for kernel semantics 'own_add'$/);
  });
});

describe('codegen, the folded grid', () => {
  test('[codegen.grid.2] the fold is exact: the fewest rows, each within the limit, fewer idle workgroups than rows', () => {
    for (const perDim of [1, 2, 3, 7, 64, 65535]) {
      for (const tiles of [1, 2, 3, perDim - 1, perDim, perDim + 1, 2 * perDim - 1, 2 * perDim + 1, 1000, 65536, 262144, 2 ** 26 / 256 + 3]) {
        if (tiles < 1 || Math.ceil(tiles / perDim) > perDim) continue;
        const [gx, gy] = foldGrid('k', tiles, perDim);
        expect(gx * gy, `${tiles} tiles at ${perDim}`).toBeGreaterThanOrEqual(tiles);
        expect(gx * gy - tiles, `${tiles} tiles at ${perDim}`).toBeLessThan(gy);
        expect(gy).toBe(Math.ceil(tiles / perDim));
        expect(gx).toBeLessThanOrEqual(perDim);
      }
    }
    // 2^26 elements in 256 lanes: 262144 tiles fold as 52429 x 5, 1 idle (not 65535 x 5, 65531 idle).
    expect(foldGrid('k', 262144, 65535)).toEqual([52429, 5, 1]);
  });
});

describe('codegen, vec4 and packed blocks', () => {
  const chainAt = (shape: number[], blockSizes: number[] = [4, 4], staticShapes = true): Graph => {
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes } }, settings: { staticShapes } });
    return trace((x: Tensor, y: Tensor) => add(x.mul(2), y.add(1)).relu(), { x: shape, y: shape });
  };
  const kernelOf = (g: Graph, limits: CodegenLimits = COMPAT_DEFAULT_LIMITS) => generateProgram(lowerGraph(g, TEMPLATES), TEMPLATES, limits)[0];

  test('[codegen.vec4.1] a full-shape f32 chain of 201 elements: 48 quads as vec4f, a scalar tail of 9 through bindings 256 bytes in', () => {
    const k = kernelOf(chainAt([3, 67]));
    expect(k?.views).toEqual([
      { of: 0, offset: 0, size: 768 },
      { of: 1, offset: 0, size: 768 },
      { of: 2, offset: 0, size: 768 },
      { of: 0, offset: 768, size: 36 },
      { of: 1, offset: 768, size: 36 },
      { of: 2, offset: 768, size: 36 },
    ]);
    expect(k?.wgsl).toContain('var<storage, read> src_x_0: array<vec4f>;');
    expect(k?.wgsl).toContain('@group(0) @binding(3) var<storage, read> src_x_0_tail: array<f32>;');
    expect(k?.wgsl).toContain('let v7 = max(acc, vec4f()); // %7 relu');
    expect(k?.wgsl).toContain('let v3 = (l0 * vec4f(2f)); // %3 mul');
    expect(k?.wgsl).toContain('if (i < 48u) { store_out4(i, load_x4(i) + load_y4(i)); } // elements 4i … 4i+3');
    expect(k?.wgsl).toContain('if (i - 48u >= 9u) { return; } // bounds guard: ragged tail');
    expect(k?.wgsl).toContain('store_out(i - 48u, load_x(i - 48u) + load_y(i - 48u)); // scalar tail');
    // 48 quads and 9 tail elements in 128 lanes: one workgroup.
    expect(k?.grid).toEqual([1, 1, 1]);
  });

  test('[codegen.vec4.2] one quad a lane by default at any size; quadsPerLane U takes U quads, lanes apart, in ⌈(quads + tail)/(L·U)⌉ workgroups', () => {
    const steps = (wgsl: string | undefined): number => (wgsl ?? '').split('\n').filter((l) => /^\s*let i = first/.test(l)).length;
    const at = (n: number, quadsPerLane?: 2 | 4 | 8) => generateProgram(lowerGraph(chainAt([n]), TEMPLATES), TEMPLATES, CORE_DEFAULT_LIMITS, quadsPerLane === undefined ? {} : { quadsPerLane })[0];
    const big = at(1 << 24);
    expect(big?.grid).toEqual([16384, 1, 1]);
    expect(steps(big?.wgsl)).toBe(1);
    const four = at(1 << 24, 4);
    expect(four?.grid).toEqual([4096, 1, 1]);
    expect(steps(four?.wgsl)).toBe(4);
    expect(four?.wgsl).toContain('let i = first + 768u;');
    // 2^22 + 65 elements: 2^20 + 16 quads and a tail of one, 2 a lane over 256 lanes.
    const mid = at((1 << 22) + 65, 2);
    expect(steps(mid?.wgsl)).toBe(2);
    expect(mid?.grid).toEqual([Math.ceil(((1 << 20) + 16 + 1) / 512), 1, 1]);
    expect(steps(at(1 << 20, 8)?.wgsl)).toBe(8);
  });

  test('[codegen.vec4.1] a multiple of 64 has no tail and no second bindings; the pointwise kernel vectorizes too', () => {
    const k = kernelOf(chainAt([128]));
    expect(k?.views).toHaveLength(3);
    expect(k?.wgsl).not.toContain('_tail');
    const g = trace((x: Tensor, y: Tensor) => x.mul(2).add(y).tanh(), { x: [130], y: [130] });
    const p = kernelOf(g);
    expect(p?.wgsl).toContain('tanh(clamp(v4, vec4f(-10f), vec4f(10f)))');
    expect(p?.wgsl).toContain('store_out(i - 32u); // scalar tail');
  });

  test('[codegen.vec4.1] scalar where vec4 does not apply: under 64 elements, an operand broadcast into rows not of a multiple of 4, dynamic shapes, bindings past the limit', () => {
    expect(kernelOf(chainAt([63]))?.views).toBeUndefined();
    expect(kernelOf(chainAt([64]))?.views).toHaveLength(3);
    for (const r of [[66], [4, 1], [1]]) {
      const broadcast = trace((x: Tensor, t: Tensor) => x.add(t).relu(), { x: [4, 66], t: r });
      expect(kernelOf(broadcast)?.views, `x [4,66] + t [${r.join()}]`).toBeUndefined();
    }
    expect(kernelOf(trace((x: Tensor) => x.add(x.transpose()), { x: [16, 16] }))?.wgsl).not.toContain('vec4f');
    expect(kernelOf(chainAt([3, 67], [4, 4], false))?.views).toBeUndefined();
    // 6 bindings with the tail: refused at 5, so the kernel stays scalar with its 3.
    expect(kernelOf(chainAt([3, 67]), { ...COMPAT_DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: 5 })?.views).toBeUndefined();
    expect(generateKernel(lowerGraph(chainAt([3, 67]), TEMPLATES), 0, TEMPLATES, COMPAT_DEFAULT_LIMITS, { vec4: false }).views).toBeUndefined();
  });

  test('[codegen.vec4.3] in rows of a multiple of 4, an operand broadcast along leading dimensions is read in quads, one broadcast along the row is splat, each bound whole; the scalar tail finds it by element index', () => {
    // x [3, 68] + b [68]: 204 elements, 48 quads (192 elements) and a scalar tail of 12.
    const g = trace((x: Tensor, b: Tensor) => x.mul(2).add(b.mul(3)).relu(), { x: [3, 68], b: [68] });
    const k = kernelOf(g);
    expect(k?.wgsl).toContain('let l1 = src_b_1[(i % 17u)]; // %1 [68], broadcast in quads');
    expect(k?.wgsl).toContain('let l1 = src_b_1_tail[((i + 192u) % 68u)];');
    expect(k?.views).toEqual([
      { of: 0, offset: 0, size: 768 },
      { of: 1, offset: 0, size: 272 },
      { of: 2, offset: 0, size: 768 },
      { of: 0, offset: 768, size: 48 },
      { of: 1, offset: 0, size: 272 },
      { of: 2, offset: 768, size: 48 },
    ]);
    // Of rank 3 against [2, 1, 8]: quad i of [2, 3, 8] is quad (i / 6)·2 + i % 2 of [2, 1, 8].
    const lead = kernelOf(trace((x: Tensor, b: Tensor) => x.sub(b), { x: [2, 3, 8], b: [2, 1, 8] }), CORE_DEFAULT_LIMITS);
    expect(lead?.views).toBeUndefined(); // 48 elements: under 64
    const big = kernelOf(trace((x: Tensor, b: Tensor) => x.sub(b), { x: [2, 4, 8], b: [2, 1, 8] }));
    expect(big?.wgsl).toContain('src_b_1[(i / 8u) * 2u + (i % 2u)]');
    // Broadcast along the row ([R, 1], [1], 0-d): one value splat over the quad, bound whole as f32.
    for (const [shape, index] of [[[4, 1], '((i * 4u) / 64u)'], [[1], '0u'], [[], '0u']] as const) {
      const k = kernelOf(trace((x: Tensor, t: Tensor) => x.add(t).relu(), { x: [4, 64], t: [...shape] }));
      expect(k?.wgsl, `t [${shape.join()}]`).toContain(`let l1 = vec4f(src_t_1[${index}]); // %1 [${shape.join()}], broadcast along the row: one value splat over the quad`);
      expect(k?.wgsl).toContain('var<storage, read> src_t_1: array<f32>;');
      expect(k?.views?.[1]).toEqual({ of: 1, offset: 0, size: 4 * Math.max(1, shape[0] ?? 1) });
    }
  });

  test('[templates.add.config] blocks are packed into min(256, the limits) lanes: [4,4] as 256 lanes on core, 128 on compat; a block past the lanes is one workgroup', () => {
    const at = (blockSizes: number[], limits: CodegenLimits) => /@workgroup_size\((\d+), (\d+), 1\)/.exec(kernelOf(chainAt([37], blockSizes), limits)?.wgsl ?? '')?.slice(1).map(Number);
    expect(at([4, 4], CORE_DEFAULT_LIMITS)).toEqual([256, 1]);
    expect(at([4, 4], COMPAT_DEFAULT_LIMITS)).toEqual([128, 1]);
    expect(at([3, 5], COMPAT_DEFAULT_LIMITS)).toEqual([120, 1]);
    expect(at([1, 1], COMPAT_DEFAULT_LIMITS)).toEqual([128, 1]);
    expect(at([8, 32], { ...CORE_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024 })).toEqual([256, 1]);
    expect(at([16, 32], { ...CORE_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupSizeY: 1024 })).toEqual([32, 16]);
    expect(() => kernelOf(chainAt([37], [16, 16]), COMPAT_DEFAULT_LIMITS)).toThrow(/\[codegen\.limits\.1\] .*workgroup 16x16x1/);
  });
});

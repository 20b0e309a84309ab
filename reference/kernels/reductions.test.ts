import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS, createRegistry, generateProgram, interpret, lowerGraph, rmsnorm, RMSNORM_EPS, softmax, trace, TEMPLATES } from '../index.js';
import type { KernelFn, Tensor } from '../index.js';
import type { TemplateContext } from '../registry/template.js';
import type { BindingView } from '../codegen/vector.js';
import { CACHE_CAP, vectorRows } from './row-reduction.js';

// The row-reduction templates' contracts (spec/templates.md [templates.softmax.*], [templates.rmsnorm.*],
// [templates.reduction.*]) on the CPU: normative semantics, shape errors, configs, hooks and masks in the
// generated WGSL. Their numerics: reduction-oracle.test.ts; on a device: reductions.test.ts.

function register(blocks: number[] = [8]): { sm: KernelFn; rms: KernelFn; registry: ReturnType<typeof createRegistry> } {
  const registry = createRegistry();
  const sm = registry.register('softmax', { template: softmax, configs: { default: { blockSizes: blocks } } });
  const rms = registry.register('rmsnorm', { template: rmsnorm, configs: { default: { blockSizes: blocks } } });
  return { sm, rms, registry };
}

describe('row-reduction templates, on the CPU', () => {
  test('[templates.softmax.contract] evaluate is m = max x, e = exp(x − m), y = e / Σe, row by row; the output has x\'s shape', () => {
    const { sm, registry } = register();
    const graph = trace((x: Tensor) => sm(x), { x: [2, 3] });
    const x = Float32Array.of(1, 2, 3, -1000, 0, -1000);
    const [y] = interpret(graph, [x]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + e[2]!;
    expect(Array.from(y ?? [])).toEqual([...e.map((v) => Math.fround(v / s)), 0, 1, 0]);
    expect(graph.nodes[1]?.shape).toEqual([2, 3]);
    expect(() => trace((x: Tensor) => sm(x), { x: [1, 1, 1, 1, 1, 1, 2] })).toThrow(/^\[registry\.call\.3\] softmax\(%0\): argument 0 has rank 7/);
  });

  test('[templates.rmsnorm.contract] evaluate is x·inverseSqrt(Σx²/C + eps)·w; w must be [C]', () => {
    const { rms, registry } = register();
    const graph = trace((x: Tensor, w: Tensor) => rms(x, w), { x: [2, 2], w: [2] });
    const [y] = interpret(graph, [Float32Array.of(3, 4, 0, 0), Float32Array.of(1, 2)]);
    const r = 1 / Math.sqrt(12.5 + RMSNORM_EPS);
    expect(Array.from(y ?? [])).toEqual([Math.fround(3 * r), Math.fround(8 * r), 0, 0]);
    expect(RMSNORM_EPS).toBe(Math.fround(1e-5));
    expect(() => trace((x: Tensor, w: Tensor) => rms(x, w), { x: [2, 3], w: [2] })).toThrow(
      /^\[registry\.call\.shape\] rmsnorm\(%0, %1\): rmsnorm needs w of shape \[3\] \(the last extent of x \[2,3\]\), got \[2\]/,
    );
  });

  test('[templates.reduction.hooks] the kernel body reads arguments only through load_x/load_w and writes only through store_out', () => {
    const { sm, rms, registry } = register([16]);
    for (const f of [(x: Tensor, w: Tensor) => sm(x.mul(w)).relu(), (x: Tensor, w: Tensor) => rms(x.exp(), w.neg()).add(1)]) {
      const graph = trace(f, { x: [3, 40], w: [40] });
      const [k] = generateProgram(lowerGraph(graph, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS);
      const main = (k?.wgsl ?? '').slice((k?.wgsl ?? '').indexOf('@compute'));
      expect(main, k?.wgsl).not.toMatch(/src_|dst/);
      expect(main).toMatch(/store_out\(base \+ (j|lane), /);
      expect(main).toMatch(/load_x\(base \+ (j|lane)\)/);
    }
  });

  test('[templates.reduction.config] blocks [B]: B lanes per row, R·B·4 bytes of partials per reduction, a tree of ⌈log2 B / 5⌉ barriered levels', () => {
    for (const lanes of [1, 5, 64, 100, 128]) {
      const { sm, registry } = register([lanes]);
      const graph = trace((x: Tensor) => sm(x), { x: [7, 11] });
      const [k] = generateProgram(lowerGraph(graph, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS);
      const packed = lanes < 128 ? Math.floor(128 / lanes) : 1;
      expect(k?.wgsl).toContain(`@workgroup_size(${lanes * packed}, 1, 1)`);
      if (lanes > 1) expect(k?.wgsl).toContain(`var<workgroup> sm_max: array<f32, ${lanes * packed}>;`);
      else expect(k?.wgsl).not.toContain('var<workgroup>');
      expect(k?.grid).toEqual([Math.ceil(7 / packed), 1, 1]);
      // Two reductions, each a publication barrier and one per intermediate level; none between them.
      const barriers = (k?.wgsl.match(/workgroupBarrier\(\)/g) ?? []).length;
      expect(barriers).toBe(2 * Math.ceil(Math.ceil(Math.log2(lanes)) / 5));
    }
  });

  test('[codegen.limits.5] a reduction config that needs more workgroup memory than the device allows is a compile error naming both numbers', () => {
    const { rms, registry } = register([128]);
    const graph = trace((x: Tensor, w: Tensor) => rms(x, w), { x: [2, 300], w: [300] });
    const small = { ...COMPAT_DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 256 };
    expect(() => generateProgram(lowerGraph(graph, registry.templates), registry.templates, small)).toThrow(
      /^\[codegen\.limits\.5\] kernel k0 \(rmsnorm .*\): needs 512 bytes of workgroup memory; the device allows 256\. hint: pick smaller block sizes/,
    );
  });

  test('[templates.reduction.ragged] the body masks by the loop bound and never returns after the grid guard: masked lanes reach every barrier', () => {
    for (const lanes of [1, 3, 8, 100]) {
      for (const shape of [[1], [4, 1], [2, 3, 131], [1000]]) {
        const { sm, rms, registry } = register([lanes]);
        const cols = shape[shape.length - 1] ?? 1;
        const graph = trace((x: Tensor, w: Tensor) => [sm(x.neg()), rms(x, w)], { x: shape, w: [cols] });
        for (const k of generateProgram(lowerGraph(graph, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS).filter((s) => s.plan.call !== undefined)) {
          const body = k.wgsl.split('// grid guard')[1] ?? '';
          expect(body, k.wgsl).not.toMatch(/\breturn\b/);
          if (Math.ceil(cols / lanes) > CACHE_CAP) expect(body).toMatch(new RegExp(`for \\(var j = lane; j < n; j \\+= ${lanes}u\\) \\{ // mask`));
          else if (cols % lanes !== 0) expect(body).toMatch(/let ok\d+ = lane( \+ \d+u)? < n; \/\/ mask: the row's ragged end/);
          // A packed row past the last is masked wherever the rows do not fill the last workgroup.
          const packed = lanes < 128 ? Math.floor(128 / lanes) : 1;
          const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
          expect(body.includes('let live = row <')).toBe(rows % packed !== 0);
        }
      }
    }
  });

  test('[shapes.dynamic.1] under staticShapes: false the reduction kernels\' WGSL does not depend on the row length or the row count', () => {
    const wgslAt = (shape: number[]): string => {
      const registry = createRegistry();
      const settings = { staticShapes: false };
      const sm = registry.register('softmax', { template: softmax, configs: { default: { blockSizes: [16] } }, settings });
      const rms = registry.register('rmsnorm', { template: rmsnorm, configs: { default: { blockSizes: [16] } }, settings });
      const graph = trace((x: Tensor, w: Tensor) => [sm(x).relu(), rms(x.mul(2), w)], { x: shape, w: [shape[shape.length - 1] ?? 1] });
      return generateProgram(lowerGraph(graph, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS).map((k) => k.wgsl).join('\n');
    };
    expect(wgslAt([3, 37])).toBe(wgslAt([40, 5]));
    expect(wgslAt([2, 1, 7])).toBe(wgslAt([9, 1, 300]));
    expect(wgslAt([3, 37])).not.toBe(wgslAt([1, 37]));
  });

  test('[registry.config.1] the row-reduction templates refuse blocks that are not one positive integer themselves, not only through the registry', () => {
    const ctx = (blockSizes: number[]): TemplateContext => ({ argShapes: [[2, 3], [3]], outShape: [2, 3], config: { blockSizes }, loadHooks: ['load_x', 'load_w'], storeHook: 'store_out', size: String, lanes: 128 });
    for (const template of [softmax, rmsnorm]) {
      for (const bad of [[], [0], [-4], [1.5]]) {
        expect(() => template.emit(ctx(bad))).toThrow(new RegExp(`^\\[registry\\.config\\.1\\] ${template.id}: blockSizes \\[${bad.join(',')}\\] must be one positive integer, the lanes per row$`));
      }
      expect(template.emit(ctx([1])).workgroupSize).toEqual([128, 1, 1]);
      expect(template.emit(ctx([3])).workgroupSize).toEqual([126, 1, 1]);
      expect(template.emit(ctx([128])).workgroupSize).toEqual([128, 1, 1]);
    }
  });

  /** The entry point of each template kernel for x of `shape`: softmax(x) and rmsnorm(x, w). */
  function mains(lanes: number, shape: number[], staticShapes = true, limits = COMPAT_DEFAULT_LIMITS, vec4 = true): { wgsl: string; main: string; grid: readonly number[]; views?: readonly BindingView[] }[] {
    const registry = createRegistry();
    const settings = { staticShapes };
    const sm = registry.register('softmax', { template: softmax, configs: { default: { blockSizes: [lanes] } }, settings });
    const rms = registry.register('rmsnorm', { template: rmsnorm, configs: { default: { blockSizes: [lanes] } }, settings });
    const graph = trace((x: Tensor, w: Tensor) => [sm(x), rms(x, w)], { x: shape, w: [shape[shape.length - 1] ?? 1] });
    return generateProgram(lowerGraph(graph, registry.templates), registry.templates, limits, { vec4 }).map((k) => ({ wgsl: k.wgsl, main: k.wgsl.slice(k.wgsl.indexOf('@compute')), grid: k.grid, ...(k.views === undefined ? {} : { views: k.views }) }));
  }

  test('[templates.reduction.cache] static shapes with C ≤ B·P: each element of the row is loaded once, into registers; otherwise the passes loop and reload', () => {
    // Scalar loads here; rows in quads: [templates.reduction.vec4].
    for (const [lanes, cols] of [[16, 40], [8, 37], [1, 1], [1, 32], [3, 96], [128, 4096], [5, 3]] as const) {
      const perLane = Math.ceil(cols / lanes);
      for (const k of mains(lanes, [3, cols], true, COMPAT_DEFAULT_LIMITS, false)) {
        expect(k.main, k.wgsl).not.toMatch(/\bfor \(/);
        // One load of x per register, a constant offset each: no loop, no dynamic index.
        expect((k.main.match(/load_x\(/g) ?? []).length).toBe(perLane);
        expect(k.main).toContain(`var x${perLane - 1} = `);
        expect(k.main).not.toContain(`var x${perLane} = `);
        expect(k.main.includes('// mask: the row\'s ragged end')).toBe(cols % lanes !== 0);
      }
      const [sm, rms] = mains(lanes, [3, cols], true, COMPAT_DEFAULT_LIMITS, false);
      // The formulas of the multi-pass code, on the cached values.
      expect(sm?.main).toMatch(/x\d+ = exp\(x\d+ - row_max\);|x\d+ = select\(0f, exp\(x\d+ - row_max\), ok\d+\);/);
      expect(sm?.main).toMatch(/store_out\(base \+ lane[^,]*, x\d+ \/ total\);/);
      expect(rms?.main).toMatch(/store_out\(base \+ lane[^,]*, x\d+ \* scale \* load_w\(lane[^)]*\)\);/);
    }
    // Past P = 32 values a lane, or under dynamic shapes, the row is reloaded on every pass.
    for (const [lanes, cols, staticShapes] of [[1, 33, true], [8, 257, true], [16, 40, false]] as const) {
      const [sm, rms] = mains(lanes, [2, cols], staticShapes);
      expect((sm?.main.match(/load_x\(base \+ j\)/g) ?? []).length).toBe(3);
      expect((rms?.main.match(/load_x\(base \+ j\)/g) ?? []).length).toBe(2);
    }
    expect(CACHE_CAP).toBe(32);
  });

  test('[templates.reduction.rows] B below 128 and the device\'s streaming lanes packs ⌊lanes/B⌋ rows per workgroup, each row\'s partials in its own segment; rows past the last masked', () => {
    const cases = [
      { lanes: 8, shape: [5, 37], limits: COMPAT_DEFAULT_LIMITS, packed: 16 },
      { lanes: 33, shape: [7, 40], limits: COMPAT_DEFAULT_LIMITS, packed: 3 },
      { lanes: 64, shape: [8, 300], limits: CORE_DEFAULT_LIMITS, packed: 4 },
      { lanes: 1, shape: [300, 3], limits: COMPAT_DEFAULT_LIMITS, packed: 128 },
      { lanes: 100, shape: [4, 9], limits: CORE_DEFAULT_LIMITS, packed: 2 },
      // A row of 128 lanes or more is a workgroup of its own, also where the device grants 256 (PACK_BELOW).
      { lanes: 128, shape: [4, 9], limits: CORE_DEFAULT_LIMITS, packed: 1 },
      { lanes: 128, shape: [4, 9], limits: COMPAT_DEFAULT_LIMITS, packed: 1 },
    ];
    for (const { lanes, shape, limits, packed } of cases) {
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      for (const staticShapes of [true, false]) {
        for (const k of mains(lanes, shape, staticShapes, limits)) {
          expect(k.wgsl).toContain(`@workgroup_size(${lanes * packed}, 1, 1)`);
          expect(k.grid).toEqual([Math.ceil(rows / packed), 1, 1]);
          if (lanes > 1) for (const [, size] of k.wgsl.matchAll(/var<workgroup> \w+: array<f32, (\d+)>/g)) expect(Number(size)).toBe(lanes * packed);
          if (packed === 1) expect(k.main).toContain('let row = tile;');
          else expect(k.main).toContain(`let row = tile * ${packed}u + lid.x`);
          // Each row reads and writes partials only in its own segment.
          if (packed > 1 && lanes > 1) expect(k.main.match(/\w+_\w+\[(?!seg \+ )[^\]]*\]/g) ?? [], k.main).toEqual([]);
          expect(k.main.includes('let live = row < ')).toBe(packed > 1 && (!staticShapes || rows % packed !== 0));
        }
      }
    }
  });
  test('[templates.reduction.vec4] rows of a multiple of 4 cached in registers, in a tensor of a multiple of 64 elements: loaded and stored as quads (rmsnorm\'s w too), the max and sums folded across each quad; anything else stays scalar', () => {
    // [lanes, shape]: quads a lane P4 = ⌈C/4B⌉, the ragged quad masked when B does not divide C/4.
    for (const [lanes, shape] of [[128, [3, 4096]], [5, [8, 64]], [8, [16, 32]], [3, [16, 12]], [1, [2, 32]], [100, [16, 4]]] as const) {
      const cols = shape[1];
      const quads = Math.ceil(cols / 4 / lanes);
      expect(vectorRows(shape, { blockSizes: [lanes] })).toBe(true);
      const [sm, rms] = mains(lanes, [...shape]);
      expect(sm?.wgsl).toMatch(/var<storage, read> src_x_0: array<vec4f>;/);
      expect(sm?.main, sm?.wgsl).not.toMatch(/\bfor \(|load_x\(|store_out\(/);
      expect((sm?.main.match(/load_x4\(base \+ lane/g) ?? []).length).toBe(quads);
      expect((sm?.main.match(/store_out4\(base \+ lane/g) ?? []).length).toBe(quads);
      expect(sm?.main).toContain(`let n = ${cols / 4}u; // row length in quads`);
      expect(sm?.main).toContain(`var x${quads - 1} = vec4f(`);
      expect(sm?.main).not.toContain(`var x${quads} = `);
      expect(sm?.main.includes('// mask: the row\'s ragged end')).toBe((cols / 4) % lanes !== 0);
      expect(sm?.main).toContain('let m = max(max(m4.x, m4.y), max(m4.z, m4.w));');
      expect(sm?.main).toContain('let s = (s4.x + s4.y) + (s4.z + s4.w);');
      // rmsnorm reads w [C] a quad at a time too, bound whole: quad q of a row weighs by quad q of w.
      expect(rms?.wgsl).toMatch(/var<storage, read> src_w_1: array<vec4f>;/);
      expect(rms?.main, rms?.wgsl).not.toMatch(/\bfor \(|load_[xw]\(|store_out\(/);
      expect((rms?.main.match(/load_x4\(base \+ lane/g) ?? []).length).toBe(quads);
      expect((rms?.main.match(/store_out4\(base \+ lane(?: \+ (\d+)u)?, x\d+ \* scale \* load_w4\(lane(?: \+ \1u)?\)\)/g) ?? []).length, rms?.wgsl).toBe(quads);
      expect(rms?.main).toContain('let s = (s4.x + s4.y) + (s4.z + s4.w);');
      expect(rms?.main).toContain(`inverseSqrt(ss / f32(${cols}u)`);
      expect(rms?.views?.[1]).toEqual({ of: 1, offset: 0, size: 4 * cols });
    }
    // C not a multiple of 4; the tensor not a multiple of 64 elements; more than 32 elements a lane;
    // dynamic shapes; a broadcast prologue operand: scalar.
    const scalar = (k: { wgsl: string } | undefined): void => expect(k?.wgsl, k?.wgsl).not.toContain('vec4f');
    for (const [lanes, shape] of [[8, [64, 37]], [8, [3, 20]], [1, [2, 64]], [4, [16, 144]]] as const) {
      expect(vectorRows(shape, { blockSizes: [lanes] })).toBe(false);
      mains(lanes, [...shape]).forEach(scalar);
    }
    mains(8, [16, 32], false).forEach(scalar);
    const { sm, rms, registry } = register([8]);
    const first = (f: (x: Tensor, w: Tensor, r: Tensor, c: Tensor) => Tensor): { wgsl: string } | undefined => {
      const graph = trace(f, { x: [16, 32], w: [32], r: [1], c: [16, 1] });
      return generateProgram(lowerGraph(graph, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS)[0];
    };
    // Broadcast along leading dimensions only, the row's length: read in quads ([codegen.vec4.3]).
    expect(first((x, w) => sm(x.mul(w)))?.wgsl).toContain('src_w_1[(i % 8u)]; // %1 [32], broadcast in quads');
    expect(first((x, w) => rms(x, w).mul(w))?.wgsl).toMatch(/fn store_out4\(i: u32, acc: vec4f\) \{\n\s+let l1 = src_w_1\[\(i % 8u\)\];/);
    // A [1] broadcast in w's prologue, a column broadcast along the row: one value splat over each quad.
    expect(first((x, w, r) => rms(x, w.mul(r)))?.wgsl).toContain('let l2 = vec4f(src_r_2[0u]); // %2 [1], broadcast along the row');
    expect(first((x, _w, _r, c) => sm(x.add(c)))?.wgsl).toContain('let l3 = vec4f(src_c_3[((i * 4u) / 32u)]); // %3 [16,1], broadcast along the row');
  });
});

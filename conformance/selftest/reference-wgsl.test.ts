import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES, trace } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { buildFusionCase, SEED_CASE } from '../generators/fusion-case.js';
import type { FusionCase } from '../generators/fusion-case.js';
import { DYNAMIC, reshapedPair, retypedPair } from '../properties/shape-change.js';

// The reference's WGSL under static and dynamic shapes (spec/shapes.md), compiled without a device:
// how it keeps one pipeline for every shape of a structure is its own choice, so this is a selftest.

const wgslOf = (fcase: FusionCase, settings: { staticShapes: boolean }): string => {
  const b = buildFusionCase(fcase, settings);
  return generateProgram(lowerGraph(b.graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS, { f16: true }).map((k) => k.wgsl).join('\n');
};

describe('shapes, compile-only', () => {
  test('[shapes.dynamic.1] under staticShapes: false the WGSL does not depend on extents, only on ranks and broadcast patterns', () => {
    fc.assert(
      fc.property(reshapedPair, ([a, b]) => {
        expect(wgslOf(b, DYNAMIC)).toBe(wgslOf(a, DYNAMIC));
      }),
      { numRuns: 200 },
    );
    expect(wgslOf(SEED_CASE, DYNAMIC)).toContain('var<uniform> sizes');
  });

  test('[shapes.static.1] under staticShapes: true extents are baked in, so a new shape is new WGSL', () => {
    const other = { ...SEED_CASE, shape: [5, 9] };
    expect(wgslOf(other, { staticShapes: true })).not.toBe(wgslOf(SEED_CASE, { staticShapes: true }));
    expect(wgslOf(SEED_CASE, { staticShapes: true })).not.toContain('sizes');
  });

  test('[shapes.guard.1] a change of rank, broadcast pattern or settings gives other WGSL, never a reused kernel', () => {
    const base = wgslOf({ ...SEED_CASE, shape: [6, 7] }, DYNAMIC);
    expect(wgslOf({ ...SEED_CASE, shape: [6, 7, 2] }, DYNAMIC)).not.toBe(base);
    expect(wgslOf({ ...SEED_CASE, shape: [1, 7] }, DYNAMIC)).not.toBe(base);
    const withRow = { ...SEED_CASE, shape: [6, 7], epilogue: [{ op: 'add', operand: { kind: 'tensor', broadcast: 'row', range: [-1, 1] }, swap: false }] } as FusionCase;
    const withColumn = { ...withRow, epilogue: [{ op: 'add', operand: { kind: 'tensor', broadcast: 'column', range: [-1, 1] }, swap: false }] } as FusionCase;
    expect(wgslOf(withColumn, DYNAMIC)).not.toBe(wgslOf(withRow, DYNAMIC));
    const built = buildFusionCase(SEED_CASE, { ...DYNAMIC, fusion: false });
    expect(generateProgram(lowerGraph(built.graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS)).toHaveLength(4);
  });
});

describe('dtypes, compile-only', () => {
  test('[shapes.guard.2] the same graph in f16 and in f32 (same extents and structure) gives other WGSL, in the fused and the eager kernels', () => {
    fc.assert(
      fc.property(retypedPair, ([f16, f32]) => {
        for (const fuse of [true, false]) {
          const wgsl = (g: typeof f16.graph): string[] => generateProgram(lowerGraph(g, TEMPLATES, { fuse }), TEMPLATES, COMPAT_DEFAULT_LIMITS, { f16: true, canonical: !fuse }).map((k) => k.wgsl);
          const [a, b] = [wgsl(f16.graph), wgsl(f32.graph)];
          expect(a.length).toBe(b.length);
          a.forEach((w, k) => expect(w).not.toBe(b[k]));
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('eager kernels, compile-only', () => {
  type G = Parameters<typeof lowerGraph>[0];
  const eagerWgsl = (graph: G): string[] =>
    generateProgram(lowerGraph(graph, TEMPLATES, { fuse: false }), TEMPLATES, COMPAT_DEFAULT_LIMITS, { canonical: true }).map((k) => k.wgsl);
  // Every constant of a graph moved by a half: the same structure with other values.
  const otherConstants = (g: G): G => ({ ...g, nodes: g.nodes.map((n) => (n.kind === 'const' ? { ...n, value: Math.fround(n.value + 0.5) } : n)) });

  test('[runtime.cache.2] eager kernels are canonical: other extents, other constants and other node ids give the same WGSL, so the same pipelines', () => {
    fc.assert(
      fc.property(reshapedPair, ([a, b]) => {
        // Static shapes: the eager executor moves extents into the uniform whatever the call settings say.
        expect(eagerWgsl(buildFusionCase(b).graph)).toEqual(eagerWgsl(buildFusionCase(a).graph));
        expect(eagerWgsl(otherConstants(buildFusionCase(a).graph))).toEqual(eagerWgsl(buildFusionCase(a).graph));
      }),
      { numRuns: 100 },
    );
    // relu of an input, and relu of a computed value two nodes later: one text.
    const [relu] = eagerWgsl(trace((x: Tensor) => x.relu(), { x: [5, 3] }));
    const later = eagerWgsl(trace((x: Tensor, y: Tensor) => x.add(y).neg().relu(), { x: [5, 3], y: [5, 3] }));
    expect(later).toContain(relu);
    expect(relu).toContain('var<uniform> sizes');
    expect(relu).not.toMatch(/\b(3|5|15)u\b/);
  });
});

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph } from '../reference/index.js';
import type { Shape } from '../reference/index.js';
import { fusedReference } from '../reference/implementation.js';
import type { Gpu } from '../reference/runtime/gpu.js';
import type { Implementation } from '../spec/implementation.js';
import { buildFusionCase, fusionCaseArbitrary, SEED_CASE } from './arbitraries/fusion-case.js';
import type { FusionCase } from './arbitraries/fusion-case.js';
import { gate } from './harness/gates.js';
import { runProgram } from './harness/run-program.js';
import { SHAPE_MUTANTS } from './mutants.js';
import { checkCase, ConformanceFailure } from './properties/check.js';
import { implementationUnderTest } from './properties/implementation-under-test.js';
import { ruleThatCatches } from './properties/meta.js';
import { assertProperty, propertySettings } from './properties/params.js';

// Dynamic shapes: with staticShapes: false one compiled pipeline serves every shape of the same rank
// and broadcast pattern, and the harness counts the pipelines each compile creates.

const impl = await implementationUnderTest();
const DYNAMIC = { staticShapes: false } as const;

/** The same case at other extents: every extent above 1 replaced, every 1 kept, so the structure holds. */
const reshapedPair = fc
  .tuple(fusionCaseArbitrary(), fc.array(fc.integer({ min: 0, max: 1 << 20 }), { minLength: 4, maxLength: 4 }))
  .map(([a, draws]): [FusionCase, FusionCase] => {
    const perDim = Math.max(2, Math.floor(4096 ** (1 / a.shape.length)));
    const shape: Shape = a.shape.map((e, d) => (e === 1 ? 1 : 2 + ((draws[d] ?? 0) % (perDim - 1))));
    return [a, { ...a, shape }];
  });

/** The same case at another rank: extents re-drawn, so the structure changes while the chains do not. */
const rerankedPair = fc
  .tuple(fusionCaseArbitrary(), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }))
  .filter(([a, rank]) => rank !== a.shape.length)
  .map(([a, rank, extents]): [FusionCase, FusionCase] => [a, { ...a, shape: extents.slice(0, rank) }]);

const wgslOf = (fcase: FusionCase, settings: { staticShapes: boolean }): string => {
  const b = buildFusionCase(fcase, settings);
  return generateProgram(lowerGraph(b.graph, b.kernels), b.kernels, COMPAT_DEFAULT_LIMITS).map((k) => k.wgsl).join('\n');
};

/** Pipelines the harness saw created while `impl` compiled `fcase`, after checking the case itself. */
async function pipelinesFor(implementation: Implementation, fcase: FusionCase, gpu: Gpu): Promise<number> {
  const built = buildFusionCase(fcase, DYNAMIC);
  const run = await runProgram(implementation, built.graph, built.kernels, built.inputs, gpu);
  if (!run.ok) throw new ConformanceFailure('interface.run.1', `${implementation.name} failed at ${run.stage}: ${run.message}`);
  return run.compileCounts.pipelinesCreated;
}

/** The dynamic-shape property: both shapes conform, and the second compile creates no pipeline. */
async function checkShapeChange(implementation: Implementation, a: FusionCase, b: FusionCase, gpu: Gpu): Promise<void> {
  // Counted first, before the checks below compile either shape again.
  await pipelinesFor(implementation, a, gpu);
  const created = await pipelinesFor(implementation, b, gpu);
  if (created !== 0) {
    throw new ConformanceFailure('shapes.dynamic.2', `${implementation.name}: compiling [${a.shape.join(',')}] then [${b.shape.join(',')}] under staticShapes: false created ${created} new pipeline(s); expected none`);
  }
  for (const fcase of [a, b]) {
    const built = buildFusionCase(fcase, DYNAMIC);
    await checkCase(implementation, { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount }, gpu, { execute: true });
  }
}

/** The guard property: a graph compiled at one rank and then another conforms at both, each dynamic. */
async function checkRankChange(implementation: Implementation, a: FusionCase, b: FusionCase, gpu: Gpu): Promise<void> {
  for (const fcase of [a, b]) {
    const built = buildFusionCase(fcase, DYNAMIC);
    await checkCase(implementation, { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount }, gpu, { execute: true });
  }
}

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
    expect(generateProgram(lowerGraph(built.graph, built.kernels), built.kernels, COMPAT_DEFAULT_LIMITS)).toHaveLength(4);
  });
});

describe(`shapes on a device: ${impl.name}`, () => {
  test('[shapes.dynamic.2] one program serves many shapes: the second compile creates no pipeline, and both shapes conform', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const property = fc.asyncProperty(reshapedPair, async ([a, b]) => checkShapeChange(impl, a, b, gpu));
    // Each case compiles and checks two shapes, so it runs a quarter of the usual count.
    const settings = propertySettings();
    await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns / 4)) } });
  });

  test('[shapes.static.1] under staticShapes: true the reference builds a new pipeline for a new shape', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const run = async (shape: Shape): Promise<number> => {
      const built = buildFusionCase({ ...SEED_CASE, shape: [...shape] }, { staticShapes: true });
      const r = await runProgram(fusedReference, built.graph, built.kernels, built.inputs, gpu);
      if (!r.ok) throw new Error(r.message);
      return r.compileCounts.pipelinesCreated;
    };
    await run([11, 13]);
    expect(await run([11, 13])).toBe(0);
    expect(await run([13, 11])).toBe(1);
  });

  test('[shapes.guard.1] a graph compiled at one rank and then at another conforms at both: no kernel is reused across ranks', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const property = fc.asyncProperty(rerankedPair, async ([a, b]) => checkRankChange(impl, a, b, gpu));
    const settings = propertySettings();
    await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns / 4)) } });
  });

  for (const mutant of SHAPE_MUTANTS.filter((m) => m.name === 'stale-across-rank')) {
    test(`[meta.mutant.${mutant.name}] the rank-guard property catches: ${mutant.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const rule = await ruleThatCatches(mutant.name, rerankedPair, ([a, b]) => checkRankChange(mutant.implementation, a, b, gpu), 50);
      expect(['numerics.oracle.1', 'interface.buffers.2', 'interface.run.1']).toContain(rule);
    });
  }

  for (const mutant of SHAPE_MUTANTS.filter((m) => m.name !== 'stale-across-rank')) {
    test(`[meta.mutant.${mutant.name}] the dynamic-shape property catches: ${mutant.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const rule = await ruleThatCatches(mutant.name, reshapedPair, ([a, b]) => checkShapeChange(mutant.implementation, a, b, gpu), 50);
      expect(mutant.name === 'ignores-dynamic-shapes' ? ['shapes.dynamic.2'] : ['numerics.oracle.1', 'interface.buffers.2']).toContain(rule);
    });
  }
});

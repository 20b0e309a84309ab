import fc from 'fast-check';
import { describe, test } from 'vitest';
import type { TestContext } from 'vitest';
import { buildReductionCase, SOFTMAX_SEED_CASE } from '../generators/reduction-case.js';
import { gate } from '../harness/gates.js';
import { implementationUnderTest, requirePart } from '../properties/implementation-under-test.js';
import { assertProperty, propertySettings } from '../properties/params.js';
import { checkMatmulShapeChange, checkRankChange, checkSecondShape, checkShapeChange, DYNAMIC, rerankedPair, reshapedMatmulPair, reshapedPair } from '../properties/shape-change.js';
import { newStats } from '../properties/stats.js';

// spec/shapes.md, judged on an executing adapter against the implementation under test: under
// staticShapes: false one program serves every shape of a structure (no new pipeline, both shapes
// conform), and a graph compiled at one rank and then another conforms at both.

const impl = await implementationUnderTest();

/** Runs a shape property with a fraction of the usual case count (each case compiles and checks two shapes). */
async function shapeProperty<T>(ctx: TestContext, arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>, fraction: number): Promise<void> {
  const stats = newStats();
  const t0 = performance.now();
  const settings = propertySettings();
  const property = fc.asyncProperty(arbitrary, async (value) => {
    await check(value);
    stats.cases += 1;
  });
  await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns * fraction)) }, file: 'conformance/judge/shapes.test.ts' });
  stats.ms = performance.now() - t0;
  ctx.task.meta.wgfuse = stats;
}

describe(`shapes on a device: ${impl.name}`, () => {
  test('[shapes.dynamic.2] one program serves many shapes: the second compile creates no pipeline, and both shapes conform', async (ctx) => {
    requirePart(ctx, impl, 'dynamic-shapes');
    const gpu = await gate(ctx, { execution: true });
    await shapeProperty(ctx, reshapedPair, ([a, b]) => checkShapeChange(impl, a, b, gpu), 1 / 4);
  });

  test('[shapes.dynamic.2] matmul: a second shape of the same structure creates no pipeline, and both shapes conform', async (ctx) => {
    requirePart(ctx, impl, 'dynamic-shapes');
    const gpu = await gate(ctx, { execution: true });
    await shapeProperty(ctx, reshapedMatmulPair, ([a, b]) => checkMatmulShapeChange(impl, a, b, gpu), 1 / 8);
  });

  test('[shapes.dynamic.2] softmax and rmsnorm: a second shape of the same structure creates no pipeline, and both shapes conform', async (ctx) => {
    requirePart(ctx, impl, 'dynamic-shapes');
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    for (const template of ['softmax', 'rmsnorm'] as const) {
      const [a, b] = [[3, 37], [11, 130]].map((shape) => buildReductionCase({ ...SOFTMAX_SEED_CASE, template, shape, ...DYNAMIC }));
      await checkSecondShape(impl, a!, b!, gpu, `${template} at [3,37] then [11,130]`);
      stats.cases += 2;
    }
    ctx.task.meta.wgfuse = stats;
  });

  test('[shapes.guard.1] a graph compiled at one rank and then at another conforms at both: no kernel is reused across ranks', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    await shapeProperty(ctx, rerankedPair, ([a, b]) => checkRankChange(impl, a, b, gpu), 1 / 4);
  });
});

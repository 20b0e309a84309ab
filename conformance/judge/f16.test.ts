import fc from 'fast-check';
import { describe, test } from 'vitest';
import { gate } from '../harness/gates.js';
import { implementationUnderTest, requirePart } from '../properties/implementation-under-test.js';
import { assertProperty, propertySettings } from '../properties/params.js';
import { checkDtypeChange, retypedPair } from '../properties/shape-change.js';
import { newStats } from '../properties/stats.js';
import { judgeRandomProperty } from '../properties/judge-property.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';

// spec/numerics.md [numerics.f16.*], judged on an executing adapter with the shader-f16 feature against
// the implementation under test: mixed-precision chains of f16 tensors and explicit casts around the
// add kernel, softmax and rmsnorm are one kernel, every result lies in the f16 acceptance intervals,
// and every value the graph rounds to f16 is one. Where the device lacks shader-f16 each test skips,
// saying so and where to get it.

const impl = await implementationUnderTest();
const FILE = 'conformance/judge/f16.test.ts';

describe(`f16 on a device: ${impl.name}`, () => {
  for (const property of Object.values(RANDOM_PROPERTIES).filter((p) => p.testFile === FILE)) {
    test(property.testTitle, async (ctx) => {
      await judgeRandomProperty(property, impl, ctx);
    });
  }

  test('[shapes.guard.2] a graph compiled in f16 and then in f32, and in f32 and then in f16 (same extents, same structure, dynamic shapes), conforms each time: no kernel is reused across dtypes', async (ctx) => {
    requirePart(ctx, impl, 'dynamic-shapes');
    const gpu = await gate(ctx, RANDOM_PROPERTIES.f16.needs);
    const stats = newStats();
    const t0 = performance.now();
    const settings = propertySettings();
    const property = fc.asyncProperty(retypedPair, async ([f16, f32]) => {
      // Both orders: f16 after f32 too.
      await checkDtypeChange(impl, f16, f32, gpu);
      await checkDtypeChange(impl, f32, f16, gpu);
      stats.cases += 4;
    });
    await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns / 8)) }, file: FILE });
    stats.ms = performance.now() - t0;
    ctx.task.meta.wgfuse = stats;
  });
});

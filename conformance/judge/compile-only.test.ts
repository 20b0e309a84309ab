import fc from 'fast-check';
import { describe, test } from 'vitest';
import { acquireGpu } from '../harness/device.js';
import type { Gpu } from '../harness/device.js';
import { buildFusionCase, fusionCaseArbitrary } from '../generators/fusion-case.js';
import { adapterRequired } from '../harness/gates.js';
import { formatAttempts } from '../harness/capabilities.js';
import { PATTERNS, patternCase } from '../generators/patterns.js';
import { checkCase, oneKernel } from '../properties/check.js';
import { ExpectedFailures } from '../properties/expected-failures.js';
import { implementationUnderTest, requirePart } from '../properties/implementation-under-test.js';
import { assertProperty, propertySettings } from '../properties/params.js';
import { countCase, newStats } from '../properties/stats.js';

// The validation tier: Dawn's null backend compiles WGSL and creates pipelines but runs nothing. Kernel
// counts are still counted by the harness at submit, so these checks need no executing adapter.

const impl = await implementationUnderTest();
let nullGpu: Promise<Gpu | string> | undefined;

async function validationDevice(ctx: { skip(note?: string): never }): Promise<Gpu> {
  nullGpu ??= acquireGpu({ backend: 'null' }).then((a) => (a.ok ? a.gpu : `Dawn's null backend is unavailable: ${formatAttempts(a.attempts)}`));
  const gpu = await nullGpu;
  if (typeof gpu !== 'string') {
    // A device without what the implementation declares it needs judges nothing of it ([interface.needs.1]).
    if (gpu.unmetNeeds.length > 0) return ctx.skip(`the implementation under test declares needs this adapter cannot meet: ${gpu.unmetNeeds.join('; ')}`);
    return gpu;
  }
  if (adapterRequired()) throw new Error(`[harness.gate.2] WGFUSE_REQUIRE_ADAPTER=1: ${gpu}`);
  return ctx.skip(gpu);
}

describe(`compile-only on Dawn's null backend: ${impl.name}`, () => {
  for (const p of PATTERNS) {
    test(`[${p.rule}] compile-only: ${p.name}: WGSL accepted, ${p.fusedKernels} kernel(s) submitted`, async (ctx) => {
      if (p.rule === 'fusion.settings.1') requirePart(ctx, impl, 'fusion-off');
      const gpu = await validationDevice(ctx);
      await checkCase(impl, patternCase(p, 7), gpu, { execute: false });
    });
  }

  test('[fusion.chain.1] compile-only: random chains around a kernel compile and submit one kernel', async (ctx) => {
    const gpu = await validationDevice(ctx);
    const stats = newStats();
    const t0 = performance.now();
    // Past the failures the expectations name, every case is still judged ([suite.expect.3]).
    const expected = ExpectedFailures.forTest(ctx.task.name);
    const property = fc.asyncProperty(fusionCaseArbitrary(), async (fcase) => {
      const built = buildFusionCase(fcase);
      const report = await expected.judge(checkCase(impl, oneKernel(built), gpu, { execute: false, expectedToFail: expected.rules }), built.description);
      if (report !== undefined) countCase(stats, report.fused, report.eager);
      // Stopped at a stage, as expected: a case judged, with no kernels to count.
      else stats.cases += 1;
    });
    await assertProperty(ctx.task.name, property, { settings: { ...propertySettings(), numRuns: Math.min(propertySettings().numRuns, 100) } });
    stats.ms = performance.now() - t0;
    ctx.task.meta.wgfuse = stats;
    const failure = expected.failure(impl.name);
    if (failure !== undefined) throw failure;
  });
});

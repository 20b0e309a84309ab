import fc from 'fast-check';
import { describe, test } from 'vitest';
import { buildFusionCase, buildPointwiseCase, fusionCaseArbitrary, pointwiseCaseArbitrary, SEED_CASE } from './arbitraries/fusion-case.js';
import type { BuiltCase } from './arbitraries/fusion-case.js';
import { fillInputs } from './arbitraries/built-case.js';
import { gate } from './harness/gates.js';
import { PATTERNS } from './patterns.js';
import { checkCase } from './properties/check.js';
import type { CaseUnderTest } from './properties/check.js';
import { implementationUnderTest } from './properties/implementation-under-test.js';
import { assertProperty } from './properties/params.js';
import { countCase, newStats } from './properties/stats.js';
import type { CaseStats } from './properties/stats.js';
import type { Gpu } from '../reference/runtime/gpu.js';

// The conformance properties on an executing adapter, against the implementation under test
// (WGFUSE_IMPL, default the reference): kernel counts by the harness, fused ≈ eager ≈ interpreter.

const impl = await implementationUnderTest();

function underTest(built: BuiltCase, fusedKernels: number): CaseUnderTest {
  return { ...built, fusedKernels, eagerKernels: built.opCount + built.callCount };
}

/** Runs the checks on random cases that must each be one kernel; returns what the report shows. */
async function runRandomCases<T>(title: string, arbitrary: fc.Arbitrary<T>, build: (t: T) => BuiltCase, gpu: Gpu, examples: T[]): Promise<CaseStats> {
  const stats = newStats();
  const t0 = performance.now();
  const property = fc.asyncProperty(arbitrary, async (value) => {
    const report = await checkCase(impl, underTest(build(value), 1), gpu, { execute: true });
    countCase(stats, report.fused, report.eager);
  });
  await assertProperty(title, property, { examples: examples.map((e): [T] => [e]) });
  stats.ms = performance.now() - t0;
  return stats;
}

describe(`fusion on a device: ${impl.name}`, () => {
  for (const p of PATTERNS) {
    test(`[${p.rule}] ${p.name}: ${p.fusedKernels} kernel(s)`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const specs = p.graph.inputs.map((id) => ({ name: `%${id}`, shape: p.graph.nodes[id]?.shape ?? [], range: [-2, 2] as const }));
      const stats = newStats();
      const report = await checkCase(impl, { ...p, inputs: fillInputs(specs, 7), description: p.name }, gpu, { execute: true });
      countCase(stats, report.fused, report.eager);
      ctx.task.meta.wgfuse = stats;
    });
  }

  test('[fusion.chain.1] random prologue and epilogue chains around a kernel are one kernel, and fused ≈ eager ≈ interpreter', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    // The origin test's case runs first, by name, whatever the seed.
    ctx.task.meta.wgfuse = await runRandomCases(ctx.task.name, fusionCaseArbitrary(), buildFusionCase, gpu, [SEED_CASE]);
  });

  test('[fusion.pointwise.1] random pure elementwise graphs are one kernel, and fused ≈ eager ≈ interpreter', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    ctx.task.meta.wgfuse = await runRandomCases(ctx.task.name, pointwiseCaseArbitrary(), buildPointwiseCase, gpu, []);
  });
});

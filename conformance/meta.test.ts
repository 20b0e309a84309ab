import { describe, expect, test } from 'vitest';
import { buildFusionCase, fusionCaseArbitrary, SEED_CASE } from './arbitraries/fusion-case.js';
import type { FusionCase } from './arbitraries/fusion-case.js';
import { gate } from './harness/gates.js';
import { fillInputs } from './arbitraries/built-case.js';
import { BROKEN_AT_INTERFACE, MUTANTS, PATTERN_MUTANTS } from './mutants.js';
import { PATTERNS } from './patterns.js';
import { checkCase, ConformanceFailure } from './properties/check.js';
import type { CaseUnderTest } from './properties/check.js';
import { passesOnSameCases, ruleThatCatches } from './properties/meta.js';

// Meta-tests: the conformance properties must fail against deliberately broken implementations, run
// through the same interface as any other. A fixed seed keeps them deterministic; each mutant must be
// caught within META_RUNS random cases, by the rule named here.

const META_RUNS = 100;

const CAUGHT_BY: Readonly<Record<string, readonly string[]>> = {
  'drop-epilogue-op': ['numerics.oracle.1'],
  'swap-prologue-ops': ['numerics.oracle.1'],
  'no-bounds-guard': ['interface.buffers.2'],
  'broadcast-as-full': ['numerics.oracle.1'],
  'drop-second-store': ['numerics.oracle.1'],
  'not-fused': ['fusion.count.1'],
};

function underTest(fcase: FusionCase): CaseUnderTest {
  const built = buildFusionCase(fcase);
  return { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount };
}

describe('meta: planted faults are caught', () => {
  for (const mutant of MUTANTS) {
    test(`[meta.mutant.${mutant.name}] the fusion property catches: ${mutant.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const check = (fcase: FusionCase): Promise<unknown> => checkCase(mutant.implementation, underTest(fcase), gpu, { execute: true });
      expect(CAUGHT_BY[mutant.name]).toContain(await ruleThatCatches(mutant.name, fusionCaseArbitrary(), check, META_RUNS));
    });
  }

  for (const mutant of PATTERN_MUTANTS) {
    test(`[meta.mutant.${mutant.name}] the named patterns catch: ${mutant.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const caught: string[] = [];
      for (const p of PATTERNS) {
        const specs = p.graph.inputs.map((id) => ({ name: `%${id}`, shape: p.graph.nodes[id]?.shape ?? [], range: [-2, 2] as const }));
        try {
          await checkCase(mutant.implementation, { ...p, inputs: fillInputs(specs, 7), description: p.name }, gpu, { execute: true });
        } catch (e) {
          expect(e).toBeInstanceOf(ConformanceFailure);
          expect((e as ConformanceFailure).rule).toBe('numerics.oracle.1');
          caught.push(`${p.name} [${(e as ConformanceFailure).rule}]`);
        }
      }
      expect(caught.length, 'no pattern caught the mutant').toBeGreaterThan(0);
      console.log(`${mutant.name}: caught by ${caught.length} pattern(s): ${caught.join('; ')}`);
    });
  }

  test('[meta.mutant.unmodified] the same property passes the unmodified reference on the same cases', async (ctx) => {
    // Without this control, a harness that fails everything would pass every meta-test above.
    const gpu = await gate(ctx, { execution: true });
    const { fusedReference } = await import('../reference/implementation.js');
    await passesOnSameCases(fusionCaseArbitrary(), (fcase) => checkCase(fusedReference, underTest(fcase), gpu, { execute: true }), META_RUNS);
  });

  for (const broken of BROKEN_AT_INTERFACE) {
    test(`[interface.run.1] an implementation whose ${broken.fault} fails the case with a clear message, without hanging`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const started = performance.now();
      const attempt = checkCase(broken.implementation, underTest(SEED_CASE), gpu, { execute: true, timeoutMs: 500 });
      await expect(attempt).rejects.toThrow(new RegExp(`\\[interface\\.run\\.1\\] mutant: ${broken.name} failed at (compile|run)`));
      expect(performance.now() - started).toBeLessThan(5000);
    });
  }
});

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Implementation } from '../../spec/implementation.js';
import { createReferenceImplementation, fusedReference } from '../reference-door.js';
import { GATED_FAULTS, PLANTED_FAULTS } from '../faults/index.js';
import type { Catcher } from '../faults/index.js';
import { buildFusionCase, SEED_CASE } from '../generators/fusion-case.js';
import { PATTERNS, patternCase } from '../generators/patterns.js';
import type { Gpu } from '../harness/device.js';
import { gate } from '../harness/gates.js';
import { checkCase, ConformanceFailure, oneKernel } from '../properties/check.js';
import { passesOnSameCases, randomCheck, ruleThatCatches } from '../properties/meta.js';
import type { CatchingCheck } from '../properties/meta.js';
import { checkRankChange, checkShapeChange, rerankedPair, reshapedPair } from '../properties/shape-change.js';

// Meta-tests (spec/suite.md [meta.mutant.*]): every planted fault of conformance/faults/ is run through
// the judging check it names, through the same interface as any implementation, with a fixed seed, and
// must be caught within a budget of cases by one of the rules it names. Each check also passes the
// unmodified reference on the same cases, so a harness that fails everything cannot pass these.

const pairs = <T,>(arb: fc.Arbitrary<[T, T]>): fc.Arbitrary<unknown> => arb;

const CHECKS: Readonly<Record<Exclude<Catcher, 'patterns' | 'interface' | 'f16' | 'f16-reduction' | 'dtype-change' | 'core-limits'>, CatchingCheck>> = {
  fusion: randomCheck('fusion', 100),
  pointwise: randomCheck('pointwise', 100),
  matmul: randomCheck('matmul', 40),
  softmax: randomCheck('softmax', 100),
  rmsnorm: randomCheck('rmsnorm', 100),
  'shape-change': { runs: 50, arbitrary: pairs(reshapedPair), judge: (impl, v, gpu) => checkShapeChange(impl, ...(v as [typeof SEED_CASE, typeof SEED_CASE]), gpu) },
  'rank-change': { runs: 50, arbitrary: pairs(rerankedPair), judge: (impl, v, gpu) => checkRankChange(impl, ...(v as [typeof SEED_CASE, typeof SEED_CASE]), gpu) },
};

/** Runs every named pattern; returns the rules that broke, one per pattern that failed. */
async function patternRules(impl: Implementation, gpu: Gpu): Promise<string[]> {
  const rules: string[] = [];
  for (const p of PATTERNS) {
    try {
      await checkCase(impl, patternCase(p, 7), gpu, { execute: true });
    } catch (e) {
      if (!(e instanceof ConformanceFailure)) throw e;
      rules.push(e.rule);
    }
  }
  return rules;
}

describe('meta: planted faults are caught', () => {
  for (const f of PLANTED_FAULTS.filter((p) => !GATED_FAULTS.includes(p))) {
    // A fault at the interface is the harness's own rule at work; every other fault is a meta-test.
    const rule = f.catcher === 'interface' ? (f.caughtBy[0] ?? 'interface.run.1') : `meta.mutant.${f.name}`;
    test(`[${rule}] the ${f.catcher} check catches ${f.name}: ${f.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      if (f.catcher === 'patterns') {
        const rules = await patternRules(f.implementation, gpu);
        expect(rules.length, 'no pattern caught the fault').toBeGreaterThan(0);
        for (const rule of rules) expect(f.caughtBy).toContain(rule);
      } else if (f.catcher === 'interface') {
        const started = performance.now();
        const attempt = checkCase(f.implementation, oneKernel(buildFusionCase(SEED_CASE)), gpu, { execute: true, timeoutMs: 500 });
        const error: unknown = await attempt.then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(ConformanceFailure);
        expect(f.caughtBy).toContain((error as ConformanceFailure).rule);
        expect((error as ConformanceFailure).message).toMatch(new RegExp(`(failed|TIMEOUT \\(no verdict on its results\\)): implementation 'mutant: ${f.name}', stage (compile|run)`));
        expect(performance.now() - started).toBeLessThan(5000);
      } else if (f.catcher === 'f16' || f.catcher === 'f16-reduction' || f.catcher === 'dtype-change' || f.catcher === 'core-limits') {
        throw new Error(`${f.name}: faults that need a capability are judged in conformance/selftest/gated-faults.test.ts`);
      } else {
        const check = CHECKS[f.catcher];
        expect(f.caughtBy).toContain(await ruleThatCatches(f.name, check.arbitrary, (v) => check.judge(f.implementation, v, gpu), check.runs));
      }
    });
  }

  for (const [name, check] of Object.entries(CHECKS)) {
    test(`[meta.mutant.unmodified] the ${name} check passes the unmodified reference on the same cases`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      await passesOnSameCases(check.arbitrary, (v) => check.judge(fusedReference, v, gpu), Math.ceil(check.runs / 4));
    });
  }

  // The fold's 2-D tile index on small tensors: llvmpipe cannot bind the 2^25+ elements a real fold needs.
  test('[codegen.grid.2] the fusion check passes the reference with every grid folded near-square (rows of ⌈√T⌉)', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const squareFolded = createReferenceImplementation({ name: 'wgfuse reference (square fold)', fuse: true, codegen: { squareGrid: true } });
    await passesOnSameCases(CHECKS.fusion.arbitrary, (v) => CHECKS.fusion.judge(squareFolded, v, gpu), Math.ceil(CHECKS.fusion.runs / 4));
  });

  test('[codegen.vec4.2] the fusion check passes the reference with every vec4 kernel at 4 quads a lane', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const fourQuads = createReferenceImplementation({ name: 'wgfuse reference (4 quads a lane)', fuse: true, codegen: { quadsPerLane: 4 } });
    await passesOnSameCases(CHECKS.fusion.arbitrary, (v) => CHECKS.fusion.judge(fourQuads, v, gpu), Math.ceil(CHECKS.fusion.runs / 4));
  });

  test('[meta.mutant.unmodified] the named patterns pass the unmodified reference', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    expect(await patternRules(fusedReference, gpu)).toEqual([]);
  });
});

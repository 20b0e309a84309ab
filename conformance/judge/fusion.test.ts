import { describe, test } from 'vitest';
import { PATTERNS, patternCase } from '../generators/patterns.js';
import { gate } from '../harness/gates.js';
import { checkCase } from '../properties/check.js';
import { implementationUnderTest, requirePart } from '../properties/implementation-under-test.js';
import { judgeRandomProperty } from '../properties/judge-property.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';
import { countedCase, newStats } from '../properties/stats.js';

// spec/fusion.md, judged on an executing adapter against the implementation under test (WGFUSE_IMPL,
// default the reference): each named pattern has the spec's kernel count, and random prologue and
// epilogue chains around every kernel the spec defines are one kernel with fused ≈ eager ≈ interpreter.
// Kernels are counted by the harness; numbers are judged by the oracle's acceptance intervals.

const impl = await implementationUnderTest();
const FILE = 'conformance/judge/fusion.test.ts';

describe(`fusion on a device: ${impl.name}`, () => {
  for (const p of PATTERNS) {
    test(`[${p.rule}] ${p.name}: ${p.fusedKernels} kernel(s)`, async (ctx) => {
      if (p.rule === 'fusion.settings.1') requirePart(ctx, impl, 'fusion-off');
      const gpu = await gate(ctx, { execution: true });
      const stats = newStats();
      ctx.task.meta.wgfuse = stats;
      await countedCase(stats, checkCase(impl, patternCase(p, 7), gpu, { execute: true }));
    });
  }

  for (const property of Object.values(RANDOM_PROPERTIES).filter((p) => p.testFile === FILE)) {
    test(property.testTitle, async (ctx) => {
      await judgeRandomProperty(property, impl, ctx);
    });
  }
});

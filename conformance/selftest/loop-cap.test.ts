import { describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import type { Implementation } from '../../spec/implementation.js';
import { buildMatmulCase } from '../generators/matmul-case.js';
import { PATTERNS, patternCase } from '../generators/patterns.js';
import type { MatmulCase } from '../generators/matmul-case.js';
import { buildReductionCase } from '../generators/reduction-case.js';
import type { ReductionTemplate } from '../generators/reduction-case.js';
import { formatCapabilityReport, probeCapabilities } from '../harness/capabilities.js';
import type { Capabilities } from '../harness/capabilities.js';
import { FOUND_ON, whereToGet } from '../harness/configuration.js';
import { adapterLabel } from '../harness/device.js';
import { gate, gateOn } from '../harness/gates.js';
import { CaseSetAside, LOOP_PROBE_BOUND, loopCapFromCounts, loopCapOf, loopNeed, setAsideReason } from '../harness/loop-cap.js';
import type { LoopCap } from '../harness/loop-cap.js';
import { fusedReference } from '../reference-door.js';
import { checkCase, ConformanceFailure, oneKernel } from '../properties/check.js';
import { judgeRandomProperty } from '../properties/judge-property.js';
import type { RandomProperty } from '../properties/random-properties.js';
import { SetAsideCases } from '../properties/set-aside.js';

// llvmpipe's cap as the probe finds it on CI's adapter (adapters/findings/llvmpipe-loop-cap.md).
const LLVMPIPE: LoopCap = { kind: 'cap', trips: 65535, scope: 'invocation', testedUpTo: LOOP_PROBE_BOUND };
const NO_CAP: LoopCap = { kind: 'none seen', testedUpTo: LOOP_PROBE_BOUND };

/** A * B with A [1, K], B [K, 1], data in [0.5, 1] so a truncated sum is far from the exact one. */
function matmulCase(k: number, blockSizes: MatmulCase['blockSizes'] = [1, 1, 1]) {
  return oneKernel(
    buildMatmulCase({ batch: null, m: 1, n: 1, k, blockSizes, inputRanges: [[0.5, 1], [0.5, 1]], prologues: [[], []], epilogue: [], dataSeed: 7, returnsKernelOutput: false, staticShapes: true }),
  );
}

/** A property of matmul cases with these K, run in order: judgeRandomProperty's handling without a generator. */
function propertyOf(ks: readonly number[]): RandomProperty {
  const built = (k: number) => buildMatmulCase({ batch: null, m: 1, n: 1, k, blockSizes: [8, 8, 4], inputRanges: [[0.5, 1], [0.5, 1]], prologues: [[], []], epilogue: [], dataSeed: 7, returnsKernelOutput: false, staticShapes: true });
  return {
    name: 'matmul',
    rule: 'harness.loopcap.3',
    testFile: 'conformance/selftest/loop-cap.test.ts',
    testTitle: 'loop-cap property',
    testExamples: 0,
    weight: 1,
    needs: { execution: true },
    buildValue: (k) => built(k as number),
    caseAt: () => ({ value: ks[0], build: () => built(ks[0] ?? 1) }),
    cases: () => {
      throw new Error('not drawn');
    },
    run: async (check) => {
      for (const k of ks) await check(() => built(k), k);
      return { failed: false, numRuns: ks.length, numShrinks: 0, seed: 0, counterexample: undefined, counterexamplePath: undefined, error: undefined };
    },
  };
}

class Skipped extends Error {}

/** The hand-written gate on a loop cap ([harness.ledger.1]): only an adapter with one has cases to set aside. */
async function needLoopCap(ctx: TestContext, cap: LoopCap): Promise<void> {
  await gateOn(ctx, 'loop cap', cap.kind === 'cap' ? undefined : `this adapter has no loop cap (${cap.kind}): nothing to set aside; ${whereToGet(FOUND_ON['loop cap'] ?? [])}`);
}

/** A test context that records the property's meta and turns ctx.skip into an error the test can see. */
function contextFor(name: string): TestContext & { task: { meta: { wgfuse?: { cases: number; setAside?: number } } } } {
  return { task: { name, meta: {} }, skip: (note?: string) => { throw new Skipped(note); } } as unknown as TestContext & { task: { meta: { wgfuse?: { cases: number; setAside?: number } } } };
}

function rowCase(template: ReductionTemplate, cols: number) {
  return oneKernel(buildReductionCase({ template, shape: [1, cols], blockSizes: [1], inputRanges: [[-1, 1], [0.5, 1]], prologues: [[], []], epilogue: [], dataSeed: 7, returnsKernelOutput: false, staticShapes: true }));
}

/** The reference, with its compile() calls counted: a set-aside case must never reach it. */
function counting(): { impl: Implementation; compiles: () => number } {
  let n = 0;
  return {
    impl: { name: fusedReference.name, compile: (g, k, d) => ((n += 1), fusedReference.compile(g, k, d)) },
    compiles: () => n,
  };
}

async function setAsideOf(check: Promise<unknown>): Promise<CaseSetAside> {
  const e = await check.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof CaseSetAside)) throw new Error(`expected the case to be set aside, got ${e === undefined ? 'a verdict' : String(e)}`);
  return e;
}

describe('loop caps without a device', () => {
  test('[harness.loopcap.1] the probe counts read as a cap per invocation, per loop, or none seen', () => {
    expect(loopCapFromCounts(65535, 1)).toEqual(LLVMPIPE);
    expect(loopCapFromCounts(65535, 65535)).toEqual({ ...LLVMPIPE, scope: 'loop' });
    expect(loopCapFromCounts(LOOP_PROBE_BOUND, LOOP_PROBE_BOUND)).toEqual(NO_CAP);
  });

  test('[harness.loopcap.1] the capability report prints the loop cap', () => {
    const caps = { tier: 'software', gpu: undefined, attempts: [], loopCap: LLVMPIPE } satisfies Capabilities;
    expect(formatCapabilityReport(caps)).not.toContain('loop cap'); // only printed with a device
    const base = { tier: 'software', attempts: [], loopCap: LLVMPIPE } as const;
    const gpu = { backend: 'opengl', summary: { description: 'GL', device: 'llvmpipe', vendor: '', architecture: '', featureLevel: 'compatibility', features: [], limits: {} } };
    expect(formatCapabilityReport({ ...base, gpu } as unknown as Capabilities)).toContain('loop cap:      65535 trips, summed over all loops of an invocation');
  });

  test('[harness.loopcap.2] the estimate: matmul 5·K + 1, softmax 3·(C + 1), rmsnorm 2·(C + 1), elementwise none', () => {
    expect(loopNeed(matmulCase(65536).graph)).toMatchObject({ trips: 327681, semantics: 'matmul', extent: 'K = 65536' });
    expect(loopNeed(rowCase('softmax', 30000).graph)).toMatchObject({ trips: 90003, semantics: 'softmax', extent: 'row length C = 30000' });
    expect(loopNeed(rowCase('rmsnorm', 40000).graph)).toMatchObject({ trips: 80002, semantics: 'rmsnorm' });
    const seed = PATTERNS[0];
    if (seed === undefined) throw new Error('no patterns');
    expect(loopNeed(patternCase(seed, 70001).graph)).toBeUndefined();
    // At the cap judged, one past it set aside; no cap, nothing set aside.
    expect(setAsideReason(rowCase('softmax', 21844).graph, LLVMPIPE, 'llvmpipe (opengl)')).toBeUndefined();
    expect(setAsideReason(rowCase('softmax', 21845).graph, LLVMPIPE, 'llvmpipe (opengl)')).toContain('[harness.loopcap.2]');
    expect(setAsideReason(matmulCase(13106).graph, LLVMPIPE, 'x')).toBeUndefined();
    expect(setAsideReason(matmulCase(13107).graph, LLVMPIPE, 'x')).toContain('K = 13107');
    expect(setAsideReason(matmulCase(65536).graph, NO_CAP, 'x')).toBeUndefined();
  });

  test('[harness.loopcap.3] a property tallies its set-aside cases, and one that set aside every case judged nothing', async () => {
    const aside = (k: number): Promise<never> => Promise.reject(new CaseSetAside(setAsideReason(matmulCase(k).graph, LLVMPIPE, 'llvmpipe (opengl)') ?? '', `matmul K=${k}`, 'matmul'));
    const all = new SetAsideCases();
    expect(await all.judge(aside(65536))).toBeUndefined();
    expect(await all.judge(aside(70000))).toBeUndefined();
    expect(all.nothingJudged('property matmul')).toMatch(/^\[harness\.loopcap\.3\] property matmul: every one of its 2 case\(s\) was set aside, so nothing was judged: not a pass/);
    const some = new SetAsideCases();
    await some.judge(aside(65536));
    expect(await some.judge(Promise.resolve('a report'))).toBe('a report');
    await expect(some.judge(Promise.reject(new Error('a real failure')))).rejects.toThrow('a real failure');
    expect(some.nothingJudged('property matmul')).toBeUndefined();
    expect([some.count, some.judged]).toEqual([1, 2]);
    expect(some.summary()).toContain('1 of 3 case(s) set aside, not judged');
    expect(some.summary()).toContain('set aside [harness.loopcap.2] matmul: 1 case(s), the first: matmul K=65536: not judged on llvmpipe (opengl): call %2 (matmul) has K = 65536');
    expect(new SetAsideCases().nothingJudged('property matmul')).toBeUndefined();
  });
});

describe('loop caps on the device', () => {
  test("[harness.loopcap.1] the probe finds llvmpipe's cap: 65535 trips, one budget for all of an invocation's loops", async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const cap = await loopCapOf(gpu);
    expect((await probeCapabilities()).loopCap).toEqual(cap);
    const llvmpipe = /llvmpipe/i.test(`${gpu.summary.device} ${gpu.summary.description}`);
    if (!llvmpipe) expect(cap.kind).not.toBe('not probed');
    await gateOn(ctx, 'llvmpipe adapter', llvmpipe ? undefined : `the adapter is ${adapterLabel(gpu.summary)}, not llvmpipe (probed ${JSON.stringify(cap)}); ${whereToGet(FOUND_ON['llvmpipe adapter'] ?? [])}`);
    expect(cap).toEqual(LLVMPIPE);
  });

  test('[harness.loopcap.2] a matmul case with K = 65536 is set aside with the reason, never run or judged', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const cap = await loopCapOf(gpu);
    await needLoopCap(ctx, cap);
    if (cap.kind !== 'cap') throw new Error('unreachable: needLoopCap skips');
    const { impl, compiles } = counting();
    const e = await setAsideOf(checkCase(impl, matmulCase(65536, [8, 8, 4]), gpu, { execute: true }));
    expect(compiles()).toBe(0);
    expect(e.rule).toBe('harness.loopcap.2');
    expect(e.message).toContain('call %2 (matmul) has K = 65536, so a kernel for it may make 327681 loop trips in one invocation');
    expect(e.message).toContain(`this adapter stops loops after ${cap.trips} trips`);
    expect(e.message).toContain(`not judged on ${adapterLabel(gpu.summary)} (${gpu.backend})`);
    expect(e.message).toContain('WGFUSE_BACKEND=vulkan (npm run conformance -- --backend vulkan)');
  });

  test('[harness.loopcap.2] softmax and rmsnorm cases with a row past the cap are set aside', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    await needLoopCap(ctx, await loopCapOf(gpu));
    const { impl, compiles } = counting();
    expect((await setAsideOf(checkCase(impl, rowCase('softmax', 21845), gpu, { execute: true }))).message).toContain('call %1 (softmax) has row length C = 21845');
    expect((await setAsideOf(checkCase(impl, rowCase('rmsnorm', 60000), gpu, { execute: true }))).message).toContain('(rmsnorm) has row length C = 60000');
    expect(compiles()).toBe(0);
  });

  test('[harness.loopcap.2] cases just under the cap are judged, and pass', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const { impl, compiles } = counting();
    // 5·13106 + 1 = 65531 and 3·21845 = 65535 trips: the reference's matmul with blocks [1, 1, 1] and its
    // one-lane softmax are right up to K = 13128 and C = 21844 on llvmpipe.
    await expect(checkCase(impl, matmulCase(13106), gpu, { execute: true })).resolves.toBeDefined();
    await expect(checkCase(impl, rowCase('softmax', 21844), gpu, { execute: true })).resolves.toBeDefined();
    expect(compiles()).toBe(2);
  });

  test('[harness.loopcap.3] a property names the cases it set aside; one that set aside every case is skipped with the reason, not passed', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    await needLoopCap(ctx, await loopCapOf(gpu));
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
    try {
      const mixed = contextFor('mixed');
      await judgeRandomProperty(propertyOf([64, 65536]), fusedReference, mixed);
      expect(mixed.task.meta.wgfuse).toMatchObject({ cases: 1, setAside: 1 });
      expect(logged.join('\n')).toMatch(/matmul: 1 cases in .*; \[harness\.loopcap\.3\] 1 of 2 case\(s\) set aside, not judged:\n {2}set aside \[harness\.loopcap\.2\] matmul: 1 case\(s\)/);
      const all = contextFor('all');
      const skipped = await judgeRandomProperty(propertyOf([65536, 70000]), fusedReference, all).then(() => undefined, (e: unknown) => e);
      expect(skipped).toBeInstanceOf(Skipped);
      expect((skipped as Skipped).message).toMatch(/^\[harness\.loopcap\.3\] property matmul: every one of its 2 case\(s\) was set aside, so nothing was judged: not a pass/);
      expect(all.task.meta.wgfuse).toMatchObject({ cases: 0, setAside: 2 });
    } finally {
      console.log = log;
    }
  });

  test('[harness.loopcap.2] with the probe faked to report no cap, the K = 65536 case is judged and fails on llvmpipe: the truncation is real', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    await needLoopCap(ctx, await loopCapOf(gpu));
    const e = await checkCase(fusedReference, matmulCase(65536, [8, 8, 4]), gpu, { execute: true, loopCap: NO_CAP }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ConformanceFailure);
    expect((e as ConformanceFailure).rule).toBe('numerics.oracle.1');
    // The eager reference is cut short alike: the CPU interpreter, not a second opinion, is what catches it.
    expect((e as ConformanceFailure).summary).toContain('FAIL [numerics.oracle.2]');
  });
});

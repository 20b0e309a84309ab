import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, createRegistry, generateProgram, lowerGraph, rmsnorm, softmax, trace } from '../reference/index.js';
import type { KernelFn, Tensor } from '../reference/index.js';
import { fusedReference } from '../reference/implementation.js';
import { broadcastOffsets, interpretAll } from '../reference/interpreter/interpret.js';
import { numel } from '../reference/ir/index.js';
import type { BuiltCase } from './arbitraries/built-case.js';
import { inGeneratorMargin, VALUE_LIMIT } from './arbitraries/interval.js';
import { buildReductionCase, LANE_VALUES, reductionCaseArbitrary, SOFTMAX_SEED_CASE } from './arbitraries/reduction-case.js';
import type { ReductionCase, ReductionTemplate } from './arbitraries/reduction-case.js';
import { gate } from './harness/gates.js';
import { runProgram } from './harness/run-program.js';
import { acceptanceIntervals } from './oracle/interval.js';
import { checkCase } from './properties/check.js';
import { implementationUnderTest } from './properties/implementation-under-test.js';
import { assertProperty, propertySettings } from './properties/params.js';
import { countCase, newStats } from './properties/stats.js';
import { REDUCTION_MUTANTS } from './reduction-mutants.js';
import { showCase } from './arbitraries/case-checks.js';
import { passesOnSameCases, ruleThatCatches } from './properties/meta.js';

// Row reductions (spec/templates.md) as generated cases and on a device: random prologue and epilogue
// chains around softmax and rmsnorm are one kernel, and fused ≈ eager ≈ interpreter; planted faults in
// their kernels are caught. Their contracts: reduction-templates.test.ts; their oracle:
// reduction-oracle.test.ts; their named patterns run with the others (patterns.ts).

const impl = await implementationUnderTest();

/** Cases per template unless WGFUSE_NUM_RUNS says otherwise: each compiles two pipelines or more, so fewer than fusion.chain.1's 200. */
const REDUCTION_RUNS = 60;

function register(blocks: number[] = [8]): { sm: KernelFn; rms: KernelFn; registry: ReturnType<typeof createRegistry> } {
  const registry = createRegistry();
  const sm = registry.register('softmax', { template: softmax, configs: { default: { blockSizes: blocks } } });
  const rms = registry.register('rmsnorm', { template: rmsnorm, configs: { default: { blockSizes: blocks } } });
  return { sm, rms, registry };
}

const show = showCase;

/** The first op element whose operands leave the generators' margins, or whose value passes ±VALUE_LIMIT. */
function outOfDomain(b: BuiltCase): string | undefined {
  const values = interpretAll(b.graph, b.kernels, b.inputs);
  for (const node of b.graph.nodes) {
    const v = values[node.id] as Float32Array;
    const big = v.findIndex((x) => !(Math.abs(x) <= VALUE_LIMIT));
    if (big >= 0) return `%${node.id} element ${big} is ${v[big]}`;
    if (node.kind !== 'op') continue;
    const [ia = 0, ib] = node.args;
    const offA = broadcastOffsets(b.graph.nodes[ia]?.shape ?? [], node.shape);
    const offB = broadcastOffsets(b.graph.nodes[ib ?? ia]?.shape ?? [], node.shape);
    for (let i = 0; i < numel(node.shape); i++) {
      const a = values[ia]?.[offA[i] ?? 0] ?? NaN;
      const x = ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN);
      if (!inGeneratorMargin(node.op, a, x)) return `%${node.id} = ${node.op} element ${i}: operands ${a}, ${x}`;
    }
  }
  return undefined;
}

describe('generated reduction cases, on the CPU', () => {
  test('[gen.reduction.1] cases stay in domain, fit the device\'s defaults, are judged without refusal, and cover rows of 1, primes and rows longer than B', () => {
    const seen = { one: 0, prime: 0, longer: 0, ragged: 0, dynamic: 0, softmax: 0, rmsnorm: 0 };
    const isPrime = (n: number): boolean => n > 1 && Array.from({ length: Math.floor(Math.sqrt(n)) - 1 }, (_, k) => k + 2).every((d) => n % d !== 0);
    fc.assert(
      fc.property(reductionCaseArbitrary(), (rcase) => {
        const b = buildReductionCase(rcase);
        const cols = rcase.shape[rcase.shape.length - 1] ?? 1;
        expect(b.callCount, show(b)).toBe(1);
        expect(numel(rcase.shape)).toBeLessThanOrEqual(4096);
        expect(outOfDomain(b), show(b)).toBeUndefined();
        expect(() => generateProgram(lowerGraph(b.graph, b.kernels), b.kernels, COMPAT_DEFAULT_LIMITS), show(b)).not.toThrow();
        expect(() => acceptanceIntervals(b.graph, b.kernels, b.inputs), show(b)).not.toThrow();
        seen.one += cols === 1 ? 1 : 0;
        seen.prime += isPrime(cols) ? 1 : 0;
        seen.longer += cols > rcase.blockSizes[0] ? 1 : 0;
        seen.ragged += cols % rcase.blockSizes[0] !== 0 ? 1 : 0;
        seen.dynamic += rcase.staticShapes ? 0 : 1;
        seen[rcase.template] += 1;
      }),
      { numRuns: 300, ...(process.env['WGFUSE_SEED'] ? { seed: Number(process.env['WGFUSE_SEED']) } : {}) },
    );
    console.log(`[gen.reduction.1] over 300 cases: ${JSON.stringify(seen)}`);
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(10);
    expect(LANE_VALUES.every((b) => b <= 128)).toBe(true);
  });
});

/** Runs the property on random reduction cases of one template: exactly one kernel, fused ≈ eager ≈ interpreter. */
async function reductionProperty(title: string, template: ReductionTemplate, examples: ReductionCase[], ctx: TestContext): Promise<void> {
  const gpu = await gate(ctx, { execution: true });
  const stats = newStats();
  const t0 = performance.now();
  const property = fc.asyncProperty(reductionCaseArbitrary({ templates: [template] }), async (rcase) => {
    const b = buildReductionCase(rcase);
    const report = await checkCase(impl, { ...b, fusedKernels: 1, eagerKernels: b.opCount + b.callCount }, gpu, { execute: true });
    countCase(stats, report.fused, report.eager);
  });
  await assertProperty(title, property, { examples: examples.map((e): [ReductionCase] => [e]), settings: propertySettings(REDUCTION_RUNS) });
  stats.ms = performance.now() - t0;
  ctx.task.meta.wgfuse = stats;
  console.log(`${title.slice(0, title.indexOf(']') + 1)} ${template}: ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s, ${((1000 * stats.cases) / stats.ms).toFixed(1)} cases/s`);
}

describe(`row reductions on a device: ${impl.name}`, () => {
  test('[shapes.dynamic.2] softmax and rmsnorm: a second shape of the same structure creates no pipeline, and both shapes conform', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    for (const template of ['softmax', 'rmsnorm'] as const) {
      const created: number[] = [];
      for (const shape of [[3, 37], [11, 130]]) {
        const b = buildReductionCase({ ...SOFTMAX_SEED_CASE, template, shape, staticShapes: false });
        const run = await runProgram(impl, b.graph, b.kernels, b.inputs, gpu);
        expect(run.ok, run.ok ? '' : run.message).toBe(true);
        if (run.ok) created.push(run.compileCounts.pipelinesCreated);
        await checkCase(impl, { ...b, fusedKernels: 1, eagerKernels: b.opCount + b.callCount }, gpu, { execute: true });
      }
      expect(created[1], `${template}: pipelines created by the second shape`).toBe(0);
    }
  });

  test('[fusion.chain.reduction] random prologue and epilogue chains around softmax are one kernel, and fused ≈ eager ≈ interpreter', async (ctx) => {
    await reductionProperty(ctx.task.name, 'softmax', [SOFTMAX_SEED_CASE], ctx);
  });

  test('[fusion.chain.reduction] random prologue and epilogue chains around rmsnorm are one kernel, and fused ≈ eager ≈ interpreter', async (ctx) => {
    await reductionProperty(ctx.task.name, 'rmsnorm', [], ctx);
  });

  test('[codegen.limits.1] a reduction config with more lanes than the device allows invocations is a compile error naming the sizes and limits', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const lanes = gpu.device.limits.maxComputeInvocationsPerWorkgroup * 2;
    const { sm, registry } = register([lanes]);
    const graph = trace((x: Tensor) => sm(x).relu(), { x: [4, 33] });
    const run = await runProgram(impl, graph, registry.kernels, [new Float32Array(4 * 33)], gpu);
    expect(run.ok).toBe(false);
    if (run.ok) return;
    expect(run.stage).toBe('compile');
    expect(run.message).toMatch(new RegExp(`\\[codegen\\.limits\\.1\\] .*workgroup ${lanes}x1x1 \\(${lanes} invocations\\) exceeds the device's limits`));
  });
});

// The meta-tests' fixed seed and budget (as in meta.test.ts): each mutant must be caught within
// META_RUNS cases of its template's property, by a rule it names.
const META_RUNS = 100;

describe('meta: planted faults in row reductions are caught', () => {
  for (const mutant of REDUCTION_MUTANTS) {
    test(`[meta.mutant.${mutant.name}] the ${mutant.template} property catches: ${mutant.fault}`, async (ctx) => {
      // The edit must change the template's kernel, or the test below would prove nothing.
      const sample = buildReductionCase({ ...SOFTMAX_SEED_CASE, template: mutant.template });
      const [kernel] = generateProgram(lowerGraph(sample.graph, sample.kernels), sample.kernels, COMPAT_DEFAULT_LIMITS);
      expect(mutant.edit(kernel?.wgsl ?? '')).not.toBe(kernel?.wgsl);
      const gpu = await gate(ctx, { execution: true });
      const check = (rcase: ReductionCase): Promise<unknown> => {
        const b = buildReductionCase(rcase);
        return checkCase(mutant.implementation, { ...b, fusedKernels: 1, eagerKernels: b.opCount + b.callCount }, gpu, { execute: true });
      };
      expect(mutant.caughtBy).toContain(await ruleThatCatches(mutant.name, reductionCaseArbitrary({ templates: [mutant.template] }), check, META_RUNS));
    });
  }

  test('[meta.mutant.unmodified] the reduction properties pass the unmodified reference on the same cases', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    for (const template of ['softmax', 'rmsnorm'] as const) {
      const check = (rcase: ReductionCase): Promise<unknown> => {
        const b = buildReductionCase(rcase);
        return checkCase(fusedReference, { ...b, fusedKernels: 1, eagerKernels: b.opCount + b.callCount }, gpu, { execute: true });
      };
      await passesOnSameCases(reductionCaseArbitrary({ templates: [template] }), check, META_RUNS / 4);
    }
  });
});

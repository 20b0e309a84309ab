import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, createRegistry, generateProgram, interpret, lowerGraph, matmul, printGraph, trace, WgfuseError } from '../reference/index.js';
import type { CodegenLimits, Graph, KernelCatalog, Shape, Tensor } from '../reference/index.js';
import { fusedReference } from '../reference/implementation.js';
import type { Gpu } from '../reference/runtime/gpu.js';
import type { Implementation } from '../spec/implementation.js';
import { buildMatmulCase, matmulCaseArbitrary } from './arbitraries/matmul-case.js';
import type { MatmulCase } from './arbitraries/matmul-case.js';
import { fillInputs } from './arbitraries/built-case.js';
import type { BuiltCase } from './arbitraries/built-case.js';
import { gate } from './harness/gates.js';
import { runProgram } from './harness/run-program.js';
import { MATMUL_MUTANTS } from './matmul-mutants.js';
import { checkWithinIntervals } from './oracle/acceptance.js';
import { deviceOp, runConformingDevice } from './oracle/conforming-device.js';
import type { Random } from './oracle/conforming-device.js';
import { stepF32 } from './oracle/f32.js';
import { acceptanceIntervals } from './oracle/interval.js';
import { gammaF32, matmulInterval } from './oracle/matmul-interval.js';
import { mulberry32 } from './arbitraries/built-case.js';
import { checkCase, ConformanceFailure } from './properties/check.js';
import type { CaseUnderTest } from './properties/check.js';
import { implementationUnderTest } from './properties/implementation-under-test.js';
import { assertProperty, propertySettings } from './properties/params.js';
import { countCase, newStats } from './properties/stats.js';
import { passesOnSameCases, ruleThatCatches } from './properties/meta.js';

// The tiled matmul template (spec/templates.md). On the CPU: its acceptance intervals hold every
// summation order WGSL allows and no value far outside. On a device: random prologue and epilogue chains
// around it are one kernel and conform, configs are picked per shape and refused past the device's
// limits, one pipeline serves every shape under staticShapes: false, and planted faults in it are caught.
// The template's contract and WGSL, and its generator, are checked in matmul-template.test.ts.

const impl = await implementationUnderTest();
const META_RUNS = 40;

function underTest(built: BuiltCase): CaseUnderTest {
  return { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount };
}

/** The same case at other extents: each extent above 1 redrawn (M, N, K in 2..24, the batch in 2..4), each 1 kept, so the structure holds. */
const reshapedPair = fc
  .tuple(matmulCaseArbitrary({ dynamic: false, maxWork: 8192 }), fc.array(fc.integer({ min: 2, max: 24 }), { minLength: 4, maxLength: 4 }))
  .map(([a, [bt = 2, m = 2, k = 2, n = 2]]): [MatmulCase, MatmulCase] => {
    const redraw = (old: number, fresh: number): number => (old === 1 ? 1 : fresh);
    const b = { ...a, batch: a.batch === null ? null : redraw(a.batch, 2 + (bt % 3)), m: redraw(a.m, m), k: redraw(a.k, k), n: redraw(a.n, n) };
    return [a, b];
  });

/** The graph without its extents: guards depend on K, so a redrawn K can change the structure. */
const structureOf = (graph: Graph): string => printGraph(graph).replace(/f32\[[\d,]*\]/g, 'f32');
const DYNAMIC = { staticShapes: false } as const;

async function pipelinesFor(implementation: Implementation, built: BuiltCase, gpu: Gpu): Promise<number> {
  const run = await runProgram(implementation, built.graph, built.kernels, built.inputs, gpu);
  if (!run.ok) throw new ConformanceFailure('interface.run.1', `${implementation.name} failed at ${run.stage}: ${run.message}`);
  return run.compileCounts.pipelinesCreated;
}

/** Registers `mm` with `blockSizes` and traces `relu(mm(a*2, b+1))` at the given shapes. */
function tracedWithConfig(blockSizes: number[], a: Shape, b: Shape): { graph: Graph; kernels: KernelCatalog } {
  const registry = createRegistry();
  const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes } } });
  return { graph: trace((x: Tensor, y: Tensor) => mm(x.mul(2), y.add(1)).relu(), { a, b }), kernels: registry.kernels };
}

/** Configs past the device's limits: too many invocations, too much workgroup memory. */
function impossibleConfigs(limits: CodegenLimits): { invocations: number[]; memory: number[] } {
  const side = Math.ceil(Math.sqrt(limits.maxComputeInvocationsPerWorkgroup + 1));
  const depth = Math.floor(limits.maxComputeWorkgroupStorageSize / 4 / 24) + 1;
  return { invocations: [side, side, 4], memory: [8, 16, depth] };
}

/** A summation order WGSL allows for Σ_k a_k·b_k: any tree over the K terms. */
type Order = 'sequential' | 'reverse' | 'pairwise' | 'lanes' | 'random tree';
const ORDERS: readonly Order[] = ['sequential', 'reverse', 'pairwise', 'lanes', 'random tree'];

/** A term of the sum: a value, and the factors when it is a product not rounded yet (kept for an FMA). */
interface Term {
  readonly v: number;
  readonly factors?: readonly [number, number];
}

/**
 * Σ a_k·b_k as a worst-case conforming device computes it: every product and sum at a chosen end of
 * its rule (conforming-device.ts), in `order`; with `fma`, a product is added unrounded into the sum
 * that first uses it (a*b + c contracted, one rounding).
 */
function deviceDot(a: readonly number[], b: readonly number[], order: Order, fma: boolean, random: Random): number {
  const roundProduct = (t: Term): number => (t.factors === undefined ? t.v : deviceOp('mul', t.factors[0], t.factors[1], random));
  const merge = (x: Term, y: Term): Term => {
    // An FMA contracts one product into an addition; a second unrounded product is rounded first.
    const left = x.factors !== undefined && y.factors !== undefined ? roundProduct(x) : x.v;
    return { v: deviceOp('add', left, fma ? y.v : roundProduct(y), random) };
  };
  const terms: Term[] = a.map((x, j) => {
    const y = b[j] as number;
    return fma ? { v: x * y, factors: [x, y] } : { v: deviceOp('mul', x, y, random) };
  });
  const fold = (ts: readonly Term[]): Term => ts.slice(1).reduce(merge, ts[0] as Term);
  const pairwise = (ts: readonly Term[]): Term => (ts.length === 1 ? (ts[0] as Term) : merge(pairwise(ts.slice(0, ts.length >> 1)), pairwise(ts.slice(ts.length >> 1))));
  let result: Term;
  if (order === 'sequential') result = fold(terms);
  else if (order === 'reverse') result = fold([...terms].reverse());
  else if (order === 'pairwise') result = pairwise(terms);
  else if (order === 'lanes') {
    // Four interleaved accumulators, as a vectorized loop keeps them, then combined.
    const lanes = [0, 1, 2, 3].map((l) => terms.filter((_, j) => j % 4 === l)).filter((ts) => ts.length > 0);
    result = pairwise(lanes.map(fold));
  } else {
    const pool = [...terms];
    while (pool.length > 1) {
      const x = pool.splice(Math.floor(random() * pool.length), 1)[0] as Term;
      const y = pool.splice(Math.floor(random() * pool.length), 1)[0] as Term;
      pool.push(merge(x, y));
    }
    result = pool[0] as Term;
  }
  return roundProduct(result);
}

/** Σ a_k·b_k to about 2⁻¹⁰⁰ relative: exact f64 products summed in double-double (TwoSum). */
function exactDot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  let c = 0;
  a.forEach((x, j) => {
    const p = x * (b[j] as number);
    const t = s + p;
    const bv = t - s;
    c += s - (t - bv) + (p - bv);
    s = t;
  });
  return s + c;
}

/** The matmul interval of one output: a [1, K] row times b [K, 1] column, over the boxes [aLo, aHi] × [bLo, bHi]. */
function dotInterval(aLo: readonly number[], aHi: readonly number[], bLo: readonly number[], bHi: readonly number[]): [number, number] {
  const k = aLo.length;
  const [lo, hi] = [new Float64Array(1), new Float64Array(1)];
  const bad = matmulInterval(
    { lo: [Float64Array.from(aLo), Float64Array.from(bLo)], hi: [Float64Array.from(aHi), Float64Array.from(bHi)], argShapes: [[1, k], [k, 1]], outShape: [1, 1], config: { blockSizes: [1, 1, 1] } },
    lo,
    hi,
  );
  if (bad >= 0) throw new Error(`matmulInterval refused element ${bad}`);
  return [lo[0] as number, hi[0] as number];
}

/** Vectors whose dot products stress rounding: mixed signs, all positive (errors pile up), cancelling pairs, subnormal products. */
const KINDS = ['mixed', 'positive', 'cancelling', 'subnormal products'] as const;
function vectors(kind: (typeof KINDS)[number], k: number, random: Random): [number[], number[]] {
  const draw = (lo: number, hi: number): number => Math.fround(lo + (hi - lo) * random());
  const a: number[] = [];
  const b: number[] = [];
  for (let j = 0; j < k; j++) {
    if (kind === 'mixed') a.push(draw(-2, 2)), b.push(draw(-2, 2));
    else if (kind === 'positive') a.push(draw(0.5, 2)), b.push(draw(1, 1.0001));
    else if (kind === 'cancelling') a.push(j % 2 === 0 ? draw(1e3, 2e3) : -(a[j - 1] as number) * draw(0.999, 1.001)), b.push(draw(0.9, 1.1));
    else a.push(draw(-1, 1) * 2 ** -64), b.push(draw(-1, 1) * 2 ** -64);
  }
  return [a, b];
}

const pointSeed = fc.record({ kind: fc.constantFrom(...KINDS), k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 41, max: 2000 })), seed: fc.integer({ min: 0, max: 0x7fffffff }) });

describe('matmul oracle', () => {
  test('[numerics.interval.matmul] the interval holds the exact dot product and every summation order, FMA and rounding direction WGSL allows', () => {
    fc.assert(
      fc.property(pointSeed, ({ kind, k, seed }) => {
        const [a, b] = vectors(kind, k, mulberry32(seed));
        const [lo, hi] = dotInterval(a, a, b, b);
        const exact = exactDot(a, b);
        expect(lo <= exact && exact <= hi, `exact ${exact} outside [${lo}, ${hi}]`).toBe(true);
        // Always down, always up (and flushing), and random choices: the extremes of every rule.
        const randoms: [string, () => Random][] = [['down', () => () => 0], ['up', () => () => 0.5], ['random', () => mulberry32(seed + 1)]];
        for (const order of ORDERS) {
          for (const fma of [false, true]) {
            for (const [how, random] of randoms) {
              const v = deviceDot(a, b, order, fma, random());
              expect(lo <= v && v <= hi, `${kind} K=${k} ${order}${fma ? ' with FMA' : ''} rounding ${how}: ${v} outside [${lo}, ${hi}]`).toBe(true);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('[numerics.interval.matmul] a value outside is rejected: one f32 past either end, or an interval width away', () => {
    const [a, b] = vectors('mixed', 100, mulberry32(5));
    const [lo, hi] = dotInterval(a, a, b, b);
    const intervals = { lo: [Float64Array.of(lo)], hi: [Float64Array.of(hi)] };
    const judge = (v: number): boolean => checkWithinIntervals([Float32Array.of(v)], intervals).ok;
    expect([lo, hi, exactDot(a, b)].map(judge)).toEqual([true, true, true]);
    expect([stepF32(lo, -1), stepF32(hi, 1), lo - (hi - lo), hi + (hi - lo)].map(judge)).toEqual([false, false, false, false]);
    expect(checkWithinIntervals([Float32Array.of(hi + (hi - lo))], intervals).message).toMatch(/^\[numerics\.oracle\.1\] output 0 element 0: got .* ULP above it/);
  });

  test('[numerics.interval.matmul] its width is the rounding bound 2·γ_K·Σ|a_k·b_k| plus outward rounding, no wider', () => {
    for (const k of [1, 7, 64, 1000]) {
      const [a, b] = vectors('mixed', k, mulberry32(k));
      const [lo, hi] = dotInterval(a, a, b, b);
      const magnitude = a.reduce((s, x, j) => s + Math.abs(x * (b[j] as number)), 0);
      const bound = 2 * gammaF32(k) * magnitude;
      // Rounding each end outward to f32 adds at most one f32 step per end.
      const step = 2 * Math.max(Math.abs(stepF32(lo, -1) - lo), Math.abs(stepF32(hi, 1) - hi));
      expect(hi - lo).toBeGreaterThanOrEqual(bound);
      expect(hi - lo, `K=${k}`).toBeLessThanOrEqual(bound * (1 + 2 ** -20) + step + 2 ** -120);
    }
  });

  test('[numerics.interval.matmul] over interval arguments, every point of the box, summed in any order, lands inside', () => {
    fc.assert(
      fc.property(pointSeed, ({ kind, k, seed }) => {
        const random = mulberry32(seed);
        const [a0, b0] = vectors(kind, Math.min(k, 200), random);
        // Each operand's interval: a few f32 steps around it, or a wider box.
        const widen = (x: number): [number, number] => (random() < 0.5 ? [stepF32(x, -3), stepF32(x, 3)] : [Math.fround(x - Math.abs(x) / 8), Math.fround(x + Math.abs(x) / 8)]);
        const [aBox, bBox] = [a0.map(widen), b0.map(widen)];
        const [lo, hi] = dotInterval(aBox.map((r) => r[0]), aBox.map((r) => r[1]), bBox.map((r) => r[0]), bBox.map((r) => r[1]));
        for (let trial = 0; trial < 6; trial++) {
          // Corners (where the extremes are) half of the time, inner points otherwise.
          const inBox = ([l, h]: [number, number]): number => (trial % 2 === 0 ? (random() < 0.5 ? l : h) : Math.fround(l + (h - l) * random()));
          const v = deviceDot(aBox.map(inBox), bBox.map(inBox), ORDERS[trial % ORDERS.length] as Order, trial % 3 === 0, random);
          expect(lo <= v && v <= hi, `${kind} K=${a0.length}: ${v} outside [${lo}, ${hi}]`).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('[numerics.interval.matmul] on generated matmul cases, the interpreter and worst-case conforming devices land inside; a sum past f32 is refused', () => {
    fc.assert(
      fc.property(matmulCaseArbitrary(), fc.integer({ min: 0, max: 0x7fffffff }), (mc, seed) => {
        const built = buildMatmulCase(mc);
        const intervals = acceptanceIntervals(built.graph, built.kernels, built.inputs);
        const runs = [interpret(built.graph, built.kernels, built.inputs), runConformingDevice(built.graph, built.kernels, built.inputs, mulberry32(seed))];
        for (const outputs of runs) {
          const verdict = checkWithinIntervals(outputs, intervals);
          expect(verdict.ok, `${built.description}\n${printGraph(built.graph)}\n${verdict.message ?? ''}`).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
    const registry = createRegistry();
    const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes: [2, 2, 2] } } });
    const graph = trace((x: Tensor, y: Tensor) => mm(x, y), { a: [1, 2], b: [2, 1] });
    const huge = Float32Array.of(3e38, 3e38);
    expect(() => acceptanceIntervals(graph, registry.kernels, [huge, Float32Array.of(1, 1)])).toThrow(WgfuseError);
    expect(() => acceptanceIntervals(graph, registry.kernels, [huge, Float32Array.of(1, 1)])).toThrow(/\[numerics\.interval\.domain\] %2 = call mm element 0/);
  });
});

describe(`matmul on a device: ${impl.name}`, () => {
  test('[fusion.chain.2] random prologue and epilogue chains around the tiled matmul are one kernel, and fused ≈ eager ≈ interpreter', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    const t0 = performance.now();
    const property = fc.asyncProperty(matmulCaseArbitrary(), async (mc) => {
      const report = await checkCase(impl, underTest(buildMatmulCase(mc)), gpu, { execute: true });
      countCase(stats, report.fused, report.eager);
    });
    // A matmul case costs about 0.3 s on llvmpipe (its run dominates): a quarter of the usual count.
    const settings = propertySettings();
    await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns / 4)) } });
    stats.ms = performance.now() - t0;
    ctx.task.meta.wgfuse = stats;
    console.log(`[fusion.chain.2] ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s: ${((1000 * stats.cases) / stats.ms).toFixed(1)} cases/s`);
  });

  test('[templates.matmul.ragged] M, N, K of 1, primes and non-multiples of every block size, batched or not, are correct', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const shapes: [number | null, number, number, number][] = [[null, 1, 1, 1], [null, 1, 17, 1], [null, 13, 1, 7], [null, 7, 31, 13], [2, 5, 9, 3], [3, 17, 2, 29], [null, 33, 65, 2]];
    const configs: [number, number, number][] = [[1, 1, 1], [4, 4, 4], [3, 5, 7], [8, 16, 8], [1, 128, 2], [16, 8, 16]];
    for (const [batch, m, k, n] of shapes) {
      for (const blockSizes of configs) {
        const mc: MatmulCase = { batch, m, k, n, blockSizes, inputRanges: [[-2, 2], [-2, 2]], prologues: [[], []], epilogue: [], dataSeed: m * k + n, returnsKernelOutput: false, staticShapes: true };
        await checkCase(impl, underTest(buildMatmulCase(mc)), gpu, { execute: true });
      }
    }
  });

  test('[registry.config.2] a config picker that chooses by shape (small, tall, default) is honoured', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const registry = createRegistry();
    const configs = { small: { blockSizes: [4, 4, 4] }, tall: { blockSizes: [32, 2, 8] }, default: { blockSizes: [8, 16, 8] } };
    const mm = registry.register('mm', {
      template: matmul,
      configs,
      // vLLM-style keys from the call's shapes; undefined falls back to 'default'.
      configPicker: ([a, b]) => {
        const m = a?.shape.at(-2) ?? 1;
        const n = b?.shape.at(-1) ?? 1;
        if (m * n <= 64) return 'small';
        return m >= 4 * n ? 'tall' : undefined;
      },
    });
    const expected: [string, Shape, Shape][] = [['small', [6, 10], [10, 7]], ['tall', [70, 9], [9, 5]], ['default', [20, 30], [30, 19]]];
    for (const [key, a, b] of expected) {
      const graph = trace((x: Tensor, y: Tensor) => mm(x, y.mul(0.5)).tanh(), { a, b });
      const call = graph.nodes.find((node) => node.kind === 'call');
      expect(call?.kind === 'call' ? call.configKey : undefined).toBe(key);
      const specs = graph.inputs.map((id) => ({ name: `%${id}`, shape: graph.nodes[id]?.shape ?? [], range: [-2, 2] as const }));
      const c: CaseUnderTest = { graph, kernels: registry.kernels, inputs: fillInputs(specs, 3), description: `mm picks '${key}'`, fusedKernels: 1, eagerKernels: 3 };
      await checkCase(impl, c, gpu, { execute: true });
      const [bm, bn] = configs[key as keyof typeof configs].blockSizes;
      const [source] = generateProgram(lowerGraph(graph, registry.kernels), registry.kernels, gpu.device.limits);
      expect(source?.wgsl).toContain(`@workgroup_size(${bn}, ${bm}, 1)`);
    }
  });

  test('[codegen.limits.5] on a device, a matmul config the device cannot run is refused at compile with the sizes and limits', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const bad = impossibleConfigs(gpu.device.limits);
    const cases: [number[], RegExp][] = [
      [bad.invocations, /\[codegen\.limits\.1\] kernel k0 .*invocations\) exceeds the device's limits/],
      [bad.memory, new RegExp(`\\[codegen\\.limits\\.5\\] kernel k0 .*bytes of workgroup memory; the device allows ${gpu.device.limits.maxComputeWorkgroupStorageSize}`)],
    ];
    for (const [blockSizes, message] of cases) {
      const { graph, kernels } = tracedWithConfig(blockSizes, [20, 9], [9, 20]);
      const run = await runProgram(fusedReference, graph, kernels, [new Float32Array(180), new Float32Array(180)], gpu);
      expect(run).toMatchObject({ ok: false, stage: 'compile' });
      expect(run.ok ? '' : run.message).toMatch(message);
    }
  });

  test('[shapes.dynamic.2] matmul: a second shape of the same structure creates no pipeline, and both shapes conform', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const property = fc.asyncProperty(reshapedPair, async ([a, b]) => {
      const [builtA, builtB] = [buildMatmulCase(a, DYNAMIC), buildMatmulCase(b, DYNAMIC)];
      fc.pre(structureOf(builtA.graph) === structureOf(builtB.graph));
      await pipelinesFor(impl, builtA, gpu);
      const created = await pipelinesFor(impl, builtB, gpu);
      if (created !== 0) {
        throw new ConformanceFailure('shapes.dynamic.2', `${impl.name}: ${builtA.description} at (Bt, M, K, N) = (${a.batch},${a.m},${a.k},${a.n}) then (${b.batch},${b.m},${b.k},${b.n}) under staticShapes: false created ${created} new pipeline(s); expected none`);
      }
      for (const built of [builtA, builtB]) await checkCase(impl, underTest(built), gpu, { execute: true });
    });
    const settings = propertySettings();
    await assertProperty(ctx.task.name, property, { settings: { ...settings, numRuns: Math.max(1, Math.ceil(settings.numRuns / 8)) } });
  });
});

describe('meta: planted faults in matmul are caught', () => {
  for (const mutant of MATMUL_MUTANTS) {
    test(`[meta.mutant.${mutant.name}] the matmul property catches: ${mutant.fault}`, async (ctx) => {
      const gpu = await gate(ctx, { execution: true });
      const check = (mc: MatmulCase): Promise<unknown> => checkCase(mutant.implementation, underTest(buildMatmulCase(mc)), gpu, { execute: true });
      expect(mutant.caughtBy).toContain(await ruleThatCatches(mutant.name, matmulCaseArbitrary(), check, META_RUNS));
    });
  }

  test('[meta.mutant.unmodified] the matmul property passes the unmodified reference on the same cases', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    await passesOnSameCases(matmulCaseArbitrary(), (mc) => checkCase(fusedReference, underTest(buildMatmulCase(mc)), gpu, { execute: true }), META_RUNS);
  });
});

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { interpretAll } from '../../spec/interpreter.js';
import { numel, printGraph } from '../../spec/ir/index.js';
import { formatGuards } from '../generators/apply-chain.js';
import { blockSizesArbitrary } from '../generators/config.js';
import { buildFusionCase, buildPointwiseCase, fusionCaseArbitrary, pointwiseCaseArbitrary, SEED_CASE } from '../generators/fusion-case.js';
import type { BuiltCase } from '../generators/fusion-case.js';
import type { Chain, Operand, Step } from '../generators/chain.js';
import { chainArbitrary, MAX_SIDE_TENSORS, sideShape } from '../generators/chain.js';
import { COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES } from '../reference-door.js';
import { buildCoreCase, coreCaseArbitrary } from '../generators/core-limits.js';
import { inGeneratorMargin, inOpDomain } from '../generators/interval.js';
import type { Interval } from '../generators/interval.js';
import { firstBadOperand, showCase } from '../generators/case-checks.js';
import { PATTERNS } from '../generators/patterns.js';
import { envVar } from '../harness/runtime.js';

// The generators of fusion cases, checked on the CPU interpreter alone (the oracle's tests: oracle.test.ts).

const envSeed = envVar('WGFUSE_SEED');
const seed = envSeed === undefined || envSeed === '' ? undefined : Number.parseInt(envSeed, 10);
const params = (numRuns: number): fc.Parameters<unknown> => (seed === undefined ? { numRuns } : { numRuns, seed });

/** Fusion cases and pointwise cases, drawn about equally, kept as plain data so failures print and shrink. */
const anyCase = fc.oneof(
  fusionCaseArbitrary().map((c) => ({ kind: 'fusion' as const, c })),
  pointwiseCaseArbitrary().map((c) => ({ kind: 'pointwise' as const, c })),
);
type AnyCase = typeof anyCase extends fc.Arbitrary<infer T> ? T : never;
const build = (k: AnyCase): BuiltCase => (k.kind === 'fusion' ? buildFusionCase(k.c) : buildPointwiseCase(k.c));
const RUNS = 300;

// The bits as text: no Buffer, so it runs in a browser page too ([harness.browser.1]).
const bytesOf = (a: Float32Array): string => new Uint32Array(a.buffer, a.byteOffset, a.length).join(',');
const show = showCase;


describe('generated fusion cases', () => {
  test('[gen.chain.1] a chain arbitrary whose constraints select no op is refused, naming the constraint', () => {
    expect(() => chainArbitrary({ ops: [] })).toThrow(/\[gen\.chain\.1\] chainArbitrary: constraints\.ops selects no op/);
  });

  test('[gen.domain.1] every op of a generated case is evaluated inside its domain and the generators\' margins', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const values = interpretAll(b.graph, b.inputs);
        expect(firstBadOperand(b, values, inOpDomain)).toBeUndefined();
        expect(firstBadOperand(b, values, (op, a, x) => inGeneratorMargin(op, a, x, b.space))).toBeUndefined();
      }),
      params(2 * RUNS),
    );
  });

  test('[gen.limits.1] a generated case fits compatibility-mode defaults: at most 8 storage buffers per kernel', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const schedule = lowerGraph(b.graph, TEMPLATES);
        expect(() => generateProgram(schedule, TEMPLATES, COMPAT_DEFAULT_LIMITS), show(b)).not.toThrow();
        expect(b.graph.inputs.length, show(b)).toBeLessThanOrEqual(2 + MAX_SIDE_TENSORS);
      }),
      params(RUNS),
    );
  });

  test('[gen.broadcast.1] side tensors broadcast in every legal way: 0-d, scalar, row, column, masked middle extents, fewer leading extents', () => {
    expect(sideShape('scalar0d', [3, 4])).toEqual([]);
    expect(sideShape('mask:0kk1k', [2, 3, 4])).toEqual([2, 1, 4]);
    expect(sideShape('mask:1kkkk', [2, 3, 4])).toEqual([3, 4]);
    expect(sideShape('mask:31111', [2, 3])).toEqual([1]);
    const seen = new Set<string>();
    for (const fcase of fc.sample(fusionCaseArbitrary(), { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) })) {
      for (const step of [...fcase.prologues[0], ...fcase.prologues[1], ...fcase.epilogue]) {
        if (!('operand' in step) || step.operand.kind !== 'tensor') continue;
        const b = step.operand.broadcast;
        seen.add(b.startsWith('mask:') ? 'mask' : b);
        const shape = sideShape(b, fcase.shape);
        // Every side shape is a legal broadcast into the case's shape: aligned right, each extent equal or 1.
        expect(shape.length).toBeLessThanOrEqual(fcase.shape.length);
        shape.forEach((e, j) => expect([1, fcase.shape[fcase.shape.length - shape.length + j]]).toContain(e));
      }
    }
    expect([...seen].sort()).toEqual(['column', 'full', 'mask', 'row', 'scalar', 'scalar0d']);
  });

  test('[gen.range.1] every value of a generated case is finite and within the limit of its value space (±1e6, or ±1e37 in the wide one)', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        interpretAll(b.graph, b.inputs).forEach((v, id) => {
          const bad = v.findIndex((x) => !Number.isFinite(x) || Math.abs(x) > b.space.limit);
          expect(bad, `%${id} element ${bad} is ${v[bad]}\n${show(b)}`).toBe(-1);
        });
      }),
      params(2 * RUNS),
    );
  });

  test('[gen.inputs.1] generated inputs are normal or zero and lie in their declared ranges', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        b.inputs.forEach((data, n) => {
          const [lo, hi] = b.inputSpecs[n]?.range ?? [NaN, NaN];
          const bad = data.findIndex((x) => (x !== 0 && Math.abs(x) < 2 ** -126) || !(x >= lo && x <= hi));
          expect(bad, `input ${b.inputSpecs[n]?.name} element ${bad} = ${data[bad]} in [${lo}, ${hi}]`).toBe(-1);
        });
      }),
      params(RUNS),
    );
  });

  test('[gen.shape.1] shapes include extents of 1, extents ragged against the block sizes, and rows in quads', () => {
    const cases = fc.sample(fusionCaseArbitrary(), seed === undefined ? { numRuns: RUNS } : { numRuns: RUNS, seed });
    // The add kernel tiles rows (all leading extents) by BY and the last extent by BX.
    const ragged = cases.filter(({ shape, blockSizes: [by, bx] }) => {
      const cols = shape[shape.length - 1] ?? 1;
      return cols % bx !== 0 || numel(shape.slice(0, -1)) % by !== 0;
    });
    expect(ragged.length).toBeGreaterThan(RUNS / 4);
    expect(cases.some((c) => c.shape.includes(1))).toBe(true);
    expect(cases.every((c) => c.shape.length >= 1 && c.shape.length <= 6 && numel(c.shape) <= 4096)).toBe(true);
    expect(new Set(cases.map((c) => c.shape.length)).size).toBe(6);
    // In quads ([codegen.vec4.3]): rows of a multiple of 4, 64 elements or more, some with a tail past the last 64.
    const quads = cases.filter((c) => c.shape.length >= 2 && (c.shape[c.shape.length - 1] ?? 1) % 4 === 0 && numel(c.shape) >= 64);
    expect(quads.length).toBeGreaterThan(RUNS / 10);
    expect(quads.filter((c) => numel(c.shape) % 64 !== 0).length).toBeGreaterThan(RUNS / 50);
  });

  test('[gen.config.1] block sizes are positive with BY·BX ≤ 128, odd sizes included', () => {
    const sizes = fc.sample(blockSizesArbitrary(), seed === undefined ? { numRuns: RUNS } : { numRuns: RUNS, seed });
    expect(sizes.every(([by, bx]) => by >= 1 && bx >= 1 && by * bx <= 128)).toBe(true);
    expect(sizes.some(([by, bx]) => (by % 2 === 1 && by > 1) || (bx % 2 === 1 && bx > 1))).toBe(true);
  });

  test('[gen.case.1] a fusion case has one call; opCount is its steps plus guard ops; building is deterministic', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const again = build(k);
        const chains: readonly Chain[] = k.kind === 'fusion' ? [...k.c.prologues, k.c.epilogue] : k.c.chains;
        const guardOps = b.guards.reduce((n, g) => n + (g.inserted.match(/\(/g) ?? []).length, 0);
        const combine = k.kind === 'pointwise' && k.c.combine !== null ? 1 : 0;
        expect(b.callCount).toBe(k.kind === 'fusion' ? 1 : 0);
        if (k.kind === 'pointwise') expect(b.opCount).toBeGreaterThan(0);
        expect(b.opCount, show(b)).toBe(chains.reduce((n, c) => n + c.length, 0) + guardOps + combine);
        expect(printGraph(again.graph)).toBe(printGraph(b.graph));
        // Bitwise equality of the data, compared as bytes (a deep equal on typed arrays is slow).
        expect(again.inputs.map(bytesOf)).toEqual(b.inputs.map(bytesOf));
      }),
      params(RUNS),
    );
  });

  test('[gen.guard.1] an op that would leave its domain or pass ±1e6 gets a recorded guard, not a drop', () => {
    const c = (value: number): Operand => ({ kind: 'const', value });
    const x100: Step = { op: 'mul', operand: c(100), swap: false };
    const expectations: [Interval, Chain, string, string][] = [
      [[0.5, 2], [{ op: 'log' }], 'log(x)', ''],
      [[-2, 2], [{ op: 'log' }], 'log(add(abs(x), 0.5))', 'log:add(abs(·), 0.5)'],
      [[-4, -0.25], [{ op: 'sqrt' }], 'sqrt(add(abs(x), 0.5))', 'sqrt:add(abs(·), 0.5)'],
      [[-2, 2], [{ op: 'div', operand: c(1), swap: true }], 'div(1, add(abs(x), 0.5))', 'div:add(abs(·), 0.5)'],
      [[-2, 2], [x100, { op: 'exp' }], 'exp(minimum(mul(x, 100), 10))', 'exp:minimum(·, 10)'],
      [[-2, 2], [x100, { op: 'sigmoid' }], 'sigmoid(maximum(mul(x, 100), -80))', 'sigmoid:maximum(·, -80)'],
      [[-2, 2], [x100, x100, x100], 'mul(tanh(mul(mul(x, 100), 100)), 100)', 'mul:tanh(·)'],
    ];
    for (const [range, chain, description, guard] of expectations) {
      const b = buildPointwiseCase({ shape: [8], inputRanges: [range], chains: [chain], combine: null, dataSeed: 1 });
      expect(b.description).toBe(description);
      expect(b.guards.map((g) => `${g.op}:${g.inserted}`).join(' ')).toBe(guard);
      if (guard !== '') expect(formatGuards(b.guards)).toMatch(/^chain x step \d \(\w+\): .* inserted /);
    }
    // Each kernel input within ±1e6, but their sum is not: the larger input is squashed before the call.
    const big: Chain = [x100, x100, { op: 'mul', operand: c(40), swap: false }];
    const sum = buildFusionCase({ ...SEED_CASE, prologues: [big, big], epilogue: [] });
    expect(sum.description).toBe('add(tanh(mul(mul(mul(x, 100), 100), 40)), mul(mul(mul(y, 100), 100), 40))');
    expect(formatGuards(sum.guards)).toMatch(/^call add \(add\): result range .* inserted tanh\(·\)$/);
  });

  test('[gen.seed.1] SEED_CASE builds relu(add(x*2, y+1)) with the origin test\'s graph', () => {
    const b = buildFusionCase(SEED_CASE);
    expect(b.description).toBe('relu(add(mul(x, 2), add(y, 1)))');
    // The same graph the tracer records for the origin test's function (its text is checked in [trace.call.1]).
    const traced = PATTERNS.find((p) => p.name.startsWith('the seed: relu(add(x*2, y+1))'));
    expect(printGraph(b.graph)).toBe(printGraph(traced?.graph ?? { nodes: [], inputs: [], outputs: [] }));
    expect(b.guards).toEqual([]);
    expect(b.opCount).toBe(3);
  });
});

describe('core-limits cases', () => {
  test('[gen.core.1] every core-limits case needs 129 to 256 invocations in its kernel: it generates under core limits and is refused under compatibility ones (matmul: register-tiled there)', () => {
    const kinds = new Set<string>();
    for (const k of fc.sample(coreCaseArbitrary(), { numRuns: 60, ...(seed === undefined ? {} : { seed }) })) {
      kinds.add(k.kind);
      const graph = buildCoreCase(k).graph;
      const [kernel] = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, CORE_DEFAULT_LIMITS);
      const m = /@workgroup_size\((\d+), (\d+), (\d+)\)/.exec(kernel?.wgsl ?? '');
      const invocations = Number(m?.[1]) * Number(m?.[2]) * Number(m?.[3]);
      expect(invocations, JSON.stringify(k)).toBeGreaterThan(128);
      expect(invocations).toBeLessThanOrEqual(256);
      if (k.kind !== 'matmul') expect(() => generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS)).toThrow(/\[codegen\.limits\.1\]/);
      else {
        // Under compatibility limits the reference register-tiles a matmul tile instead ([templates.matmul.regtile]),
        // storing through mm_store4 where it takes the vec4 path ([templates.matmul.vec4]).
        const [compat] = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
        expect(compat?.wgsl).toMatch(/fn mm_store4?\(/);
        expect(Number(/@workgroup_size\((\d+), 1, 1\)/.exec(compat?.wgsl ?? '')?.[1])).toBeLessThanOrEqual(128);
      }
    }
    expect([...kinds].sort()).toEqual(['add', 'matmul', 'reduction']);
  });
});

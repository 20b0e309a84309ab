import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { broadcastOffsets, interpretAll } from '../reference/interpreter/interpret.js';
import { numel, OPS, printGraph } from '../reference/ir/index.js';
import type { Graph, OpName } from '../reference/ir/index.js';
import { elementwiseAdd } from '../reference/kernels/elementwise-add.js';
import { createRegistry } from '../reference/registry/registry.js';
import { trace } from '../reference/tracer/index.js';
import type { Tensor } from '../reference/tracer/index.js';
import { formatGuards } from './arbitraries/apply-chain.js';
import { blockSizesArbitrary } from './arbitraries/config.js';
import { buildFusionCase, buildPointwiseCase, fusionCaseArbitrary, pointwiseCaseArbitrary, SEED_CASE } from './arbitraries/fusion-case.js';
import type { BuiltCase } from './arbitraries/fusion-case.js';
import type { Chain, Operand, Step } from './arbitraries/chain.js';
import { MAX_SIDE_TENSORS } from './arbitraries/chain.js';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph } from '../reference/index.js';
import { mulberry32 } from './arbitraries/built-case.js';
import { inGeneratorMargin, inOpDomain, VALUE_LIMIT } from './arbitraries/interval.js';
import type { Interval } from './arbitraries/interval.js';
import { compareOutputs, errorBounds, opAllowance, stepF32, ulpDistance, ulpF32 } from './oracle/tolerance.js';

// The generators of fusion cases and the interim tolerance, checked on the CPU interpreter alone.

const envSeed = process.env['WGFUSE_SEED'];
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

const bytesOf = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const show = (b: BuiltCase): string => `${b.description}\n${printGraph(b.graph)}\n${formatGuards(b.guards)}`;

/** The first element of an op node whose operands break `holds`, as a message; undefined when none. */
function firstBadOperand(b: BuiltCase, values: Float32Array[], holds: (op: OpName, a: number, x: number) => boolean): string | undefined {
  for (const node of b.graph.nodes) {
    if (node.kind !== 'op') continue;
    const [ia, ib] = node.args;
    const offA = broadcastOffsets(b.graph.nodes[ia ?? 0]?.shape ?? [], node.shape);
    const offB = broadcastOffsets(b.graph.nodes[ib ?? ia ?? 0]?.shape ?? [], node.shape);
    const total = numel(node.shape);
    for (let i = 0; i < total; i++) {
      const a = values[ia ?? 0]?.[offA[i] ?? 0] ?? NaN;
      const x = ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN);
      if (!holds(node.op, a, x)) return `%${node.id} = ${node.op} element ${i}: operands ${a}, ${x} (${OPS[node.op].domain})\n${show(b)}`;
    }
  }
  return undefined;
}

describe('generated fusion cases', () => {
  test('[gen.domain.1] every op of a generated case is evaluated inside its domain and the generators\' margins', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const values = interpretAll(b.graph, b.kernels, b.inputs);
        expect(firstBadOperand(b, values, inOpDomain)).toBeUndefined();
        expect(firstBadOperand(b, values, inGeneratorMargin)).toBeUndefined();
      }),
      params(2 * RUNS),
    );
  });

  test('[gen.limits.1] a generated case fits compatibility-mode defaults: at most 8 storage buffers per kernel', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const schedule = lowerGraph(b.graph, b.kernels);
        expect(() => generateProgram(schedule, b.kernels, COMPAT_DEFAULT_LIMITS), show(b)).not.toThrow();
        expect(b.graph.inputs.length, show(b)).toBeLessThanOrEqual(2 + MAX_SIDE_TENSORS);
      }),
      params(RUNS),
    );
  });

  test('[gen.range.1] every value of a generated case is finite and within ±1e6', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        interpretAll(b.graph, b.kernels, b.inputs).forEach((v, id) => {
          const bad = v.findIndex((x) => !Number.isFinite(x) || Math.abs(x) > VALUE_LIMIT);
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

  test('[gen.shape.1] shapes include extents of 1 and extents ragged against the block sizes', () => {
    const cases = fc.sample(fusionCaseArbitrary(), seed === undefined ? { numRuns: RUNS } : { numRuns: RUNS, seed });
    // The add kernel tiles rows (all leading extents) by BY and the last extent by BX.
    const ragged = cases.filter(({ shape, blockSizes: [by, bx] }) => {
      const cols = shape[shape.length - 1] ?? 1;
      return cols % bx !== 0 || numel(shape.slice(0, -1)) % by !== 0;
    });
    expect(ragged.length).toBeGreaterThan(RUNS / 4);
    expect(cases.some((c) => c.shape.includes(1))).toBe(true);
    expect(cases.every((c) => c.shape.length >= 1 && c.shape.length <= 4 && numel(c.shape) <= 4096)).toBe(true);
    expect(new Set(cases.map((c) => c.shape.length)).size).toBe(4);
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
    expect(printGraph(b.graph)).toBe(
      [
        '%0 = input x: f32[4,4]',
        '%1 = input y: f32[4,4]',
        '%2 = const 2: f32[]',
        '%3 = mul(%0, %2): f32[4,4]',
        '%4 = const 1: f32[]',
        '%5 = add(%1, %4): f32[4,4]',
        '%6 = call add[default: blocks [4,4]](%3, %5): f32[4,4]',
        '%7 = relu(%6): f32[4,4]',
        'return %7',
      ].join('\n'),
    );
    expect(b.guards).toEqual([]);
    expect(b.opCount).toBe(3);
  });
});

/** The largest f32 on each side of `e` still within `bound`, found by stepping: the edge of acceptance. */
function edge(e: number, bound: number, direction: 1 | -1): number {
  let v = e;
  for (;;) {
    const next = stepF32(v, direction);
    if (Math.abs(next - e) > bound) return v;
    v = next;
  }
}

/** One op as a simulated device computes it, from the device's own operand values. */
type Device = (op: OpName, a: number, x: number) => number;

/** Runs a generated case on a simulated device (f64 storage; results rounded to f32 at the outputs). */
function simulate(b: BuiltCase, device: Device): Float32Array[] {
  const values: Float64Array[] = [];
  let nextInput = 0;
  for (const node of b.graph.nodes) {
    const out = new Float64Array(numel(node.shape));
    if (node.kind === 'input') out.set(b.inputs[nextInput++] as Float32Array);
    else if (node.kind === 'const') out[0] = node.value;
    else {
      // Generated cases call only the elementwise add kernel.
      const op: OpName = node.kind === 'op' ? node.op : 'add';
      const [ia, ib] = node.args;
      const offA = broadcastOffsets(b.graph.nodes[ia ?? 0]?.shape ?? [], node.shape);
      const offB = broadcastOffsets(b.graph.nodes[ib ?? ia ?? 0]?.shape ?? [], node.shape);
      for (let i = 0; i < out.length; i++) {
        out[i] = device(op, values[ia ?? 0]?.[offA[i] ?? 0] ?? NaN, ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN));
      }
    }
    values.push(out);
  }
  return b.graph.outputs.map((id) => Float32Array.from(values[id] ?? []));
}

const CORRECTLY_ROUNDED: ReadonlySet<OpName> = new Set(['neg', 'abs', 'relu', 'add', 'sub', 'mul', 'maximum', 'minimum']);

/**
 * An f32 result off by up to the op's allowance: either neighbour for correctly rounded ops, else a
 * deviation that is half the time at the extreme, so the propagation and its safety factor are tested.
 */
function perturbed(op: OpName, a: number, x: number, random: () => number): number {
  const r = Math.fround(OPS[op].eval(Math.fround(a), Math.fround(x)));
  if (CORRECTLY_ROUNDED.has(op)) return stepF32(r, Math.floor(random() * 3) - 1);
  const room = opAllowance(op, a, r) - ulpF32(r);
  const u = random() < 0.5 ? (random() < 0.5 ? -1 : 1) : 2 * random() - 1;
  return Math.fround(r + u * room);
}

describe('interim tolerance', () => {
  const registry = createRegistry();
  const kernelAdd = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [2, 2] } } });
  const xs = [1.5, -0.3, 1e-3, 3.25, 0.5, 7.75];
  const ys = [0.7, 2.5, -1.1, 0.5, -3.0, 1.25];
  const cases: [string, Graph][] = [
    ['add (kernel call)', trace((x: Tensor, y: Tensor) => kernelAdd(x, y), { x: [6], y: [6] })],
    ['div', trace((x: Tensor, y: Tensor) => x.div(y), { x: [6], y: [6] })],
    ['exp', trace((x: Tensor) => x.exp(), { x: [6] })],
  ];
  const inputsFor = (g: Graph): Float32Array[] => [Float32Array.from(xs), Float32Array.from(ys)].slice(0, g.inputs.length);

  for (const [name, graph] of cases) {
    test(`[numerics.tolerance.1] ${name}: every value within the bound is accepted`, () => {
      const { values, bounds } = errorBounds(graph, registry.kernels, inputsFor(graph));
      for (const direction of [1, -1] as const) {
        const got = values.map((v, o) => v.map((e, i) => edge(e, bounds[o]?.[i] ?? 0, direction)));
        const result = compareOutputs(got, values, bounds);
        expect(result.ok, result.message).toBe(true);
        // The edge is at least one ULP away: every op is allowed at least one either-neighbour step.
        expect(result.worst?.ulps).toBeGreaterThanOrEqual(1);
      }
    });

    test(`[numerics.tolerance.2] ${name}: a value a few ULP past the bound is rejected and reported`, () => {
      const { values, bounds } = errorBounds(graph, registry.kernels, inputsFor(graph));
      const index = 3;
      const got = values.map((v) => Float32Array.from(v));
      const out = got[0] as Float32Array;
      out[index] = stepF32(edge(out[index] as number, bounds[0]?.[index] ?? 0, 1), 3);
      const result = compareOutputs(got, values, bounds);
      expect(result.ok).toBe(false);
      expect(result.worst?.index).toBe(index);
      expect(result.message).toMatch(new RegExp(`^\\[numerics\\.tolerance\\.1\\] output 0 element ${index}: expected .* ULP away`));
      expect(result.worst?.ulps).toBe(ulpDistance(values[0]?.[index] ?? NaN, out[index] as number));
    });
  }

  test('[numerics.nan.1] a NaN in the device output fails with a message naming the element', () => {
    const [, graph] = cases[0] as [string, Graph];
    const { values, bounds } = errorBounds(graph, registry.kernels, inputsFor(graph));
    const got = values.map((v) => Float32Array.from(v));
    (got[0] as Float32Array)[2] = NaN;
    const result = compareOutputs(got, values, bounds);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^\[numerics\.nan\.1\] output 0 element 2: got NaN/);
    expect(result.worst?.index).toBe(2);
  });

  test('[numerics.tolerance.3] a kernel call without an error model is refused by name', () => {
    const r = createRegistry();
    const mystery = r.register('mystery', { template: { ...elementwiseAdd, name: 'mystery_add' }, configs: { default: { blockSizes: [1, 1] } } });
    const graph = trace((x: Tensor, y: Tensor) => mystery(x, y), { x: [2], y: [2] });
    expect(() => errorBounds(graph, r.kernels, [new Float32Array(2), new Float32Array(2)])).toThrow(/\[numerics\.tolerance\.3\] %2 = call mystery: .*'mystery_add'/);
  });

  test('[numerics.tolerance.4] simulated devices within the WGSL budgets pass on every generated case', () => {
    fc.assert(
      fc.property(anyCase, (k) => {
        const b = build(k);
        const { values, bounds } = errorBounds(b.graph, b.kernels, b.inputs);
        const random = mulberry32(k.c.dataSeed ^ 0x5eed);
        const devices: [string, Device][] = [
          ['f64 without intermediate rounding', (op, a, x) => OPS[op].eval(a, x)],
          ['f32 with every op off by up to its budget', (op, a, x) => perturbed(op, a, x, random)],
        ];
        for (const [name, device] of devices) {
          const result = compareOutputs(simulate(b, device), values, bounds);
          expect(result.ok, `${name}: ${result.message}\n${show(b)}`).toBe(true);
        }
      }),
      params(RUNS),
    );
  });

  test('[numerics.ulp.1] ulpDistance counts f32 steps, across zero too', () => {
    expect(ulpDistance(1, 1)).toBe(0);
    expect(ulpDistance(1, stepF32(1, 1))).toBe(1);
    expect(ulpDistance(stepF32(0, -2), stepF32(0, 3))).toBe(5);
    expect(ulpDistance(-0, 0)).toBe(0);
    expect(ulpF32(1)).toBe(2 ** -23);
    expect(ulpF32(2 ** -130)).toBe(2 ** -149);
    expect(Number.isNaN(ulpDistance(NaN, 1))).toBe(true);
  });
});

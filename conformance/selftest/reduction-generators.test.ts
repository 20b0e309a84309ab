import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { broadcastOffsets, interpretAll, numel } from '../../spec/index.js';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES } from '../reference-door.js';
import type { BuiltCase } from '../generators/built-case.js';
import { showCase as show } from '../generators/case-checks.js';
import { inGeneratorMargin } from '../generators/interval.js';
import { buildReductionCase, LANE_VALUES, reductionCaseArbitrary } from '../generators/reduction-case.js';
import { acceptanceIntervals } from '../oracle/interval.js';
import { envVar } from '../harness/runtime.js';

// The generator of row-reduction cases (softmax, rmsnorm), checked on the CPU alone.

/** The first op element whose operands leave the generators' margins, or whose value passes its value space's limit. */
function outOfDomain(b: BuiltCase): string | undefined {
  const values = interpretAll(b.graph, b.inputs);
  for (const node of b.graph.nodes) {
    const v = values[node.id] as Float32Array;
    const big = v.findIndex((x) => !(Math.abs(x) <= b.space.limit));
    if (big >= 0) return `%${node.id} element ${big} is ${v[big]}`;
    if (node.kind !== 'op') continue;
    const [ia = 0, ib] = node.args;
    const offA = broadcastOffsets(b.graph.nodes[ia]?.shape ?? [], node.shape);
    const offB = broadcastOffsets(b.graph.nodes[ib ?? ia]?.shape ?? [], node.shape);
    for (let i = 0; i < numel(node.shape); i++) {
      const a = values[ia]?.[offA[i] ?? 0] ?? NaN;
      const x = ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN);
      if (!inGeneratorMargin(node.op, a, x, b.space)) return `%${node.id} = ${node.op} element ${i}: operands ${a}, ${x}`;
    }
  }
  return undefined;
}

describe('generated reduction cases, on the CPU', () => {
  test('[gen.reduction.1] cases stay in domain, fit the device\'s defaults, are judged without refusal (but for rare wide-space ones, [gen.space.2]), and cover rows of 1, primes, rows longer than B, ragged rows cached in registers, rows reloaded by passes, packed rows, and rows in quads for both templates', () => {
    // cached: rows kept in registers, ragged against B ([templates.reduction.cache]); passes: rows reloaded on
    // every pass; packed: several rows in one workgroup of llvmpipe's 128 lanes, the last workgroup's rows
    // ragged ([templates.reduction.rows]); quads: softmax's and rmsnorm's vec4 path ([templates.reduction.vec4]).
    const seen = { one: 0, prime: 0, longer: 0, ragged: 0, dynamic: 0, softmax: 0, rmsnorm: 0, wide: 0, cached: 0, passes: 0, packed: 0, packedRagged: 0, softmaxQuads: 0, rmsnormQuads: 0 };
    let refused = 0;
    const isPrime = (n: number): boolean => n > 1 && Array.from({ length: Math.floor(Math.sqrt(n)) - 1 }, (_, k) => k + 2).every((d) => n % d !== 0);
    fc.assert(
      fc.property(reductionCaseArbitrary(), (rcase) => {
        const b = buildReductionCase(rcase);
        const cols = rcase.shape[rcase.shape.length - 1] ?? 1;
        expect(b.callCount, show(b)).toBe(1);
        expect(numel(rcase.shape)).toBeLessThanOrEqual(4096);
        expect(outOfDomain(b), show(b)).toBeUndefined();
        const program = generateProgram(lowerGraph(b.graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
        if (program.some((k) => k.wgsl.includes('load_x4(base + lane'))) seen[`${rcase.template}Quads`] += 1;
        if (b.space.name === 'ordinary') expect(() => acceptanceIntervals(b.graph, b.inputs), show(b)).not.toThrow();
        else {
          // A wide-space case may be one the spec cannot judge: the check sets it aside ([gen.space.2]).
          seen.wide += 1;
          try {
            acceptanceIntervals(b.graph, b.inputs);
          } catch (e) {
            expect((e as { rule?: string }).rule, show(b)).toBe('numerics.interval.domain');
            refused += 1;
          }
        }
        seen.one += cols === 1 ? 1 : 0;
        seen.prime += isPrime(cols) ? 1 : 0;
        seen.longer += cols > rcase.blockSizes[0] ? 1 : 0;
        seen.ragged += cols % rcase.blockSizes[0] !== 0 ? 1 : 0;
        seen.dynamic += rcase.staticShapes ? 0 : 1;
        seen[rcase.template] += 1;
        const lanes = rcase.blockSizes[0];
        // The spec's cap of 32 values a lane ([templates.reduction.cache]).
        const cached = rcase.staticShapes && Math.ceil(cols / lanes) <= 32;
        seen.cached += cached && cols % lanes !== 0 ? 1 : 0;
        seen.passes += cached ? 0 : 1;
        const packed = lanes < 128 ? Math.floor(128 / lanes) : 1;
        const rows = numel(rcase.shape) / cols;
        seen.packed += packed > 1 && rows > 1 ? 1 : 0;
        seen.packedRagged += packed > 1 && rows > 1 && rows % packed !== 0 ? 1 : 0;
      }),
      { numRuns: 300, ...(envVar('WGFUSE_SEED') ? { seed: Number(envVar('WGFUSE_SEED')) } : {}) },
    );
    console.log(`[gen.reduction.1] over 300 cases: ${JSON.stringify(seen)}`);
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(10);
    // The spec judges all but a few wide-space cases: set-aside stays rare.
    expect(refused, `${refused} of ${seen.wide} wide-space cases refused by the oracle`).toBeLessThanOrEqual(Math.ceil(0.05 * seen.wide));
    expect(LANE_VALUES.every((b) => b <= 128)).toBe(true);
  });
});


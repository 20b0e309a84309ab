import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { broadcastOffsets, interpretAll } from '../../spec/interpreter.js';
import { numel } from '../../spec/ir/index.js';
import type { Graph } from '../../spec/ir/index.js';
import type { BuiltCase } from '../generators/built-case.js';
import { buildFusionCase, fusionCaseArbitrary } from '../generators/fusion-case.js';
import { GRID_DIMENSION } from '../generators/large.js';
import { buildMatmulCase, matmulCaseArbitrary } from '../generators/matmul-case.js';
import { buildReductionCase, reductionCaseArbitrary } from '../generators/reduction-case.js';
import { loopNeed } from '../harness/loop-cap.js';
import { PROPERTY_NAMES, RANDOM_PROPERTIES } from '../properties/random-properties.js';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES } from '../reference-door.js';
import { envVar } from '../harness/runtime.js';

// What the generators reach of the input space, checked on the CPU: the wide value space's edges, and the
// campaign tier's sizes past the grid and loop thresholds.

const envSeed = envVar('WGFUSE_SEED');
const seed = envSeed === undefined || envSeed === '' ? 20261206 : Number.parseInt(envSeed, 10);

/** Every (op, first operand, second operand) element of a case, evaluated on the CPU. */
function* operands(b: BuiltCase): Generator<[string, number, number]> {
  const values = interpretAll(b.graph, b.inputs);
  for (const node of b.graph.nodes) {
    if (node.kind !== 'op') continue;
    const [ia = 0, ib] = node.args;
    const offA = broadcastOffsets(b.graph.nodes[ia]?.shape ?? [], node.shape);
    const offB = broadcastOffsets(b.graph.nodes[ib ?? ia]?.shape ?? [], node.shape);
    for (let i = 0; i < numel(node.shape); i++) {
      yield [node.op, values[ia]?.[offA[i] ?? 0] ?? NaN, ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN)];
    }
  }
}

/** The reference's grid for the graph's kernel call: [workgroups along x, along y]. */
function callGrid(graph: Graph): readonly [number, number] {
  const program = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS);
  const call = graph.nodes.find((n) => n.kind === 'call');
  const kernel = program.find((k) => k.writes === call?.id || k.alsoWrites.includes(call?.id ?? -1)) ?? program[0];
  return [kernel?.grid[0] ?? 0, kernel?.grid[1] ?? 0];
}

describe('the input space the generators reach', () => {
  test('[gen.space.1] about a quarter of cases are wide-space, and those reach f32\'s edges: |x| ≥ 1e30, tiny normals, exp arguments ≥ 78.7, log/sqrt arguments and divisors below 1e-20, sigmoid arguments ≤ -80', () => {
    const reached = { huge: 0, tiny: 0, expEdge: 0, logEdge: 0, sqrtEdge: 0, divisorEdge: 0, sigmoidEdge: 0 };
    let wide = 0;
    let all = 0;
    for (const family of PROPERTY_NAMES) {
      for (const { build } of fc.sample(RANDOM_PROPERTIES[family].cases(), { seed, numRuns: 120 })) {
        const b = build();
        all += 1;
        if (b.space.name !== 'wide') continue;
        wide += 1;
        for (const [op, a, x] of operands(b)) {
          if (Math.abs(a) >= 1e30) reached.huge += 1;
          if (a !== 0 && Math.abs(a) < 1e-30) reached.tiny += 1;
          if (op === 'exp' && a >= 78.72) reached.expEdge += 1;
          if (op === 'log' && a < 1e-20) reached.logEdge += 1;
          if (op === 'sqrt' && a < 1e-20) reached.sqrtEdge += 1;
          if (op === 'div' && Math.abs(x) < 1e-20) reached.divisorEdge += 1;
          if (op === 'sigmoid' && a <= -80) reached.sigmoidEdge += 1;
        }
      }
    }
    console.log(`[gen.space.1] ${wide} of ${all} cases wide-space; op arguments reached: ${JSON.stringify(reached)}`);
    expect(wide / all).toBeGreaterThan(0.15);
    expect(wide / all).toBeLessThan(0.4);
    for (const [what, n] of Object.entries(reached)) expect(n, what).toBeGreaterThan(0);
  });

  test('[gen.large.1] the campaign tier\'s large cases fold the reference\'s grid past 65535 workgroups (the add kernel: past 65535 blocks) or pass a 65535-trip loop; the CI tier never does', () => {
    const kinds: Record<string, number> = {};
    const large: [string, fc.Arbitrary<BuiltCase>][] = [
      ['add', fusionCaseArbitrary({ large: true }).map(buildFusionCase)],
      ['matmul', matmulCaseArbitrary({ large: true }).map((c) => buildMatmulCase(c))],
      ['softmax', reductionCaseArbitrary({ templates: ['softmax'], large: true }).map(buildReductionCase)],
      ['rmsnorm', reductionCaseArbitrary({ templates: ['rmsnorm'], large: true }).map(buildReductionCase)],
    ];
    for (const [name, arbitrary] of large) {
      for (const b of fc.sample(arbitrary, { seed, numRuns: 12 })) {
        const [gx, gy] = callGrid(b.graph);
        const trips = loopNeed(b.graph)?.trips ?? 0;
        // The add kernel packs its blocks into the device's lanes ([templates.add.config]), so no bindable add
        // folds the reference's grid; its large cases are past 65535 blocks, one workgroup each for a peer
        // that launches a block per workgroup. The reference's own fold runs under [codegen.grid.2]'s square fold.
        const call = b.graph.nodes.find((n) => n.kind === 'call');
        // Blocks tile the [rows, cols] view: ⌈rows/BY⌉·⌈cols/BX⌉, as a peer launching one workgroup a block tiles it.
        const [by = 1, bx = 1] = call?.kind === 'call' ? call.config.blockSizes : [];
        const cols = call?.shape[call.shape.length - 1] ?? 1;
        const blocks = call?.kind === 'call' && name === 'add' ? Math.ceil(numel(call.shape) / cols / by) * Math.ceil(cols / bx) : 0;
        const folded = gy >= 2 || blocks > GRID_DIMENSION;
        // Row reductions pack short rows many a workgroup ([templates.reduction.rows]): past 65535 rows, a peer that
        // launches a workgroup a row folds its grid, and the reference's last workgroup's rows are ragged.
        const rows = call?.kind === 'call' && name !== 'add' && name !== 'matmul' ? numel(call.shape) / cols : 0;
        const packed = !folded && rows > GRID_DIMENSION;
        expect(folded || packed || trips > GRID_DIMENSION, `${name}: grid ${gx}x${gy}, ${trips} loop trips: ${b.description}`).toBe(true);
        const kind = `${name} ${folded ? 'folded' : packed ? 'packed' : 'long loop'}`;
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
    }
    console.log(`[gen.large.1] large cases drawn: ${JSON.stringify(kinds)}`);
    for (const kind of ['add folded', 'matmul folded', 'matmul long loop', 'softmax folded', 'softmax packed', 'softmax long loop', 'rmsnorm folded', 'rmsnorm packed', 'rmsnorm long loop']) expect(kinds[kind] ?? 0, kind).toBeGreaterThan(0);
    // The CI tier: every grid is one row and no loop comes near the cap; the campaign tier draws large cases sometimes.
    let campaignLarge = 0;
    for (const family of ['fusion', 'matmul', 'softmax', 'rmsnorm'] as const) {
      for (const { build } of fc.sample(RANDOM_PROPERTIES[family].cases('ci'), { seed, numRuns: 100 })) {
        const b = build();
        expect(callGrid(b.graph)[1], b.description).toBe(1);
        expect(loopNeed(b.graph)?.trips ?? 0).toBeLessThan(GRID_DIMENSION / 10);
      }
      for (const { value } of fc.sample(RANDOM_PROPERTIES[family].cases('campaign'), { seed, numRuns: 400 })) {
        const c = value as { shape?: readonly number[]; k?: number; m?: number; n?: number };
        if (numel(c.shape ?? [c.m ?? 1, c.k ?? 1, c.n ?? 1]) > 65535) campaignLarge += 1;
      }
    }
    expect(campaignLarge).toBeGreaterThan(4);
  });
});

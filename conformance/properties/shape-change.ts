/**
 * The shape-change properties of spec/shapes.md, as checks any implementation can be run through: one
 * program must serve a second shape of the same structure without a new pipeline ([shapes.dynamic.2]),
 * and a graph compiled at one rank and then at another must conform at both ([shapes.guard.1]).
 * conformance/judge/shapes.test.ts judges the implementation under test with them; the planted faults of
 * dynamic shapes are caught by them.
 */
import fc from 'fast-check';
import { printGraph } from '../../spec/index.js';
import type { Graph, Shape } from '../../spec/index.js';
import type { Implementation } from '../../spec/implementation.js';
import { buildFusionCase, fusionCaseArbitrary } from '../generators/fusion-case.js';
import type { FusionCase } from '../generators/fusion-case.js';
import type { F16Plan } from '../generators/f16-plan.js';
import { F16_SPACE, ORDINARY } from '../generators/interval.js';
import type { BuiltCase } from '../generators/built-case.js';
import { buildMatmulCase, matmulCaseArbitrary } from '../generators/matmul-case.js';
import type { MatmulCase } from '../generators/matmul-case.js';
import type { Gpu } from '../harness/device.js';
import { runProgram } from '../harness/run-program.js';
import { checkCase, ConformanceFailure, oneKernel } from './check.js';

export const DYNAMIC = { staticShapes: false } as const;


/** A graph's structure without its shapes (ranks included). */
export const structureOf = (graph: Graph): string => printGraph(graph).replace(/(f32|f16)\[[\d,]*\]/g, '$1');

/** The same case at other extents: every extent above 1 replaced, every 1 kept, so the structure holds. */
export const reshapedPair = fc
  .tuple(fusionCaseArbitrary({ spaces: [ORDINARY] }), fc.array(fc.integer({ min: 0, max: 1 << 20 }), { minLength: 4, maxLength: 4 }))
  .map(([a, draws]): [FusionCase, FusionCase] => {
    const perDim = Math.max(2, Math.floor(4096 ** (1 / a.shape.length)));
    const shape: Shape = a.shape.map((e, d) => (e === 1 ? 1 : 2 + ((draws[d] ?? 0) % (perDim - 1))));
    return [a, { ...a, shape }];
  });

/** The same case at another rank: extents re-drawn, so the structure changes while the chains do not. */
export const rerankedPair = fc
  .tuple(fusionCaseArbitrary({ spaces: [ORDINARY] }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }))
  .filter(([a, rank]) => rank !== a.shape.length)
  .map(([a, rank, extents]): [FusionCase, FusionCase] => [a, { ...a, shape: extents.slice(0, rank) }]);

/** A matmul case at other extents: each extent above 1 redrawn (M, N, K in 2..24, the batch in 2..4), each 1 kept. */
export const reshapedMatmulPair = fc
  .tuple(matmulCaseArbitrary({ dynamic: false, maxWork: 8192, spaces: [ORDINARY] }), fc.array(fc.integer({ min: 2, max: 24 }), { minLength: 4, maxLength: 4 }))
  .map(([a, [bt = 2, m = 2, k = 2, n = 2]]): [MatmulCase, MatmulCase] => {
    const redraw = (old: number, fresh: number): number => (old === 1 ? 1 : fresh);
    const batch = a.batch === null ? null : typeof a.batch === 'number' ? redraw(a.batch, 2 + (bt % 3)) : a.batch.map((d, i) => redraw(d, 2 + ((bt + i) % 3)));
    const b = { ...a, batch, m: redraw(a.m, m), k: redraw(a.k, k), n: redraw(a.n, n) };
    return [a, b];
  });

/** Pipelines the harness saw created while `implementation` compiled `built` and ran it: lazy pipelines count too. */
export async function pipelinesFor(implementation: Implementation, built: BuiltCase, gpu: Gpu): Promise<number> {
  const run = await runProgram(implementation, built.graph, built.kernels, built.inputs, gpu);
  if (run.ok) return run.compileCounts.pipelinesCreated + run.runs.reduce((n, r) => n + r.counts.pipelinesCreated, 0);
  throw new ConformanceFailure(run.rule, `${run.timedOut ? 'TIMEOUT (no verdict on its results)' : 'failed'}: ${run.message.replace(/^\[[^\]]*\] /, '')}`, { timedOut: run.timedOut });
}

/** [shapes.dynamic.2] on two built cases of one structure: no pipeline for the second, both conform. */
export async function checkSecondShape(implementation: Implementation, a: BuiltCase, b: BuiltCase, gpu: Gpu, what: string): Promise<void> {
  // Counted first, before the checks below compile either shape again.
  await pipelinesFor(implementation, a, gpu);
  const created = await pipelinesFor(implementation, b, gpu);
  if (created !== 0) {
    throw new ConformanceFailure('shapes.dynamic.2', `${implementation.name}: ${what} under staticShapes: false created ${created} new pipeline(s); expected none`);
  }
  for (const built of [a, b]) await checkCase(implementation, oneKernel(built), gpu, { execute: true });
}

/** The dynamic-shape property on an elementwise case and its reshaped twin. */
export function checkShapeChange(implementation: Implementation, a: FusionCase, b: FusionCase, gpu: Gpu): Promise<void> {
  const what = `compiling [${a.shape.join(',')}] then [${b.shape.join(',')}]`;
  return checkSecondShape(implementation, buildFusionCase(a, DYNAMIC), buildFusionCase(b, DYNAMIC), gpu, what);
}

/** The dynamic-shape property on a matmul case and its reshaped twin; pairs whose structure changed are skipped. */
export function checkMatmulShapeChange(implementation: Implementation, a: MatmulCase, b: MatmulCase, gpu: Gpu): Promise<void> {
  const [builtA, builtB] = [buildMatmulCase(a, DYNAMIC), buildMatmulCase(b, DYNAMIC)];
  fc.pre(structureOf(builtA.graph) === structureOf(builtB.graph));
  const what = `${builtA.description} at (Bt, M, K, N) = (${a.batch},${a.m},${a.k},${a.n}) then (${b.batch},${b.m},${b.k},${b.n})`;
  return checkSecondShape(implementation, builtA, builtB, gpu, what);
}

/** A mixed-precision case with no cast: every input, op and the kernel f16 (F16_SEED_CASE's plan). */
const ALL_F16: F16Plan = { switchAt: [null, null, null], call: 'f16', output: 'f16' };

/** A graph with every f16 node made f32: the same structure, another dtype. For graphs without casts. */
export function asF32(graph: Graph): Graph {
  if (graph.nodes.some((n) => n.kind === 'op' && n.op.startsWith('cast_'))) throw new Error('asF32: the graph has casts');
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, dtype: 'f32' as const })) };
}

/** An f16 case (no casts) and its f32 twin: same structure, same data, other dtype ([shapes.guard.2]). */
export const retypedPair = fusionCaseArbitrary({ spaces: [F16_SPACE] }).map((c): [BuiltCase, BuiltCase] => {
  const f16 = buildFusionCase({ ...c, f16: ALL_F16 }, DYNAMIC);
  return [f16, { ...f16, graph: asF32(f16.graph) }];
});

/**
 * The dtype guard ([shapes.guard.2]): a graph compiled in one dtype and then, at the same extents and
 * structure, in the other conforms both times. A kernel reused across dtypes reads 2-byte elements as
 * 4-byte ones (or the reverse), which the oracle and the buffer canaries see; a pipeline count could not
 * tell, since either dtype's kernel may be cached from an earlier case.
 */
export async function checkDtypeChange(implementation: Implementation, a: BuiltCase, b: BuiltCase, gpu: Gpu): Promise<void> {
  for (const built of [a, b]) await checkCase(implementation, oneKernel(built), gpu, { execute: true });
}

/** The guard property: a graph compiled at one rank and then another conforms at both, each dynamic. */
export async function checkRankChange(implementation: Implementation, a: FusionCase, b: FusionCase, gpu: Gpu): Promise<void> {
  for (const fcase of [a, b]) await checkCase(implementation, oneKernel(buildFusionCase(fcase, DYNAMIC)), gpu, { execute: true });
}

import fc from 'fast-check';
import type { KernelSettings, Shape } from '../../spec/ir/index.js';
import { matmul } from '../reference-door.js';
import { createRegistry } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { applyChain, applyUnary, planSides } from './apply-chain.js';
import type { Guard, Value } from './apply-chain.js';
import { traceCase } from './built-case.js';
import type { BuiltCase, InputSpec } from './built-case.js';
import { capSideTensors, chainArbitrary, MAX_SIDE_TENSORS } from './chain.js';
import type { Chain, ChainConstraints } from './chain.js';
import { bounded, opInterval, ORDINARY, spaceOf } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';
import { largeMatmulLayout } from './large.js';
import { inSpaces } from './spaces.js';
import { matmulBlockSizesArbitrary } from './matmul-config.js';
import type { MatmulBlockSizesConstraints } from './matmul-config.js';
import { fitShape, rowsPer64 } from './shape.js';

/**
 * One matmul case: `epilogue(matmul(prologues[0](a), prologues[1](b)))` with A [M,K] and B [K,N], or a
 * batch of them ([...Bt,M,K] × [...Bt,K,N], one to four batch extents), around the registered tiled matmul kernel with blocks
 * `blockSizes`. Plain data, so fast-check prints and shrinks it.
 */
export interface MatmulCase {
  /** The batch extents (a number: one), or null for rank-2 operands. */
  readonly batch: number | readonly number[] | null;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** [BM, BN, BK]. */
  readonly blockSizes: readonly [number, number, number];
  /** Data ranges of a and b. */
  readonly inputRanges: readonly [Interval, Interval];
  /** One chain per kernel input, a then b. */
  readonly prologues: readonly [Chain, Chain];
  readonly epilogue: Chain;
  /** Seeds the data of every input (mulberry32). */
  readonly dataSeed: number;
  /** Also return the kernel's own output ([fusion.epilogue.3]). */
  readonly returnsKernelOutput: boolean;
  /** The kernel's registry setting: false puts the extents in a uniform ([shapes.dynamic.1]). */
  readonly staticShapes: boolean;
  /** Drawn from the wide value space ([gen.space.1]); absent: the ordinary one. */
  readonly space?: 'wide';
}

export interface MatmulCaseConstraints {
  /** Most multiply-adds, Bt·M·N·K (default 65536), so llvmpipe and the CPU oracle stay fast. */
  readonly maxWork?: number;
  /** Largest extent drawn before fitting to maxWork (default 130). */
  readonly maxExtent?: number;
  readonly blockSizes?: MatmulBlockSizesConstraints;
  /** Applies to both prologues and the epilogue. */
  readonly chain?: ChainConstraints;
  readonly inputRanges?: readonly Interval[];
  /** Draw batched cases (rank 3 to 6) too (default true). */
  readonly batch?: boolean;
  /** Draw staticShapes: false too (default true). */
  readonly dynamic?: boolean;
  /** Value spaces to draw from (default both; [gen.space.1]). */
  readonly spaces?: readonly ValueSpace[];
  /** Draw only extents past 65535 output tiles or past llvmpipe's loop cap ([gen.large.1]). */
  readonly large?: boolean;
}

/** The name the matmul kernel is registered under in generated cases. */
export const MATMUL_KERNEL = 'matmul';

// Extents that matter for a tiled kernel: 1 (a single row, column or term), primes and 2^n ± 1
// (ragged against every block), and a few exact multiples, so masks are exercised both ways.
const NOTABLE = [1, 2, 3, 5, 7, 13, 17, 31, 33, 63, 65, 127, 129, 4, 8, 16, 32, 64] as const;

/** The shapes of A, B and C for a case. */
/** A case's batch extents as a list: [] for rank-2 operands. */
export function batchExtents(batch: MatmulCase['batch']): number[] {
  return batch === null ? [] : typeof batch === 'number' ? [batch] : [...batch];
}

/** Bt: the product of the batch extents (1 for rank-2 operands). */
export function batchCount(batch: MatmulCase['batch']): number {
  return batchExtents(batch).reduce((a, b) => a * b, 1);
}

export function matmulShapes(c: Pick<MatmulCase, 'batch' | 'm' | 'k' | 'n'>): { a: Shape; b: Shape; out: Shape } {
  const lead = batchExtents(c.batch);
  return { a: [...lead, c.m, c.k], b: [...lead, c.k, c.n], out: [...lead, c.m, c.n] };
}

/**
 * The range of Σ_k a_k·b_k for a_k in `a` and b_k in `b`, widened for f32 rounding in any order (a
 * generator tool, like opInterval: the oracle's bound is matmul-interval.ts).
 */
export function matmulRange(a: Interval, b: Interval, k: number): Interval {
  const [pLo, pHi] = opInterval('mul', a, b);
  const slack = k * Math.max(Math.abs(pLo), Math.abs(pHi)) * (k + 1) * 2 ** -22 + k * 2 ** -124;
  return [k * pLo - slack, k * pHi + slack];
}

const fmt = ([lo, hi]: Interval): string => `[${Number(lo.toPrecision(4))}, ${Number(hi.toPrecision(4))}]`;

/**
 * Guards the two matmul operands so that its output stays within the space's limit ([gen.guard.1]): the
 * larger is squashed with tanh, then the other if needed; K ≤ 65536 terms of magnitude ≤ 1 then fit.
 */
export function guardMatmul(a: Value, b: Value, k: number, guards: Guard[], where: string, space: ValueSpace = ORDINARY): [Value, Value] {
  let [x, y] = [a, b];
  const magnitude = (v: Value): number => Math.max(Math.abs(v.range[0]), Math.abs(v.range[1]));
  for (let tries = 0; tries < 2 && !bounded(matmulRange(x.range, y.range, k), space.limit); tries++) {
    guards.push({ where, op: 'mul', inserted: 'tanh(·)', reason: `a sum of ${k} products has range ${fmt(matmulRange(x.range, y.range, k))}, past the value limit` });
    if (magnitude(x) >= magnitude(y)) x = applyUnary('tanh', x, guards, where, space);
    else y = applyUnary('tanh', y, guards, where, space);
  }
  if (!bounded(matmulRange(x.range, y.range, k), space.limit)) throw new Error(`[gen.range.1] ${where}: K = ${k} is too large to keep the sum within the value limit`);
  return [x, y];
}

/** Random matmul cases ([gen.matmul.1]): ragged extents, configs within compatibility-mode limits, batch and dynamic shapes sometimes. */
export function matmulCaseArbitrary(c: MatmulCaseConstraints = {}): fc.Arbitrary<MatmulCase> {
  return inSpaces(c.spaces, (space) => matmulCaseIn(space, c));
}

function matmulCaseIn(space: ValueSpace, c: MatmulCaseConstraints): fc.Arbitrary<MatmulCase> {
  const maxExtent = c.maxExtent ?? 130;
  const maxWork = c.maxWork ?? 65536;
  const extent = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NOTABLE.filter((d) => d <= maxExtent)) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxExtent }) },
  );
  // One batch extent mostly; up to four (operands of rank 6) sometimes.
  const batchList = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 });
  const batch: fc.Arbitrary<MatmulCase['batch']> =
    c.batch === false
      ? fc.constant(null)
      : fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: batchList });
  const chain = chainArbitrary({ ...c.chain, space });
  const range = fc.constantFrom(...(c.inputRanges ?? space.inputRanges));
  const small = fc
    .record({
      batch,
      extents: fc.tuple(extent, extent, extent),
      blockSizes: matmulBlockSizesArbitrary(c.blockSizes),
      inputRanges: fc.tuple(range, range),
      prologues: fc.tuple(chain, chain),
      epilogue: chain,
      dataSeed: fc.integer({ min: 0, max: 0x7fffffff }),
      returnsKernelOutput: fc.boolean(),
      staticShapes: c.dynamic === false ? fc.constant(true) : fc.boolean(),
    })
    .map(({ extents, ...rest }): MatmulCase => {
      // Largest extents shrink first until Bt·M·K·N fits (a map, so the case still shrinks).
      const [m = 1, k = 1, n = 1] = fitShape(extents, Math.max(1, Math.floor(maxWork / batchCount(rest.batch))));
      return fitSides({ ...rest, m, k, n });
    });
  if (c.large !== true) return c.blockSizes === undefined ? fc.oneof({ weight: 4, arbitrary: small }, { weight: 1, arbitrary: quadMatmuls(chain, range, maxWork) }) : small;
  return fc
    .record({ layout: largeMatmulLayout(), inputRanges: fc.tuple(range, range), prologues: fc.tuple(chain, chain), epilogue: chain, dataSeed: fc.integer({ min: 0, max: 0x7fffffff }), returnsKernelOutput: fc.boolean(), staticShapes: fc.boolean() })
    .map(({ layout, ...rest }): MatmulCase => fitSides({ ...layout, ...rest }));
}

/** Register-tiled tiles whose outputs a lane takes in fours across N at 128 and 256 lanes, and their depths. */
export const QUAD_MATMUL_TILES: readonly (readonly [number, number])[] = [[32, 32], [64, 32], [32, 64], [64, 64], [128, 128]];
const QUAD_DEPTHS = [4, 8, 16] as const;
const QUAD_EXTENTS = [4, 8, 12, 16, 20, 36, 64, 68] as const;

/**
 * Matmul cases in quads ([gen.matmul.1]): K and N multiples of 4, M·N a multiple of 64, a register-tiled
 * config from QUAD_MATMUL_TILES with BK a multiple of 4, so the reference's vec4 matmul runs
 * ([templates.matmul.vec4]), ragged against its tiles as often as not. M is the least multiple of
 * rowsPer64(N) at or past the drawn extent that keeps Bt·M·K·N within maxWork.
 */
function quadMatmuls(chain: fc.Arbitrary<Chain>, range: fc.Arbitrary<Interval>, maxWork: number): fc.Arbitrary<MatmulCase> {
  return fc
    .record({
      // No batch mostly, else 2 (Bt·M·K·N within maxWork).
      batch: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(2) }),
      m: fc.integer({ min: 1, max: 130 }),
      k: fc.constantFrom(...QUAD_EXTENTS),
      n: fc.constantFrom(...QUAD_EXTENTS),
      tile: fc.constantFrom(...QUAD_MATMUL_TILES),
      bk: fc.constantFrom(...QUAD_DEPTHS),
      inputRanges: fc.tuple(range, range),
      prologues: fc.tuple(chain, chain),
      epilogue: chain,
      dataSeed: fc.integer({ min: 0, max: 0x7fffffff }),
      returnsKernelOutput: fc.boolean(),
      staticShapes: fc.constant(true),
    })
    .map(({ m: drawn, k: drawnK, n, tile: [bm, bn], bk, ...rest }): MatmulCase => {
      const step = rowsPer64(n);
      // K lowered to the largest that leaves room for one step of M (4·68·16·2 = 8704 always fits).
      const room = Math.floor(maxWork / (batchCount(rest.batch) * n * step));
      const k = drawnK <= room ? drawnK : Math.max(4, ...QUAD_EXTENTS.filter((e) => e <= room));
      const most = Math.max(1, Math.floor(maxWork / (batchCount(rest.batch) * k * n * step)));
      const m = step * Math.min(most, Math.max(1, Math.ceil(drawn / step)));
      // The tiles' workgroup memory within the compatibility level's 16 KiB.
      const depth = 4 * bk * (bm + bn) <= 16384 ? bk : 4;
      return fitSides({ ...rest, m, k, n, blockSizes: [bm, bn, depth] });
    });
}

/** Side tensors past what fits [gen.limits.1] become constants. */
function fitSides(mc: MatmulCase): MatmulCase {
  const max = mc.returnsKernelOutput ? MAX_SIDE_TENSORS - 1 : MAX_SIDE_TENSORS;
  const [pa, pb, epilogue] = capSideTensors([mc.prologues[0], mc.prologues[1], mc.epilogue] as const, max);
  return { ...mc, prologues: [pa, pb], epilogue };
}

/**
 * Traces a matmul case with a fresh registry holding the matmul kernel (config 'default' = the case's
 * blocks, `staticShapes` from the case unless `settings` overrides it) and fills its inputs from
 * dataSeed. Side tensors of each prologue broadcast against that operand, the epilogue's against C.
 */
export function buildMatmulCase(mc: MatmulCase, settings: Partial<KernelSettings> = {}): BuiltCase {
  const registry = createRegistry();
  const mm = registry.register(MATMUL_KERNEL, {
    template: matmul,
    configs: { default: { blockSizes: [...mc.blockSizes] } },
    settings: { staticShapes: mc.staticShapes, ...settings },
  });
  const shapes = matmulShapes(mc);
  const sideA = planSides([mc.prologues[0]], shapes.a, 0);
  const sideB = planSides([mc.prologues[1]], shapes.b, sideA.flat().length);
  const sideOut = planSides([mc.epilogue], shapes.out, sideA.flat().length + sideB.flat().length);
  const sides = [...sideA, ...sideB, ...sideOut];
  const heads: InputSpec[] = [
    { name: 'a', shape: shapes.a, range: mc.inputRanges[0] },
    { name: 'b', shape: shapes.b, range: mc.inputRanges[1] },
  ];
  const space = spaceOf(mc);
  return traceCase(heads, sides, registry.kernels, mc.dataSeed, ([av, bv], [as = [], bs = [], es = []], guards) => {
    const [pa, pb] = guardMatmul(
      applyChain(av as Value, mc.prologues[0], as, guards, 'prologue a', space),
      applyChain(bv as Value, mc.prologues[1], bs, guards, 'prologue b', space),
      mc.k,
      guards,
      `call ${MATMUL_KERNEL}`,
      space,
    );
    const out = mm(pa.t as Tensor, pb.t as Tensor);
    const called: Value = { t: out, range: matmulRange(pa.range, pb.range, mc.k), text: `${MATMUL_KERNEL}(${pa.text}, ${pb.text})` };
    const result = applyChain(called, mc.epilogue, es, guards, 'epilogue', space);
    return { result, alsoReturned: mc.returnsKernelOutput ? called : undefined };
  }, space);
}

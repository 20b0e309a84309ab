import fc from 'fast-check';
import type { DType, Shape } from '../../spec/ir/index.js';
import { rmsnorm } from '../reference-door.js';
import { softmax } from '../reference-door.js';
import { createRegistry } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { applyBinary, applyChain, applyUnary, castValue, constant, planSides } from './apply-chain.js';
import type { F16Plan } from './f16-plan.js';
import { storedAs } from './fusion-case.js';
import type { Guard, Value } from './apply-chain.js';
import { traceCase } from './built-case.js';
import type { BuiltCase, InputSpec } from './built-case.js';
import { capSideTensors, chainArbitrary, MAX_SIDE_TENSORS } from './chain.js';
import type { Chain, ChainConstraints } from './chain.js';
import { F16_SPACE, ORDINARY, spaceOf, WIDE } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';
import { largeReductionLayout } from './large.js';
import { inSpaces } from './spaces.js';
import { fitShape, rowsPer64 } from './shape.js';

/** The row-reduction templates a case can call. */
export type ReductionTemplate = 'softmax' | 'rmsnorm';

/**
 * One row-reduction case: `epilogue(softmax(prologues[0](x)))` or
 * `epilogue(rmsnorm(prologues[0](x), prologues[1](w)))`, x of shape [...leading, C], w of shape [C],
 * with blocks [B]. Plain data, so fast-check prints and shrinks it.
 */
export interface ReductionCase {
  readonly template: ReductionTemplate;
  /** Shape of x: leading extents, then the row length C. */
  readonly shape: Shape;
  readonly blockSizes: readonly [number];
  /** Data ranges of x and w (w unused by softmax). */
  readonly inputRanges: readonly [Interval, Interval];
  /** Chains on x and w; softmax's w chain is always empty. */
  readonly prologues: readonly [Chain, Chain];
  readonly epilogue: Chain;
  readonly dataSeed: number;
  /** Also return the kernel's own output ([fusion.epilogue.3]). */
  readonly returnsKernelOutput: boolean;
  /** false: sizes go into a uniform ([shapes.dynamic.1]). */
  readonly staticShapes: boolean;
  /** Drawn from the wide value space ([gen.space.1]); absent: the ordinary one. */
  readonly space?: 'wide';
  /** A mixed-precision case ([gen.f16.1]): f16 inputs, dtype changes as planned, values in F16_SPACE. */
  readonly f16?: F16Plan;
}

export interface ReductionCaseConstraints {
  readonly templates?: readonly ReductionTemplate[];
  readonly chain?: ChainConstraints;
  /** Most elements of x (default 4096). */
  readonly maxElements?: number;
  /** Lanes per row to draw B from (default LANE_VALUES). */
  readonly lanes?: readonly number[];
  /** Value spaces to draw from (default both; [gen.space.1]). */
  readonly spaces?: readonly ValueSpace[];
  /** Draw only shapes past 65535 rows or past llvmpipe's loop cap ([gen.large.1]). */
  readonly large?: boolean;
}

/**
 * Row lengths that matter ([gen.reduction.1]): 1, primes, powers of two and their neighbours, rows longer
 * than the largest block (128), so rows are ragged against B both ways.
 */
export const ROW_LENGTHS: readonly number[] = [1, 2, 3, 5, 7, 13, 17, 31, 32, 33, 61, 64, 127, 128, 129, 131, 257, 300, 509, 1024];

/** B: 1, odd sizes, powers of two up to the compatibility-mode limit of 128 invocations. */
export const LANE_VALUES: readonly number[] = [1, 2, 3, 5, 7, 8, 16, 32, 33, 64, 100, 128];

const LEADING = [1, 2, 3, 4, 5, 7, 8, 13] as const;

/** [...leading, C], leading extents shrunk first so C is kept and the whole fits maxElements. */
function reductionShape(maxElements: number): fc.Arbitrary<Shape> {
  const cols = fc.oneof(
    { weight: 1, arbitrary: fc.constant(1) },
    { weight: 4, arbitrary: fc.constantFrom(...ROW_LENGTHS) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }) },
  );
  // Up to five leading extents: x of rank 1 to 6, batched ([gen.reduction.1]).
  const leading = fc.array(fc.oneof(fc.constantFrom(...LEADING), fc.integer({ min: 1, max: 40 })), { maxLength: 5 });
  return fc.tuple(leading, cols).map(([lead, c]): Shape => {
    const C = Math.min(c, maxElements);
    return [...fitShape(lead, Math.max(1, Math.floor(maxElements / C))), C];
  });
}

/** Row lengths of a multiple of 4: quads a lane from 1 to 8 at the LANE_VALUES, ragged against B or not. */
export const QUAD_ROW_LENGTHS: readonly number[] = [4, 8, 12, 20, 32, 44, 64, 100, 128, 256];

/**
 * [R, C] or [R1, R2, C] with C a multiple of 4 and R·C a multiple of 64, so softmax and rmsnorm take the vec4 path
 * ([templates.reduction.vec4]) whenever its chains allow it; R a multiple of rowsPer64(C), within maxElements.
 */
function quadRows(maxElements: number): fc.Arbitrary<Shape> {
  return fc.tuple(fc.constantFrom(...QUAD_ROW_LENGTHS), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([c, m, split]): Shape => {
    const step = rowsPer64(c);
    const rows = step * Math.max(1, Math.min(m, Math.floor(maxElements / (c * step))));
    return split && rows % 2 === 0 ? [2, rows / 2, c] : [rows, c];
  });
}

/** Random row-reduction cases with prologue and epilogue chains ([gen.reduction.1]). */
export function reductionCaseArbitrary(c: ReductionCaseConstraints = {}): fc.Arbitrary<ReductionCase> {
  return inSpaces(c.spaces, (space) => reductionCaseIn(space, c));
}

function reductionCaseIn(space: ValueSpace, c: ReductionCaseConstraints): fc.Arbitrary<ReductionCase> {
  const range = fc.constantFrom(...space.inputRanges);
  const lanes = fc.tuple(fc.constantFrom(...(c.lanes ?? LANE_VALUES)));
  if (c.large === true) return casesOf(largeReductionLayout(), chainArbitrary({ ...c.chain, space }), range, c);
  const any = casesOf(fc.record({ shape: reductionShape(c.maxElements ?? 4096), blockSizes: lanes }), chainArbitrary({ ...c.chain, space }), range, c);
  // A fifth of the time rows in quads, side tensors full-shape: the vec4 path ([templates.reduction.vec4]).
  const quads = casesOf(fc.record({ shape: quadRows(c.maxElements ?? 4096), blockSizes: lanes }), chainArbitrary({ broadcasts: ['full'], ...c.chain, space }), range, c);
  return fc.oneof({ weight: 4, arbitrary: any }, { weight: 1, arbitrary: quads });
}

/** Reduction cases over `layout`, each chain drawn from `chain`, side tensors capped to the storage buffers left. */
function casesOf(layout: fc.Arbitrary<{ shape: Shape; blockSizes: readonly [number] }>, chain: fc.Arbitrary<Chain>, range: fc.Arbitrary<Interval>, c: ReductionCaseConstraints): fc.Arbitrary<ReductionCase> {
  return fc
    .record({
      template: fc.constantFrom(...(c.templates ?? (['softmax', 'rmsnorm'] as const))),
      layout,
      inputRanges: fc.tuple(range, range),
      prologues: fc.tuple(chain, chain),
      epilogue: chain,
      dataSeed: fc.integer({ min: 0, max: 0x7fffffff }),
      returnsKernelOutput: fc.boolean(),
      staticShapes: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map(({ layout: { shape, blockSizes }, ...drawn }): ReductionCase => {
      const rcase = { ...drawn, shape, blockSizes };
      const px = rcase.prologues[0];
      const pw: Chain = rcase.template === 'softmax' ? [] : rcase.prologues[1];
      // x, w (rmsnorm) and the output take storage buffers; a second store takes one more.
      const max = MAX_SIDE_TENSORS + (rcase.template === 'softmax' ? 1 : 0) - (rcase.returnsKernelOutput ? 1 : 0);
      const [x, w, epilogue] = capSideTensors([px, pw, rcase.epilogue] as const, max);
      return { ...rcase, prologues: [x, w], epilogue };
    });
}

/** The case of the brief: `relu(softmax(x * 2))` over a ragged [3, 37], blocks [8]. */
export const SOFTMAX_SEED_CASE: ReductionCase = {
  template: 'softmax',
  shape: [3, 37],
  blockSizes: [8],
  inputRanges: [
    [-2, 2],
    [-2, 2],
  ],
  prologues: [[{ op: 'mul', operand: { kind: 'const', value: 2 }, swap: false }], []],
  epilogue: [{ op: 'relu' }],
  dataSeed: 0,
  returnsKernelOutput: false,
  staticShapes: true,
};

/**
 * The range of a template's output: softmax's lies in [0, 1] (in [0, 2] in f16 cases: see guardSoftmax);
 * rmsnorm's |x_c·r| is at most √C (x_c² is one of the terms of Σ x_j²), so |y| ≤ √C·max|w|.
 */
function outputRange(template: ReductionTemplate, cols: number, w: Interval, space: ValueSpace): Interval {
  if (template === 'softmax') return [0, space === F16_SPACE ? 2 : 1];
  const bound = Math.sqrt(cols) * Math.max(Math.abs(w[0]), Math.abs(w[1])) * (1 + 2 ** -20) + 2 ** -126;
  return [-bound, bound];
}

/** A weight whose output bound √C·max|w| would pass the space's limit is squashed by tanh first ([gen.guard.1]). */
function guardWeight(w: Value, cols: number, guards: Guard[], space: ValueSpace): Value {
  const [, hi] = outputRange('rmsnorm', cols, w.range, space);
  if (hi <= space.limit) return w;
  guards.push({ where: 'call rmsnorm', op: 'mul', inserted: 'tanh(·)', reason: `weight range [${w.range.join(', ')}] times √${cols} passes the value limit` });
  return applyUnary('tanh', w, guards, 'call rmsnorm', space);
}

/**
 * softmax subtracts the row's maximum from each x_j: where x can be as large as 1e36, an implementation
 * that loads x_j twice (allowed: spec/numerics.md) may see two values a few f32 steps apart, and past
 * about 1e9 that gap alone overflows exp. An x past ±1e6 is scaled by a power of two first, exactly, so
 * its rows keep their shape (all large and positive, all large and negative) ([gen.guard.1]). In f16 cases
 * the cap is ±4: an f16 chain's error bounds are f16 steps (2^-10 of the value) times the ops' ULP bounds,
 * an exp's up to 25 of them, so the gap between two loads of an x near 209 reached ±2.4 and an output
 * bound of e^4.75 (one such case's epilogue exp then passed the f32 range and the oracle refused it). Below
 * 4 the gap stays under about 0.3, so y stays under 2, the range the generator gives softmax's output.
 */
function guardSoftmax(x: Value, guards: Guard[], space: ValueSpace): Value {
  const big = Math.max(Math.abs(x.range[0]), Math.abs(x.range[1]));
  const cap = space === F16_SPACE ? 4 : ORDINARY.limit;
  if (big <= cap) return x;
  const scale = 2 ** -Math.ceil(Math.log2(big / cap));
  guards.push({ where: 'call softmax', op: 'mul', inserted: `mul(·, 2^${Math.log2(scale)})`, reason: `x in [${x.range.join(', ')}] passes ±${cap}` });
  return applyBinary('mul', x, constant(scale), guards, 'call softmax', space);
}

/**
 * rmsnorm sums x_j² over a row: an x whose C·max|x|² would pass 1e37 (a factor of 30 below f32's
 * overflow; only the wide space's values get there) is squashed by tanh first ([gen.guard.1]).
 */
function guardRow(x: Value, cols: number, guards: Guard[], space: ValueSpace): Value {
  const big = Math.max(Math.abs(x.range[0]), Math.abs(x.range[1]));
  if (cols * big * big * (1 + 2 ** -18) <= WIDE.limit) return x;
  guards.push({ where: 'call rmsnorm', op: 'mul', inserted: 'tanh(·)', reason: `a sum of ${cols} squares of x in [${x.range.join(', ')}] passes the value limit` });
  return applyUnary('tanh', x, guards, 'call rmsnorm', space);
}

/**
 * Traces a reduction case with a fresh registry holding its template (config 'default' = its blocks,
 * settings from the case) and fills its inputs from dataSeed. Deterministic ([gen.case.1]).
 */
export function buildReductionCase(rcase: ReductionCase): BuiltCase {
  const registry = createRegistry();
  const isSoftmax = rcase.template === 'softmax';
  const kernel = registry.register(rcase.template, {
    template: isSoftmax ? softmax : rmsnorm,
    configs: { default: { blockSizes: [...rcase.blockSizes] } },
    settings: { staticShapes: rcase.staticShapes },
  });
  const cols = rcase.shape[rcase.shape.length - 1] ?? 1;
  const rowShape: Shape = [cols];
  // Side tensors broadcast against what their chain computes on: x's shape, w's [C], the output's shape.
  const xSides = planSides([rcase.prologues[0]], rcase.shape, 0);
  const wSides = planSides([rcase.prologues[1]], rowShape, xSides.flat().length);
  const eSides = planSides([rcase.epilogue], rcase.shape, xSides.flat().length + wSides.flat().length);
  const plan = rcase.f16;
  const dtype: DType = plan === undefined ? 'f32' : 'f16';
  const sides = [...xSides, ...wSides, ...eSides].map((list) => list.map((s) => ({ ...s, dtype })));
  const args: InputSpec[] = [{ name: 'x', shape: rcase.shape, range: rcase.inputRanges[0], dtype }];
  if (!isSoftmax) args.push({ name: 'w', shape: rowShape, range: rcase.inputRanges[1], dtype });
  const space = spaceOf(rcase);
  const toCall = (v: Value): Value => (plan === undefined ? v : castValue(v, plan.call));
  return traceCase(args, sides, registry.kernels, rcase.dataSeed, (values, [xs = [], ws = [], es = []], guards) => {
    const chained = toCall(applyChain(values[0] as Value, rcase.prologues[0], xs, guards, 'prologue x', space, plan?.switchAt[0] ?? null));
    const px = isSoftmax ? guardSoftmax(chained, guards, space) : guardRow(chained, cols, guards, space);
    const pw = isSoftmax ? undefined : guardWeight(toCall(applyChain(values[1] as Value, rcase.prologues[1], ws, guards, 'prologue w', space, plan?.switchAt[1] ?? null)), cols, guards, space);
    const out = pw === undefined ? kernel(px.t as Tensor) : kernel(px.t as Tensor, pw.t as Tensor);
    const text = `${rcase.template}(${px.text}${pw === undefined ? '' : `, ${pw.text}`})`;
    const called: Value = { t: out, range: outputRange(rcase.template, cols, pw?.range ?? [0, 0], space), text };
    const result = storedAs(plan, applyChain(called, rcase.epilogue, es, guards, 'epilogue', space, plan?.switchAt[2] ?? null));
    return { result, alsoReturned: rcase.returnsKernelOutput ? called : undefined };
  }, space);
}

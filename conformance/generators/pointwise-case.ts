import fc from 'fast-check';
import { BINARY_OPS } from '../../spec/ir/index.js';
import type { BinaryOp, Shape } from '../../spec/ir/index.js';
import { createRegistry } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { applyBinary, applyChain, planSides } from './apply-chain.js';
import type { Value } from './apply-chain.js';
import { traceCase } from './built-case.js';
import type { BuiltCase, InputSpec } from './built-case.js';
import { capSideTensors, chainArbitrary } from './chain.js';
import type { Chain, ChainConstraints } from './chain.js';
import { spaceOf } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';
import { inSpaces } from './spaces.js';
import { shapeArbitrary } from './shape.js';
import type { ShapeConstraints } from './shape.js';

/**
 * A graph of elementwise ops only, no kernel call: `chains[0](x)`, or `combine(chains[0](x), chains[1](y))`.
 * The property it serves: a pure elementwise graph fuses into one kernel.
 */
export type PointwiseCase = (
  | { readonly shape: Shape; readonly inputRanges: readonly [Interval]; readonly chains: readonly [Chain]; readonly combine: null; readonly dataSeed: number }
  | {
      readonly shape: Shape;
      readonly inputRanges: readonly [Interval, Interval];
      readonly chains: readonly [Chain, Chain];
      readonly combine: BinaryOp;
      readonly dataSeed: number;
    }
) & {
  /** Drawn from the wide value space ([gen.space.1]); absent: the ordinary one. */
  readonly space?: 'wide';
};

export interface PointwiseCaseConstraints {
  readonly shape?: ShapeConstraints;
  /** For each chain; a single-chain case always gets at least one step, so the graph has an op. */
  readonly chain?: ChainConstraints;
  readonly inputRanges?: readonly Interval[];
  /** Value spaces to draw from (default both; [gen.space.1]). */
  readonly spaces?: readonly ValueSpace[];
}

/** Random pure elementwise graphs ([gen.case.2]). */
export function pointwiseCaseArbitrary(c: PointwiseCaseConstraints = {}): fc.Arbitrary<PointwiseCase> {
  return inSpaces(c.spaces, (space) => pointwiseCaseIn(space, c));
}

function pointwiseCaseIn(space: ValueSpace, c: PointwiseCaseConstraints): fc.Arbitrary<PointwiseCase> {
  const range = fc.constantFrom(...(c.inputRanges ?? space.inputRanges));
  const chain = chainArbitrary({ ...c.chain, space });
  const nonEmpty = chainArbitrary({ ...c.chain, space, minLength: Math.max(1, c.chain?.minLength ?? 1) });
  const shape = shapeArbitrary(c.shape);
  const seed = fc.integer({ min: 0, max: 0x7fffffff });
  const single = fc
    .record({ shape, inputRanges: fc.tuple(range), chains: fc.tuple(nonEmpty), combine: fc.constant(null), dataSeed: seed })
    .map((p) => ({ ...p, chains: capSideTensors(p.chains) }));
  const double = fc
    .record({ shape, inputRanges: fc.tuple(range, range), chains: fc.tuple(chain, chain), combine: fc.constantFrom(...BINARY_OPS), dataSeed: seed })
    .map((p) => ({ ...p, chains: capSideTensors(p.chains) }));
  return fc.oneof<fc.Arbitrary<PointwiseCase>[]>(single, double);
}

/** Traces a pointwise case (guards as in buildFusionCase) and fills its inputs from dataSeed. */
export function buildPointwiseCase(pcase: PointwiseCase): BuiltCase {
  const names = ['x', 'y'];
  const sides = planSides(pcase.chains, pcase.shape);
  const heads = pcase.inputRanges.map((range, k): InputSpec => ({ name: names[k] ?? `in${k}`, shape: pcase.shape, range }));
  const space = spaceOf(pcase);
  return traceCase(heads, sides, createRegistry().kernels, pcase.dataSeed, (values, sideValues, guards) => {
    const results = pcase.chains.map((chain, k) => applyChain(values[k] as Value, chain, sideValues[k] ?? [], guards, `chain ${names[k]}`, space));
    const [a, b] = results as [Value, Value | undefined];
    return { result: pcase.combine === null || b === undefined ? a : applyBinary(pcase.combine, a, b, guards, 'combine', space) };
  }, space);
}

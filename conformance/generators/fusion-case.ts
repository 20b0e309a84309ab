import fc from 'fast-check';
import type { DType, KernelSettings, Shape } from '../../spec/ir/index.js';
import { elementwiseAdd } from '../reference-door.js';
import { createRegistry } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { applyChain, castValue, guardSum, planSides } from './apply-chain.js';
import type { F16Plan } from './f16-plan.js';
import type { Value } from './apply-chain.js';
import { traceCase } from './built-case.js';
import type { BuiltCase, InputSpec } from './built-case.js';
import { capSideTensors, chainArbitrary, MAX_SIDE_TENSORS } from './chain.js';
import type { Chain, ChainConstraints } from './chain.js';
import { blockSizesArbitrary } from './config.js';
import type { BlockSizesConstraints } from './config.js';
import { opInterval, spaceOf } from './interval.js';
import { foldedAddLayout } from './large.js';
import { inSpaces } from './spaces.js';
import type { Interval, ValueSpace } from './interval.js';
import { shapeArbitrary } from './shape.js';
import type { ShapeConstraints } from './shape.js';

export type { BuiltCase, InputSpec } from './built-case.js';
export { buildPointwiseCase, pointwiseCaseArbitrary } from './pointwise-case.js';
export type { PointwiseCase, PointwiseCaseConstraints } from './pointwise-case.js';

/**
 * One fusion case: `epilogue(add(prologues[0](x), prologues[1](y)))`, where `add` is the registered
 * elementwise add kernel with blocks `blockSizes`. Plain data, so fast-check prints and shrinks it.
 */
export interface FusionCase {
  readonly shape: Shape;
  readonly blockSizes: readonly [number, number];
  /** Data ranges of x and y. */
  readonly inputRanges: readonly [Interval, Interval];
  /** One chain per kernel input, x then y. */
  readonly prologues: readonly [Chain, Chain];
  readonly epilogue: Chain;
  /** Seeds the data of every input (mulberry32). */
  readonly dataSeed: number;
  /** Also return the kernel's own output, so it has a user besides the epilogue ([fusion.epilogue.3]). */
  readonly returnsKernelOutput?: boolean;
  /** Drawn from the wide value space ([gen.space.1]); absent: the ordinary one. */
  readonly space?: 'wide';
  /** A mixed-precision case ([gen.f16.1]): f16 inputs, dtype changes as planned, values in F16_SPACE. */
  readonly f16?: F16Plan;
}

export interface FusionCaseConstraints {
  readonly shape?: ShapeConstraints;
  readonly blockSizes?: BlockSizesConstraints;
  /** Applies to both prologues and the epilogue. */
  readonly chain?: ChainConstraints;
  /** Ranges to draw x and y from (default: the value space's). */
  readonly inputRanges?: readonly Interval[];
  /** Value spaces to draw from (default both, ordinary three times as often as wide; [gen.space.1]). */
  readonly spaces?: readonly ValueSpace[];
  /** Draw only layouts past 65535 workgroups, instead of `shape` and `blockSizes` ([gen.large.1]). */
  readonly large?: boolean;
}

/** The case of the origin test (vLLM PR #39944): `relu(add(x*2, y+1))`, 4×4, blocks [4, 4]. */
export const SEED_CASE: FusionCase = {
  shape: [4, 4],
  blockSizes: [4, 4],
  inputRanges: [
    [-2, 2],
    [-2, 2],
  ],
  prologues: [[{ op: 'mul', operand: { kind: 'const', value: 2 }, swap: false }], [{ op: 'add', operand: { kind: 'const', value: 1 }, swap: false }]],
  epilogue: [{ op: 'relu' }],
  dataSeed: 0,
};

/** Random fusion cases around the elementwise add kernel ([gen.case.1]). */
export function fusionCaseArbitrary(c: FusionCaseConstraints = {}): fc.Arbitrary<FusionCase> {
  return inSpaces(c.spaces, (space) => fusionCaseIn(space, c));
}

function fusionCaseIn(space: ValueSpace, c: FusionCaseConstraints): fc.Arbitrary<FusionCase> {
  const chain = chainArbitrary({ ...c.chain, space });
  const range = fc.constantFrom(...(c.inputRanges ?? space.inputRanges));
  const layout = c.large === true ? foldedAddLayout() : fc.record({ shape: shapeArbitrary(c.shape), blockSizes: blockSizesArbitrary(c.blockSizes) });
  return fc
    .record({
      layout,
      inputRanges: fc.tuple(range, range),
      prologues: fc.tuple(chain, chain),
      epilogue: chain,
      dataSeed: fc.integer({ min: 0, max: 0x7fffffff }),
      returnsKernelOutput: fc.boolean(),
    })
    .map(({ layout: { shape, blockSizes }, ...fcase }): FusionCase => {
      // A second store takes a storage buffer too, so one side tensor fewer fits.
      const max = fcase.returnsKernelOutput ? MAX_SIDE_TENSORS - 1 : MAX_SIDE_TENSORS;
      const [px, py, epilogue] = capSideTensors([fcase.prologues[0], fcase.prologues[1], fcase.epilogue] as const, max);
      return { shape, blockSizes, ...fcase, prologues: [px, py], epilogue };
    });
}

/** The name the add kernel is registered under, and so the name of its call in descriptions. */
export const ADD_KERNEL = 'add';

/**
 * Traces a fusion case with a fresh registry holding the add kernel (config 'default' = the case's
 * blocks) and fills its inputs from dataSeed. Deterministic: the same case gives the same graph and data.
 */
export function buildFusionCase(fcase: FusionCase, settings: Partial<KernelSettings> = {}): BuiltCase {
  const registry = createRegistry();
  const add = registry.register(ADD_KERNEL, { template: elementwiseAdd, configs: { default: { blockSizes: [...fcase.blockSizes] } }, settings });
  const plan = fcase.f16;
  const dtype: DType = plan === undefined ? 'f32' : 'f16';
  const sides = planSides([fcase.prologues[0], fcase.prologues[1], fcase.epilogue], fcase.shape).map((list) => list.map((s) => ({ ...s, dtype })));
  const heads: InputSpec[] = [
    { name: 'x', shape: fcase.shape, range: fcase.inputRanges[0], dtype },
    { name: 'y', shape: fcase.shape, range: fcase.inputRanges[1], dtype },
  ];
  const space = spaceOf(fcase);
  const toCall = (v: Value): Value => (plan === undefined ? v : castValue(v, plan.call));
  return traceCase(heads, sides, registry.kernels, fcase.dataSeed, ([xv, yv], [xs = [], ys = [], es = []], guards) => {
    const [px, py] = guardSum(
      toCall(applyChain(xv as Value, fcase.prologues[0], xs, guards, 'prologue x', space, plan?.switchAt[0] ?? null)),
      toCall(applyChain(yv as Value, fcase.prologues[1], ys, guards, 'prologue y', space, plan?.switchAt[1] ?? null)),
      guards,
      `call ${ADD_KERNEL}`,
      space,
    );
    const out = add(px.t as Tensor, py.t as Tensor);
    // The kernel computes x + y, so its output range is that of an add.
    const called: Value = { t: out, range: opInterval('add', px.range, py.range), text: `${ADD_KERNEL}(${px.text}, ${py.text})` };
    const result = storedAs(plan, applyChain(called, fcase.epilogue, es, guards, 'epilogue', space, plan?.switchAt[2] ?? null));
    return { result, alsoReturned: fcase.returnsKernelOutput === true ? called : undefined };
  }, space);
}

/** A mixed-precision case's result as its plan stores it ([gen.f16.1]). */
export function storedAs(plan: F16Plan | undefined, v: Value): Value {
  if (plan === undefined) return v;
  if (plan.output === 'f16-widened') return castValue(castValue(v, 'f16'), 'f32');
  return castValue(v, plan.output);
}

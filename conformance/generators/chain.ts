import fc from 'fast-check';
import { BINARY_OPS, UNARY_OPS } from '../../spec/ir/index.js';
import type { BinaryOp, OpName, UnaryOp } from '../../spec/ir/index.js';
import { ORDINARY } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';

/**
 * How a side tensor broadcasts against the chain's shape S (rank r): scalar [1], scalar0d [] (0-d),
 * row [S[r-1]], column [...S[0..r-2], 1] (rank 1: [1]), full S, and `mask:<d><p>`: drop the d leading
 * extents (keeping at least one), then set to 1 every extent whose character in the 4-character
 * pattern p (aligned right) is '1' — every legal broadcast, middle dimensions included.
 */
export type Broadcast = 'scalar' | 'scalar0d' | 'row' | 'column' | 'full' | `mask:${number}${string}`;
/** What constraints select: the named forms, or 'mask' for random masks. */
export type BroadcastKind = Exclude<Broadcast, `mask:${string}`> | 'mask';

/** The second operand of a binary step. A side tensor becomes a graph input; `range` is its data range. */
export type Operand =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'tensor'; readonly broadcast: Broadcast; readonly range: Interval };

export type UnaryStep = { readonly op: UnaryOp };
/** `swap` puts the chain value on the right: `c - v`, `c / v`; for commutative ops it tests operand order. */
export type BinaryStep = { readonly op: BinaryOp; readonly operand: Operand; readonly swap: boolean };
export type Step = UnaryStep | BinaryStep;

/** Elementwise ops applied in order to one value (a prologue on a kernel input, or an epilogue). */
export type Chain = readonly Step[];

export interface ChainConstraints {
  /** Fewest steps (default 0: an empty prologue is a kernel input read as is). */
  readonly minLength?: number;
  /** Most steps (default 8). */
  readonly maxLength?: number;
  /** Ops to draw from (default: the whole catalog). */
  readonly ops?: readonly OpName[];
  /** Kinds of side tensors to draw (default all); an empty list means constants only. */
  readonly broadcasts?: readonly BroadcastKind[];
  /** Where side tensors' ranges and constants come from (default ORDINARY; [gen.space.1]). */
  readonly space?: ValueSpace;
}

export const BROADCASTS: readonly BroadcastKind[] = ['scalar', 'scalar0d', 'row', 'column', 'full', 'mask'];

const maskArbitrary: fc.Arbitrary<Broadcast> = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.array(fc.constantFrom('k', '1'), { minLength: 4, maxLength: 4 }))
  .map(([drop, pattern]): Broadcast => `mask:${drop}${pattern.join('')}`);

export function isBinaryStep(step: Step): step is BinaryStep {
  return 'operand' in step;
}

/** The shape of a side tensor that broadcasts as `b` against `shape`. */
export function sideShape(b: Broadcast, shape: readonly number[]): number[] {
  switch (b) {
    case 'scalar':
      return [1];
    case 'row':
      return [shape[shape.length - 1] ?? 1];
    case 'column':
      return shape.length < 2 ? [1] : [...shape.slice(0, -1), 1];
    case 'full':
      return [...shape];
    case 'scalar0d':
      return [];
  }
  const drop = Math.min(Number(b.charAt(5)), shape.length - 1);
  const pattern = b.slice(6);
  const kept = shape.slice(drop);
  return kept.map((extent, j) => (pattern.charAt(pattern.length - kept.length + j) === '1' ? 1 : extent));
}

// Constants k/8 shrink towards 0 and print short; a few awkward f32 values (0.1, 1/3) test literal printing;
// the wide space adds its own (1e30, tiny normals), which test literals at f32's edges.
const AWKWARD = [0.1, -0.1, 1 / 3, 1e-3, 100] as const;
function constValue(space: ValueSpace): fc.Arbitrary<number> {
  const choices: fc.WeightedArbitrary<number>[] = [
    { weight: 4, arbitrary: fc.integer({ min: -32, max: 32 }).map((k) => k / 8) },
    { weight: 1, arbitrary: fc.constantFrom(...AWKWARD).map(Math.fround) },
  ];
  if (space.constants.length > 0) choices.push({ weight: 2, arbitrary: fc.constantFrom(...space.constants).map(Math.fround) });
  return fc.oneof(...choices);
}
// Divisor constants keep |c| ≥ 0.5, or come from the space's own list, each at least its margin from zero.
function divisorValue(space: ValueSpace): fc.Arbitrary<number> {
  const ordinary = fc.tuple(fc.boolean(), fc.integer({ min: 4, max: 32 })).map(([negative, k]) => (negative ? -k : k) / 8);
  if (space.divisorConstants.length === 0) return ordinary;
  return fc.oneof({ weight: 2, arbitrary: ordinary }, { weight: 1, arbitrary: fc.constantFrom(...space.divisorConstants).map(Math.fround) });
}

function broadcastArbitrary(kinds: readonly BroadcastKind[]): fc.Arbitrary<Broadcast> {
  const named = kinds.filter((k): k is Exclude<BroadcastKind, 'mask'> => k !== 'mask');
  const choices: fc.Arbitrary<Broadcast>[] = named.length > 0 ? [fc.constantFrom(...named)] : [];
  if (kinds.includes('mask')) choices.push(maskArbitrary);
  return fc.oneof(...choices);
}

function operandArbitrary(op: BinaryOp, broadcasts: readonly BroadcastKind[], space: ValueSpace): fc.Arbitrary<Operand> {
  const value = op === 'div' ? divisorValue(space) : constValue(space);
  const constant = value.map((v): Operand => ({ kind: 'const', value: v }));
  if (broadcasts.length === 0) return constant;
  // A side tensor may end up the divisor (when not swapped), so div draws only ranges away from zero.
  const ranges = op === 'div' ? space.divisorRanges : space.sideRanges;
  const tensor = fc
    .record({ broadcast: broadcastArbitrary(broadcasts), range: fc.constantFrom(...ranges) })
    .map(({ broadcast, range }): Operand => ({ kind: 'tensor', broadcast, range }));
  return fc.oneof(constant, tensor);
}

function stepArbitrary(ops: readonly OpName[], broadcasts: readonly BroadcastKind[], space: ValueSpace): fc.Arbitrary<Step> {
  const unary = UNARY_OPS.filter((o) => ops.includes(o));
  const binary = BINARY_OPS.filter((o) => ops.includes(o));
  // Weighted per op, so unary and binary ops are drawn about equally often.
  const choices: fc.WeightedArbitrary<Step>[] = [];
  if (unary.length > 0) choices.push({ weight: unary.length, arbitrary: fc.constantFrom(...unary).map((op): Step => ({ op })) });
  for (const op of binary) {
    const arbitrary = fc.record({ op: fc.constant(op), operand: operandArbitrary(op, broadcasts, space), swap: fc.boolean() });
    choices.push({ weight: 1, arbitrary });
  }
  if (choices.length === 0) throw new Error('[gen.chain.1] chainArbitrary: constraints.ops selects no op from the catalog');
  return fc.oneof(...choices);
}

/**
 * A chain of elementwise steps ([gen.chain.1]). Steps are drawn freely; domain safety is not the
 * arbitrary's job but `applyChain`'s, which inserts guards, so a shrunk chain stays valid.
 */
export function chainArbitrary(c: ChainConstraints = {}): fc.Arbitrary<Chain> {
  const step = stepArbitrary(c.ops ?? [...UNARY_OPS, ...BINARY_OPS], c.broadcasts ?? BROADCASTS, c.space ?? ORDINARY);
  return fc.array(step, { minLength: c.minLength ?? 0, maxLength: c.maxLength ?? 8 });
}

/**
 * Side tensors a case may read, so a fused kernel fits compatibility-mode defaults: 8 storage buffers
 * per stage hold x, y, at most 5 side tensors and the output (4 when the kernel output is stored too)
 * ([gen.limits.1]).
 */
export const MAX_SIDE_TENSORS = 5;

/**
 * Turns the side tensors past the first `max` (counted across all chains, in order) into constants: the
 * range's endpoint of largest magnitude, which is away from zero for divisor ranges.
 */
export function capSideTensors<C extends readonly Chain[]>(chains: C, max = MAX_SIDE_TENSORS): C {
  let seen = 0;
  const capStep = (step: Step): Step => {
    if (!isBinaryStep(step) || step.operand.kind !== 'tensor' || ++seen <= max) return step;
    const [lo, hi] = step.operand.range;
    return { ...step, operand: { kind: 'const', value: Math.abs(lo) > Math.abs(hi) ? lo : hi } };
  };
  return chains.map((chain) => chain.map(capStep)) as unknown as C;
}

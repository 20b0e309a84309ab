import type { OpName } from '../../spec/ir/index.js';

/**
 * Value ranges for the generators: a conservative f64 interval per tensor, so a generated case can be
 * kept inside every op's domain by construction (spec/numerics.md: NaN/Inf make GPU results
 * indeterminate, so cases must never produce them). This is a generator tool, not the tolerance.
 */
export type Interval = readonly [lo: number, hi: number];

/** Generated values stay within ±VALUE_LIMIT, far from f32 overflow (3.4e38) even after exp-free growth. */
export const VALUE_LIMIT = 1e6;

/** log/sqrt arguments and divisors stay at least this far from zero, so derivatives (1/x, 1/x²) stay small. */
export const SAFE_MARGIN = 0.25;

/** exp arguments are clamped to at most this (e^10 ≈ 22026), so exp never overflows and its 3+2|x| ULP budget stays small. */
export const EXP_MAX = 10;

/** sigmoid arguments stay ≥ this: a lowering as 1/(1+exp(-x)) overflows exp(-x) below about -88. */
export const SIGMOID_MIN = -80;

/** Ranges for the kernel inputs x and y: mixed sign, positive away from zero, negative away from zero. */
export const INPUT_RANGES: readonly Interval[] = [
  [-2, 2],
  [0.5, 2],
  [-4, -0.25],
];

/** Ranges for side tensors that are not divisors. */
export const SIDE_RANGES: readonly Interval[] = [[-2, 2], [0, 1], [0.5, 2], [-4, -0.25], [-1, 3]];

/** Ranges for side tensors that are divisors: |v| ≥ 0.5 (spec/numerics.md, div accuracy needs |y| ≥ 2^-126). */
export const DIVISOR_RANGES: readonly Interval[] = [
  [0.5, 2],
  [-4, -0.5],
  [1, 3],
];

// Each op's f32 rounding may move a value by half an ULP: widen every tracked bound by 2^-20 relative.
function widen([lo, hi]: Interval): Interval {
  const slack = (x: number): number => Math.abs(x) * 2 ** -20 + 2 ** -126;
  return [lo - slack(lo), hi + slack(hi)];
}

const span = (values: readonly number[]): Interval => [Math.min(...values), Math.max(...values)];

/**
 * The set of results of `op` over operands in `a` (and `b`), widened for f32 rounding. Callers must
 * only ask for ops whose domain the operands satisfy (see `inGeneratorMargin`).
 */
export function opInterval(op: OpName, a: Interval, b: Interval = [0, 0]): Interval {
  const [alo, ahi] = a;
  const [blo, bhi] = b;
  switch (op) {
    case 'neg':
      return widen([-ahi, -alo]);
    case 'abs':
      return widen(alo >= 0 ? a : ahi <= 0 ? [-ahi, -alo] : [0, Math.max(-alo, ahi)]);
    case 'relu':
      return widen([Math.max(alo, 0), Math.max(ahi, 0)]);
    case 'exp':
      return widen([Math.exp(alo), Math.exp(ahi)]);
    case 'log':
      return widen([Math.log(alo), Math.log(ahi)]);
    case 'sqrt':
      return widen([Math.sqrt(alo), Math.sqrt(ahi)]);
    case 'tanh':
      return widen([Math.tanh(alo), Math.tanh(ahi)]);
    case 'sigmoid':
      return widen([1 / (1 + Math.exp(-alo)), 1 / (1 + Math.exp(-ahi))]);
    case 'add':
      return widen([alo + blo, ahi + bhi]);
    case 'sub':
      return widen([alo - bhi, ahi - blo]);
    case 'mul':
      return widen(span([alo * blo, alo * bhi, ahi * blo, ahi * bhi]));
    case 'div':
      return widen(span([alo / blo, alo / bhi, ahi / blo, ahi / bhi]));
    case 'maximum':
      return widen([Math.max(alo, blo), Math.max(ahi, bhi)]);
    case 'minimum':
      return widen([Math.min(alo, blo), Math.min(ahi, bhi)]);
  }
}

/** True when the interval has a point in [lo, hi]. */
export function meets([a, b]: Interval, lo: number, hi: number): boolean {
  return a <= hi && b >= lo;
}

/** True when every value of the interval is within ±VALUE_LIMIT. */
export function bounded([lo, hi]: Interval): boolean {
  return lo >= -VALUE_LIMIT && hi <= VALUE_LIMIT;
}

/**
 * The catalog's domains (spec/ir/ops.ts `domain`) as a predicate on operand values, plus
 * sigmoid's: a GPU lowers it through exp(-x), which must stay finite.
 */
export function inOpDomain(op: OpName, a: number, b = 0): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  switch (op) {
    case 'exp':
      return a < 88;
    case 'sigmoid':
      return a > -88;
    case 'log':
      return a > 0;
    case 'sqrt':
      return a >= 0;
    case 'div':
      return Math.abs(b) >= 2 ** -126 && Math.abs(b) <= 2 ** 126;
    default:
      return true;
  }
}

/** The generators' stricter promise: operands stay SAFE_MARGIN away from the edges that blow up derivatives. */
export function inGeneratorMargin(op: OpName, a: number, b = 0): boolean {
  const margin = SAFE_MARGIN * (1 - 2 ** -20);
  switch (op) {
    case 'exp':
      return a <= EXP_MAX;
    case 'sigmoid':
      return a >= SIGMOID_MIN;
    case 'log':
    case 'sqrt':
      return a >= margin;
    case 'div':
      return Math.abs(b) >= margin;
    default:
      return inOpDomain(op, a, b);
  }
}

export function formatInterval([lo, hi]: Interval): string {
  return `[${lo}, ${hi}]`;
}

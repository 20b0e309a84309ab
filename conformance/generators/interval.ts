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

/**
 * The part of each op's domain a case is drawn from ([gen.space.1]): the bounds every node value and op
 * argument keep, the data ranges, and constants beyond the ordinary ones. `ordinary` keeps values
 * moderate, so tolerances stay tight; `wide` reaches the edges of f32 and of each op's domain
 * (magnitudes up to 1e37, log/sqrt arguments and divisors down to 2^-100, exp arguments up to 85,
 * sigmoid arguments down to -87, tiny normals), still where every result is determinate.
 */
export interface ValueSpace {
  readonly name: 'ordinary' | 'wide' | 'f16';
  /** Every node value stays within ±limit. */
  readonly limit: number;
  /** log/sqrt arguments and divisors stay at least this far from zero. */
  readonly margin: number;
  /**
   * A log/sqrt argument or divisor whose range comes closer to zero than this gets a guard,
   * `add(abs(·), guardFloor)`. Wide: 1e-3, so an operand the oracle widens by an op's absolute error
   * (tanh's 1e-5) is guarded too, while the guarded value still comes down to the margin.
   */
  readonly guardBelow: number;
  readonly guardFloor: number;
  /** exp arguments stay ≤ this. */
  readonly expMax: number;
  /** sigmoid arguments stay ≥ this. */
  readonly sigmoidMin: number;
  readonly inputRanges: readonly Interval[];
  readonly sideRanges: readonly Interval[];
  readonly divisorRanges: readonly Interval[];
  /** Constants drawn besides k/8 and the awkward ones; divisor constants besides ±k/8 ≥ 0.5. */
  readonly constants: readonly number[];
  readonly divisorConstants: readonly number[];
}

export const ORDINARY: ValueSpace = {
  name: 'ordinary',
  limit: VALUE_LIMIT,
  margin: SAFE_MARGIN,
  guardBelow: SAFE_MARGIN,
  guardFloor: 0.5,
  expMax: EXP_MAX,
  sigmoidMin: SIGMOID_MIN,
  inputRanges: INPUT_RANGES,
  sideRanges: SIDE_RANGES,
  divisorRanges: DIVISOR_RANGES,
  constants: [],
  divisorConstants: [],
};

const TINY = 2 ** -100; // ≈ 7.9e-31: a tiny normal, 2^26 above the smallest one
export const WIDE: ValueSpace = {
  name: 'wide',
  // e^85 ≈ 8.2e36 and 1e37 leave a factor of 30 below f32's largest finite value. Data and constants
  // stay within ±1e36, so an op on them (or a side tensor turned constant) has room before the limit.
  limit: 1e37,
  margin: TINY,
  guardBelow: 1e-3,
  guardFloor: TINY,
  expMax: 85,
  // exp(87) ≈ 6.1e37 is finite: sigmoid lowered through exp(-x) stays determinate.
  sigmoidMin: -87,
  inputRanges: [...INPUT_RANGES, [-1e36, 1e36], [1e30, 1e36], [-1e36, -1e30], [2 ** -125, TINY], [70, 85], [-87, -70]],
  sideRanges: [...SIDE_RANGES, [-1e36, 1e36], [1e30, 1e36], [2 ** -125, TINY]],
  divisorRanges: [...DIVISOR_RANGES, [2 ** -99, 2 ** -80], [1e30, 1e36], [-1e36, -1e30]],
  constants: [1e30, -1e36, 2 ** -120, -TINY],
  divisorConstants: [2 ** -99, -1e30, 1e36],
};

/** The space a case names: `wide` when it says so, else `ordinary` (cases written before spaces existed). */
/**
 * The value space of f16 cases: the ordinary one, with every value within ±30000 so an f16 node never
 * overflows (the largest f16 is 65504), plus inputs in [-300, 300], whose squares pass f16's range: a
 * row reduction that accumulates in f16 instead of f32 overflows on them ([numerics.f16.1]).
 */
export const F16_SPACE: ValueSpace = {
  ...ORDINARY,
  name: 'f16',
  limit: 3e4,
  inputRanges: [...ORDINARY.inputRanges, [-300, 300] as Interval],
};

/** The space a case was drawn from: its mark, or F16_SPACE for a mixed-precision case ([gen.f16.1]). */
export function spaceOf(c: { readonly space?: 'wide' | undefined; readonly f16?: unknown }): ValueSpace {
  return c.space === 'wide' ? WIDE : c.f16 !== undefined ? F16_SPACE : ORDINARY;
}

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
    case 'cast_f16': {
      // Either f16 neighbour: half an f16 step is at most 2^-11 relative, or 2^-25 among subnormals.
      const slack = (x: number): number => Math.abs(x) * 2 ** -10 + 2 ** -24;
      return [alo - slack(alo), ahi + slack(ahi)];
    }
    case 'cast_f32':
      return a;
  }
}

/** True when the interval has a point in [lo, hi]. */
export function meets([a, b]: Interval, lo: number, hi: number): boolean {
  return a <= hi && b >= lo;
}

/** True when every value of the interval is within ±limit (the space's; VALUE_LIMIT by default). */
export function bounded([lo, hi]: Interval, limit = VALUE_LIMIT): boolean {
  return lo >= -limit && hi <= limit;
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
    case 'cast_f16':
      return Math.abs(a) <= 65504;
    default:
      return true;
  }
}

/** The generators' stricter promise: operands stay inside the space's margins (SAFE_MARGIN from zero, ordinarily). */
export function inGeneratorMargin(op: OpName, a: number, b = 0, space: ValueSpace = ORDINARY): boolean {
  const margin = space.margin * (1 - 2 ** -20);
  switch (op) {
    case 'exp':
      return a <= space.expMax;
    case 'sigmoid':
      return a >= space.sigmoidMin;
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

/** f32 steps, distances, outward rounding and ULP, measured on the ordered integer line of f32 bit patterns. */

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// The index of the word holding an f64's sign, exponent and top of the mantissa (1 on little-endian hosts).
const HIGH = ((): number => {
  f64[0] = 1;
  return u32[1] === 0x3ff00000 ? 1 : 0;
})();

/** The smallest positive normal f32, 2^-126: below it, values are subnormal and may be flushed. */
export const MIN_NORMAL_F32 = 2 ** -126;
/** The largest finite f32. */
export const MAX_F32 = (2 - 2 ** -23) * 2 ** 127;

// Maps f32 values to integers in the same order, with -0 and +0 both at 0, so steps are subtractions.
function key(x: number): number {
  f32[0] = x;
  const bits = i32[0] as number;
  return bits >= 0 ? bits : -(bits & 0x7fffffff);
}

function fromKey(k: number): number {
  i32[0] = k >= 0 ? k : -k | 0x80000000;
  return f32[0] as number;
}

/** The spacing of f32 values at |x|: 2^(e-23) for normal x (e its exponent), 2^-149 below 2^-126. */
export function ulpF32(x: number): number {
  const a = Math.fround(Math.abs(x));
  if (!Number.isFinite(a)) return a;
  f32[0] = a;
  const exponent = ((i32[0] as number) >>> 23) & 0xff;
  return exponent === 0 ? 2 ** -149 : 2 ** (exponent - 127 - 23);
}

/** The number of f32 values between fround(a) and fround(b), plus one if they differ: 0 when equal, 1 for neighbours. NaN when either is NaN. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (!Number.isFinite(Math.fround(a)) || !Number.isFinite(Math.fround(b))) return Math.fround(a) === Math.fround(b) ? 0 : Infinity;
  return Math.abs(key(Math.fround(a)) - key(Math.fround(b)));
}

/** The f32 value `n` steps above fround(x) (below when n < 0). */
export function stepF32(x: number, n: number): number {
  return fromKey(key(Math.fround(x)) + n);
}

/** The largest f32 ≤ x (−Infinity below −MAX_F32). */
export function floorF32(x: number): number {
  const f = Math.fround(x);
  return f > x ? fromKey(key(f) - 1) : f;
}

/** The smallest f32 ≥ x (+Infinity above MAX_F32). */
export function ceilF32(x: number): number {
  const f = Math.fround(x);
  return f < x ? fromKey(key(f) + 1) : f;
}

// 2^e for the exponents an f32 spacing can have, looked up rather than computed in the hot loops.
const POW2_BIAS = 200;
const POW2 = Float64Array.from({ length: 400 }, (_, i) => 2 ** (i - POW2_BIAS));

/** The unbiased binary exponent of a finite, positive, normal f64. */
function exponentOf(a: number): number {
  f64[0] = a;
  return (((u32[HIGH] as number) >>> 20) & 0x7ff) - 1023;
}

function isPowerOfTwo(a: number): boolean {
  f64[0] = a;
  return ((u32[HIGH] as number) & 0xfffff) === 0 && u32[1 - HIGH] === 0;
}

/**
 * ULP(x) as WGSL defines it ([numerics.ulp.2], after Muller): for a real x, the smallest b − a over
 * f32 values a ≤ x ≤ b with a ≠ b. That is the spacing of x's binade, except at an exact power of two,
 * where the gap below is the nearer one and half as large. 2^-149 below 2^-126 (subnormal spacing).
 * Infinity at or beyond 2^128.
 */
export function ulpAt(x: number): number {
  const a = Math.abs(x);
  if (a < MIN_NORMAL_F32) return 2 ** -149;
  if (a >= 2 ** 128) return Infinity;
  const e = exponentOf(a);
  const spacing = POW2[e - 23 + POW2_BIAS] as number;
  return e > -126 && isPowerOfTwo(a) ? spacing / 2 : spacing;
}

/** The spacing of f32 values just above |p| (the binade spacing, even at a power of two). */
export function spacingAbove(p: number): number {
  const a = Math.abs(p);
  if (a < MIN_NORMAL_F32) return 2 ** -149;
  if (a >= 2 ** 128) return Infinity;
  return POW2[exponentOf(a) - 23 + POW2_BIAS] as number;
}

/** The smallest power of two p with lo ≤ p < hi, or 0 when there is none; for a normal f64 lo > 0. */
export function powerOfTwoBetween(lo: number, hi: number): number {
  f64[0] = lo;
  const high = u32[HIGH] as number;
  if ((high & 0xfffff) === 0 && u32[1 - HIGH] === 0) return lo < hi ? lo : 0;
  const p = 2 ** (((high >>> 20) & 0x7ff) - 1022);
  return p < hi ? p : 0;
}

/** f32 steps and distances, measured on the ordered integer line of f32 bit patterns. */

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

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

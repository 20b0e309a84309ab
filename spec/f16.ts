import { f16round, Float16Array } from '@petamoriken/float16';
import type { DType } from './ir/types.js';

/**
 * f16 values as JS numbers (spec/numerics.md [numerics.f16.*]). Rounding is @petamoriken/float16's
 * f16round (IEEE round to nearest even, overflow to ±Infinity), the one conforming rounding the
 * interpreter uses; the oracle accepts either f16 neighbour, as WGSL does.
 */
export { f16round };

/** The largest finite f16. */
export const MAX_F16 = 65504;
/** The smallest positive normal f16, 2^-14; below it an implementation may flush to zero. */
export const MIN_NORMAL_F16 = 2 ** -14;

/** `v` rounded to nearest even in `dtype`: what a constant or a datum of that dtype holds. */
export function roundTo(dtype: DType, v: number): number {
  return dtype === 'f16' ? f16round(v) : Math.fround(v);
}

/** Whether `v` is exactly an f16 value (±0 and subnormals included; NaN is not). */
export function isF16(v: number): boolean {
  return f16round(v) === v;
}

/** The largest f16 at or below `v` (−Infinity below −MAX_F16). */
export function f16Below(v: number): number {
  const r = f16round(v);
  return r <= v ? r : nextF16Down(r);
}

/** The smallest f16 at or above `v` (+Infinity above MAX_F16). */
export function f16Above(v: number): number {
  const r = f16round(v);
  return r >= v ? r : -nextF16Down(-r);
}

/** The next f16 below `r`, which is an f16 value. */
function nextF16Down(r: number): number {
  if (r === Infinity) return MAX_F16;
  if (r <= -MAX_F16) return -Infinity;
  // The spacing just below r: a subnormal step near zero, else 2^(e-10) of r's binade (the smaller one at a power of two).
  const a = Math.abs(r);
  if (a <= MIN_NORMAL_F16) return r - 2 ** -24;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const step = r > 0 ? (a === 2 ** e ? 2 ** (e - 11) : 2 ** (e - 10)) : 2 ** (e - 10);
  return r - step;
}

/** The bytes of `values` as a buffer of `dtype` holds them: f32 as is, f16 as binary16 (values must be f16 values). */
export function encodeElements(values: Float32Array, dtype: 'f32' | 'f16'): Uint8Array {
  if (dtype === 'f32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return new Uint8Array(new Float16Array(values).buffer);
}

/** `n` elements of `dtype` from the start of `bytes`, as f32 values (an f16 widens exactly). */
export function decodeElements(bytes: ArrayBuffer, dtype: 'f32' | 'f16', n: number): Float32Array {
  if (dtype === 'f32') return new Float32Array(bytes, 0, n).slice();
  return Float32Array.from(new Float16Array(bytes, 0, n));
}

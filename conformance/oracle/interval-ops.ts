import { f16Below, f16Above, MAX_F16, MIN_NORMAL_F16 } from '../../spec/f16.js';
import type { OpName } from '../../spec/ir/index.js';
import * as f32 from './f32.js';

// Bound locally: the hot loops call these per element, and a module-namespace lookup per call
// (how vitest's SSR transform compiles named imports) costs several times the work itself.
const { ceilF32, floorF32, MAX_F32, MIN_NORMAL_F32, powerOfTwoBetween, spacingAbove, stepF32, ulpAt } = f32;

/**
 * Acceptance intervals of single ops (spec/numerics.md, [numerics.interval.1] and the per-op rules
 * [numerics.interval.<op>]): given operand intervals of f32 values, the interval of every f32 value a
 * conforming WGSL implementation may return for any operands inside them. The exact result's range
 * over the operand box, widened by the op's WGSL error bound, rounded outward to f32, then widened to
 * 0 where it meets the subnormal range. Computed in f64, as the WebGPU CTS does
 * (src/webgpu/util/floating_point.ts).
 *
 * The ops run once per element in the oracle's inner loop, so they allocate nothing: each leaves its
 * result in the module's `resultLo`/`resultHi`, NaN when the operands leave the op's domain (the reason
 * in `reason`). Composed ops (sqrt, tanh, sigmoid) copy a step's result out before the next step.
 */

let resultLo = 0;
let resultHi = 0;
let reason = '';

export type IntervalOp = (aLo: number, aHi: number, bLo: number, bHi: number) => void;

/** WGSL's tanh allowance taken from the WebGPU CTS: an absolute error of 1e-5 (gpuweb/gpuweb#5199). */
export const TANH_ABSOLUTE = 1e-5;
/** log's absolute error inside [0.5, 2]. */
export const LOG_ABSOLUTE = 2 ** -21;

// Library functions and divisions in f64 are off by an f64 ULP or two; pushing ends this much outward
// (2^-23 of an f32 ULP) keeps that from ever moving an end inward past an f32 value.
const FUZZ = 2 ** -46;

function refuse(why: string): void {
  resultLo = NaN;
  resultHi = NaN;
  reason = why;
}

/** Rounds [lo, hi] outward to f32 and applies the flush rule ([numerics.interval.flush]). */
function setRounded(lo: number, hi: number): void {
  // + 0 turns -0 into +0: signed zero is not distinguished.
  resultLo = floorF32(lo) + 0;
  resultHi = ceilF32(hi) + 0;
  if (!(resultLo > -Infinity && resultHi < Infinity)) {
    refuse(`the result reaches past the f32 range ±${MAX_F32.toPrecision(5)}`);
    return;
  }
  // A subnormal result, or a subnormal operand of the next op, may be flushed to zero.
  if ((resultHi > 0 && resultLo < MIN_NORMAL_F32) || (resultLo < 0 && resultHi > -MIN_NORMAL_F32)) {
    if (resultLo > 0) resultLo = 0;
    if (resultHi < 0) resultHi = 0;
  }
}

/**
 * setRounded for ends computed with f64 rounding error (library functions, division): each end moves
 * by FUZZ of its own magnitude. (The larger end's magnitude at both ends, as before, pushed the lower end
 * of a range like [1, 1e15] below zero.)
 */
function setWidened(lo: number, hi: number): void {
  setRounded(lo - Math.abs(lo) * FUZZ, hi + Math.abs(hi) * FUZZ);
}

/**
 * The lower end of the union over q ∈ [lo, hi] of [q − k·ULP(q), q + k·ULP(q)], where k is kLo at lo
 * and at most kMax elsewhere. q − k·ULP(q) grows with q except just above a power of two, where the
 * f32 spacing doubles; only the first power of two above lo can undercut lo's own value.
 */
function lowerUlp(lo: number, hi: number, kLo: number, kMax: number): number {
  let m = lo - kLo * ulpAt(lo);
  if (lo >= MIN_NORMAL_F32 && hi > lo && lo < Infinity) {
    const p = powerOfTwoBetween(lo, hi);
    if (p > 0) m = Math.min(m, p - kMax * spacingAbove(p));
  }
  return m;
}

/** The upper end of the same union, by symmetry. */
function upperUlp(lo: number, hi: number, kHi: number, kMax: number): number {
  return -lowerUlp(-hi, -lo, kHi, kMax);
}

/** The largest f32 ≤ a + b, exactly: when the f64 sum is an f32, TwoSum tells which side the exact sum is on. */
function sumDown(a: number, b: number): number {
  const s = a + b;
  const f = floorF32(s);
  if (f !== s) return f;
  const bv = s - a;
  return a - (s - bv) + (b - bv) < 0 ? stepF32(s, -1) : s;
}

function sumUp(a: number, b: number): number {
  return -sumDown(-a, -b);
}

// Correctly rounded ops ([numerics.interval.add] …): either f32 neighbour of the exact result.

function neg(aLo: number, aHi: number): void {
  setRounded(-aHi, -aLo);
}

function abs(aLo: number, aHi: number): void {
  if (aLo >= 0) setRounded(aLo, aHi);
  else if (aHi <= 0) setRounded(-aHi, -aLo);
  else setRounded(0, Math.max(-aLo, aHi));
}

function relu(aLo: number, aHi: number): void {
  setRounded(aLo > 0 ? aLo : 0, aHi > 0 ? aHi : 0);
}

function add(aLo: number, aHi: number, bLo: number, bHi: number): void {
  setRounded(sumDown(aLo, bLo), sumUp(aHi, bHi));
}

function sub(aLo: number, aHi: number, bLo: number, bHi: number): void {
  setRounded(sumDown(aLo, -bHi), sumUp(aHi, -bLo));
}

// A product of two f32 values is exact in f64 (48 significant bits), so the corners are exact.
function mul(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const c1 = aLo * bLo;
  const c2 = aLo * bHi;
  const c3 = aHi * bLo;
  const c4 = aHi * bHi;
  setRounded(Math.min(Math.min(c1, c2), Math.min(c3, c4)), Math.max(Math.max(c1, c2), Math.max(c3, c4)));
}

function maximum(aLo: number, aHi: number, bLo: number, bHi: number): void {
  setRounded(Math.max(aLo, bLo), Math.max(aHi, bHi));
}

function minimum(aLo: number, aHi: number, bLo: number, bHi: number): void {
  setRounded(Math.min(aLo, bLo), Math.min(aHi, bHi));
}

// Division: 2.5 ULP for |y| in [2^-126, 2^126]. On a box whose divisor excludes 0, x/y is monotone in
// each operand, so the extremes are at the corners.
function div(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const positive = bLo >= MIN_NORMAL_F32 && bHi <= 2 ** 126;
  const negative = bHi <= -MIN_NORMAL_F32 && bLo >= -(2 ** 126);
  if (!positive && !negative) {
    refuse(`divisor interval [${bLo}, ${bHi}] is not inside ±[2^-126, 2^126], where WGSL defines division`);
    return;
  }
  const c1 = aLo / bLo;
  const c2 = aLo / bHi;
  const c3 = aHi / bLo;
  const c4 = aHi / bHi;
  const qLo = Math.min(Math.min(c1, c2), Math.min(c3, c4));
  const qHi = Math.max(Math.max(c1, c2), Math.max(c3, c4));
  setWidened(lowerUlp(qLo, qHi, 2.5, 2.5), upperUlp(qLo, qHi, 2.5, 2.5));
}

// exp: 3 + 2·|x| ULP. Monotone; the error grows with |x| slower than exp moves, so the ends are at the
// operand ends (k at each), apart from the power-of-two drop handled in lowerUlp. Not below x ≈ -102.6,
// where exp(x) is subnormal, its ULP fixed at 2^-149 and exp(x) + k·2^-149 falls as x rises: there the
// upper end is the lower operand's.
function exp(aLo: number, aHi: number): void {
  const kLo = 3 + 2 * Math.abs(aLo);
  const kHi = 3 + 2 * Math.abs(aHi);
  const kMax = Math.max(kLo, kHi);
  const vLo = Math.exp(aLo);
  const vHi = Math.exp(aHi);
  setWidened(lowerUlp(vLo, vHi, kLo, kMax), Math.max(upperUlp(vLo, vHi, kHi, kMax), vLo + kLo * ulpAt(vLo)));
}

// log: absolute 2^-21 for x in [0.5, 2], else 3 ULP. The operand interval is split at 0.5 and 2 and
// the pieces' intervals joined.
function log(aLo: number, aHi: number): void {
  if (!(aLo > 0)) {
    refuse(`log needs x > 0, the operand interval reaches ${aLo}`);
    return;
  }
  let lo = Infinity;
  let hi = -Infinity;
  if (aLo < 0.5) {
    const vLo = Math.log(aLo);
    const vHi = Math.log(Math.min(aHi, 0.5));
    lo = Math.min(lo, lowerUlp(vLo, vHi, 3, 3));
    hi = Math.max(hi, upperUlp(vLo, vHi, 3, 3));
  }
  if (aLo <= 2 && aHi >= 0.5) {
    lo = Math.min(lo, Math.log(Math.max(aLo, 0.5)) - LOG_ABSOLUTE);
    hi = Math.max(hi, Math.log(Math.min(aHi, 2)) + LOG_ABSOLUTE);
  }
  if (aHi > 2) {
    const vLo = Math.log(Math.max(aLo, 2));
    const vHi = Math.log(aHi);
    lo = Math.min(lo, lowerUlp(vLo, vHi, 3, 3));
    hi = Math.max(hi, upperUlp(vLo, vHi, 3, 3));
  }
  setWidened(lo, hi);
}

// sqrt: inherited from 1/inverseSqrt(x): inverseSqrt (2 ULP) rounded to f32, then the division (2.5 ULP).
function sqrt(aLo: number, aHi: number): void {
  if (!(aLo > 0)) {
    refuse(`sqrt needs x > 0 (inherited from 1/inverseSqrt(x)), the operand interval reaches ${aLo}`);
    return;
  }
  const vLo = 1 / Math.sqrt(aHi);
  const vHi = 1 / Math.sqrt(aLo);
  setWidened(lowerUlp(vLo, vHi, 2, 2), upperUlp(vLo, vHi, 2, 2));
  if (Number.isNaN(resultLo)) return;
  div(1, 1, resultLo, resultHi);
}

/**
 * tanh(x) at a point as WGSL's inherited rule computes it, sinh(x)/cosh(x) with
 * sinh = (exp(x) − exp(−x))·0.5 and cosh = (exp(x) + exp(−x))·0.5, each step its own interval.
 * False (result undefined) where a step overflows f32: |x| beyond about 88.7.
 */
function tanhViaSinhCosh(x: number): boolean {
  exp(x, x);
  const pLo = resultLo;
  const pHi = resultHi;
  exp(-x, -x);
  const nLo = resultLo;
  const nHi = resultHi;
  if (Number.isNaN(pLo) || Number.isNaN(nLo)) return false;
  sub(pLo, pHi, nLo, nHi);
  mul(resultLo, resultHi, 0.5, 0.5);
  const sLo = resultLo;
  const sHi = resultHi;
  add(pLo, pHi, nLo, nHi);
  if (Number.isNaN(resultLo) || Number.isNaN(sLo)) return false;
  mul(resultLo, resultHi, 0.5, 0.5);
  div(sLo, sHi, resultLo, resultHi);
  return !Number.isNaN(resultLo);
}

// tanh: the WGSL rule (inherited from sinh/cosh) joined with the CTS's absolute 1e-5, whichever is
// wider. The inherited part is taken at the operand interval's ends, as the CTS evaluates it; where it
// overflows (|x| ≳ 88.7) the absolute bound alone applies, tanh being well defined there (gpuweb#4458).
function tanh(aLo: number, aHi: number): void {
  const tLo = Math.tanh(aLo);
  const tHi = Math.tanh(aHi);
  const slack = Math.max(Math.abs(tLo), Math.abs(tHi), TANH_ABSOLUTE) * FUZZ;
  let lo = tLo - TANH_ABSOLUTE - slack;
  let hi = tHi + TANH_ABSOLUTE + slack;
  if (tanhViaSinhCosh(aLo)) {
    lo = Math.min(lo, resultLo);
    hi = Math.max(hi, resultHi);
  }
  if (aHi !== aLo && tanhViaSinhCosh(aHi)) {
    lo = Math.min(lo, resultLo);
    hi = Math.max(hi, resultHi);
  }
  setRounded(lo, hi);
}

// sigmoid is no WGSL builtin: it is defined as computed 1/(1 + exp(-x)), so it composes the intervals
// of neg (exact), exp, add and div. x occurs once, so the composition loses nothing on a box.
function sigmoid(aLo: number, aHi: number): void {
  exp(-aHi, -aLo);
  if (Number.isNaN(resultLo)) {
    refuse(`exp(-x) overflows f32 for x = ${aLo} (sigmoid is computed as 1/(1 + exp(-x)))`);
    return;
  }
  add(1, 1, resultLo, resultHi);
  if (Number.isNaN(resultLo)) return;
  div(1, 1, resultLo, resultHi);
}

// A cast's value is its operand's ([numerics.f16.2]); the rounding to f16 is the node's dtype's, applied to
// every f16 node by the caller (roundedToF16), so cast_f16 only checks that the value fits an f16.
function castF16(aLo: number, aHi: number): void {
  if (aLo < -MAX_F16 || aHi > MAX_F16) {
    refuse(`cast_f16 of [${aLo}, ${aHi}] may overflow f16 (largest ${MAX_F16})`);
    return;
  }
  resultLo = aLo;
  resultHi = aHi;
}

function castF32(aLo: number, aHi: number): void {
  resultLo = aLo;
  resultHi = aHi;
}

/**
 * Rounds the intervals of an f16 node outward to f16 values ([numerics.f16.2]): either f16 neighbour of
 * every value inside, and 0 for a value an f16 subnormal may be flushed to. The unrounded interval lies
 * inside the result, so a fused chain that keeps the value in f32 is accepted too. Returns -1, or the
 * first element that may overflow f16.
 */
export function roundedToF16(lo: Float64Array, hi: Float64Array): number {
  for (let i = 0; i < lo.length; i++) {
    const [l, h] = [lo[i] as number, hi[i] as number];
    if (l < -MAX_F16 || h > MAX_F16) return i;
    let [fl, fh] = [f16Below(l), f16Above(h)];
    if (fl > 0 && fl < MIN_NORMAL_F16) fl = 0;
    if (fh < 0 && fh > -MIN_NORMAL_F16) fh = 0;
    lo[i] = fl;
    hi[i] = fh;
  }
  return -1;
}

/** The acceptance interval of each op ([numerics.interval.<op>]); unary ops ignore b. */
export const INTERVAL_OPS: Readonly<Record<OpName, IntervalOp>> = {
  cast_f16: castF16,
  cast_f32: castF32,
  neg,
  abs,
  relu,
  exp,
  log,
  sqrt,
  tanh,
  sigmoid,
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
};

/**
 * Evaluates `op` on every element: out[i] from operand elements offA[i] (and offB[i]). Returns -1, or
 * the first element whose operands leave the op's domain; `refusal()` then says why.
 */
export function intervalsOf(
  op: OpName,
  aLo: Float64Array,
  aHi: Float64Array,
  offA: Int32Array,
  bLo: Float64Array,
  bHi: Float64Array,
  offB: Int32Array,
  outLo: Float64Array,
  outHi: Float64Array,
): number {
  const f = INTERVAL_OPS[op];
  const total = outLo.length;
  for (let i = 0; i < total; i++) {
    const ja = offA[i] as number;
    const jb = offB[i] as number;
    f(aLo[ja] as number, aHi[ja] as number, bLo[jb] as number, bHi[jb] as number);
    if (Number.isNaN(resultLo)) return i;
    outLo[i] = resultLo;
    outHi[i] = resultHi;
  }
  return -1;
}

/** Why the last op refused its operands. */
export function refusal(): string {
  return reason;
}

/** One op's acceptance interval for scalar operand intervals; [NaN, NaN] when they leave its domain (see `refusal`). */
export function opInterval(op: OpName, a: readonly [number, number], b: readonly [number, number] = a): readonly [number, number] {
  INTERVAL_OPS[op](a[0], a[1], b[0], b[1]);
  return [resultLo, resultHi];
}

/** The interval of a point operand as an op sees it: the f32 value, and 0 when it is subnormal ([numerics.interval.flush]). */
export function pointInterval(v: number): readonly [number, number] {
  setRounded(v, v);
  return [resultLo, resultHi];
}

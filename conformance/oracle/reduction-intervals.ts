import { RMSNORM_EPS } from '../../spec/index.js';
import { rowsOf } from '../../spec/index.js';
import * as f32 from './f32.js';
import { opInterval } from './interval-ops.js';
import type { TemplateInterval } from './template-interval.js';

// Bound locally: the loops below run once per element (see interval-ops.ts).
const { ceilF32, floorF32, MIN_NORMAL_F32, powerOfTwoBetween, spacingAbove, ulpAt } = f32;

/**
 * Acceptance intervals of the row-reduction templates (spec/numerics.md [numerics.interval.softmax],
 * [numerics.interval.rmsnorm], [numerics.interval.rowsum]), composed from the WGSL bound of every step
 * of their normative semantics (spec/templates.md), for arguments anywhere in their intervals.
 *
 * Every use of an argument element is judged independently: a template may load x_j once per pass (the
 * reference recomputes the prologue on each), and nothing in WGSL makes two evaluations of one
 * expression round alike. So the max, the sum and the normalized element each see x_j anywhere in its
 * interval, and e_c in the numerator is not tied to e_c in the sum. That costs width (a softmax output
 * is judged as [lo(e_c)/hi(s), hi(e_c)/lo(s)]) but nothing in soundness.
 */

const U = 2 ** -23;
// f64 sums of the exact ends err by at most n·2⁻⁵³ of the magnitude; this much per term covers them.
const F64_SLACK = 2 ** -50;
// Library functions in f64 (1/sqrt) are off by an f64 ULP or two; ends are pushed out this much.
const FUZZ = 2 ** -46;

/** γ_k = k·u / (1 − k·u), u = 2⁻²³: the relative error of k roundings in a row (Higham, eq. 3.5). */
export function gammaF32(k: number): number {
  return (k * U) / (1 - k * U);
}

/** [lo, hi] rounded outward to f32, widened to 0 where it meets the subnormal range; NaN past f32. */
function rounded(lo: number, hi: number): readonly [number, number] {
  let l = floorF32(lo) + 0;
  let h = ceilF32(hi) + 0;
  if (!(l > -Infinity && h < Infinity)) return [NaN, NaN];
  if ((h > 0 && l < MIN_NORMAL_F32) || (l < 0 && h > -MIN_NORMAL_F32)) {
    l = Math.min(l, 0);
    h = Math.max(h, 0);
  }
  return [l, h];
}

/**
 * [numerics.interval.rowsum] Σ_j t_j for t_j anywhere in [lo_j, hi_j], added in any order (any tree, a
 * loop split into lanes, masked zeros added exactly), each add correctly rounded or flushed. Each op
 * returns (a + b)(1 + δ) + η with |δ| < u for a normal result, and |η| < 2·2⁻¹²⁶ when the result is
 * subnormal or flushed, on the way out or into the next op. A term passes at most n − 1 adds, so
 * |ŝ − s| ≤ γ_{n−1}·Σ|t_j| + 2(n − 1)·2⁻¹²⁶·(1 + γ_{n−1}) in every order (Higham, §3.1, eq. 3.5).
 */
export function sumInterval(lo: Float64Array, hi: Float64Array, n: number): readonly [number, number] {
  let sLo = 0;
  let sHi = 0;
  let magnitude = 0;
  for (let j = 0; j < n; j++) {
    const l = lo[j] as number;
    const h = hi[j] as number;
    sLo += l;
    sHi += h;
    magnitude += Math.max(-l, h);
  }
  const gamma = gammaF32(n - 1);
  const slack = gamma * magnitude + 2 * (n - 1) * MIN_NORMAL_F32 * (1 + gamma) + (n + 2) * F64_SLACK * magnitude;
  return rounded(sLo - slack, sHi + slack);
}

/**
 * Every f32 within k·ULP(q) of some q in [qLo, qHi], 0 < qLo ([numerics.ulp.2]). ULP grows with q, but
 * just above a power of two p the gap below doubles, so p − k·spacing(p) may undercut qLo's own end.
 */
export function ulpInterval(qLo: number, qHi: number, k: number): readonly [number, number] {
  let lo = qLo - k * ulpAt(qLo);
  const p = powerOfTwoBetween(qLo, qHi);
  if (p > 0) lo = Math.min(lo, p - k * spacingAbove(p));
  const hi = qHi + k * ulpAt(qHi);
  return rounded(lo - Math.abs(lo) * FUZZ, hi + Math.abs(hi) * FUZZ);
}

/** inverseSqrt: 2 ULP, for x ≥ 2⁻¹²⁶ (a subnormal x may be flushed to 0, where it is undefined). */
export function inverseSqrtInterval(aLo: number, aHi: number): readonly [number, number] {
  if (!(aLo >= MIN_NORMAL_F32) || !(aHi < Infinity)) return [NaN, NaN];
  return ulpInterval(1 / Math.sqrt(aHi), 1 / Math.sqrt(aLo), 2);
}

/**
 * x·y·z in any order, x, y, z anywhere in their intervals: the exact range over the box (a trilinear
 * function: its extremes are at the 8 corners), times (1 ± γ₂) for two roundings, plus what flushing a
 * subnormal partial (< 2⁻¹²⁶, then scaled by at most the largest factor) or the result can move.
 */
export function product3Interval(x: readonly [number, number], y: readonly [number, number], z: readonly [number, number]): readonly [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  let largest = 0;
  for (const a of x) for (const b of y) for (const c of z) {
    const p = a * b * c;
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
    largest = Math.max(largest, Math.abs(a), Math.abs(b), Math.abs(c));
  }
  const magnitude = Math.max(-lo, hi);
  const slack = magnitude * (gammaF32(2) + 4 * F64_SLACK) + 2 * MIN_NORMAL_F32 * (1 + largest) * (1 + gammaF32(2));
  return rounded(lo - slack, hi + slack);
}

/**
 * [numerics.interval.softmax] Row by row: m = max_j x_j (exact: the hull of the ends' maxima);
 * d_j = x_j − m, correctly rounded; e_j = exp(d_j), 3 + 2|d| ULP; s = Σ e_j in any order
 * (sumInterval); y_c = e_c / s, 2.5 ULP. Each step is the op's own interval (interval-ops.ts).
 */
export const softmaxInterval: TemplateInterval = ({ lo, hi, argShapes }, outLo, outHi) => {
  const [xLo, xHi] = [lo[0], hi[0]] as [Float64Array, Float64Array];
  const { rows, cols } = rowsOf(argShapes[0] ?? []);
  const eLo = new Float64Array(cols);
  const eHi = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mLo = -Infinity;
    let mHi = -Infinity;
    for (let j = 0; j < cols; j++) {
      mLo = Math.max(mLo, xLo[base + j] as number);
      mHi = Math.max(mHi, xHi[base + j] as number);
    }
    for (let j = 0; j < cols; j++) {
      const [dLo, dHi] = opInterval('sub', [xLo[base + j] as number, xHi[base + j] as number], [mLo, mHi]);
      const [l, h] = opInterval('exp', [dLo, dHi]);
      if (Number.isNaN(l)) return base + j;
      eLo[j] = l;
      eHi[j] = h;
    }
    const s = sumInterval(eLo, eHi, cols);
    if (Number.isNaN(s[0])) return base;
    for (let j = 0; j < cols; j++) {
      const [l, h] = opInterval('div', [eLo[j] as number, eHi[j] as number], s);
      if (Number.isNaN(l)) return base + j;
      outLo[base + j] = l;
      outHi[base + j] = h;
    }
  }
  return -1;
};

/**
 * [numerics.interval.rmsnorm] Row by row: q_j = x_j·x_j, correctly rounded (as a product of two loads,
 * so two different values of x_j are covered too); ss = Σ q_j in any order (sumInterval); ms = ss / C,
 * 2.5 ULP; a = ms + eps, correctly rounded; r = inverseSqrt(a), 2 ULP; y_c = x_c·r·w_c, two correctly
 * rounded products in any order (product3Interval).
 */
export const rmsnormInterval: TemplateInterval = ({ lo, hi, argShapes }, outLo, outHi) => {
  const [xLo, xHi, wLo, wHi] = [lo[0], hi[0], lo[1], hi[1]] as [Float64Array, Float64Array, Float64Array, Float64Array];
  const { rows, cols } = rowsOf(argShapes[0] ?? []);
  const qLo = new Float64Array(cols);
  const qHi = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const x = [xLo[base + j] as number, xHi[base + j] as number] as const;
      const [l, h] = opInterval('mul', x, x);
      if (Number.isNaN(l)) return base + j;
      qLo[j] = l;
      qHi[j] = h;
    }
    const ss = sumInterval(qLo, qHi, cols);
    const ms = opInterval('div', ss, [cols, cols]);
    const a = opInterval('add', ms, [RMSNORM_EPS, RMSNORM_EPS]);
    const scale = inverseSqrtInterval(a[0], a[1]);
    if (Number.isNaN(scale[0])) return base;
    for (let j = 0; j < cols; j++) {
      const [l, h] = product3Interval([xLo[base + j] as number, xHi[base + j] as number], scale, [wLo[j] as number, wHi[j] as number]);
      if (Number.isNaN(l)) return base + j;
      outLo[base + j] = l;
      outHi[base + j] = h;
    }
  }
  return -1;
};

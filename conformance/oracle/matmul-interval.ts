import { matmulDims } from '../../spec/index.js';
import * as f32 from './f32.js';
import type { TemplateInterval } from './template-interval.js';

// Bound locally: the loops below run once per product (see interval-ops.ts).
const { ceilF32, floorF32, MIN_NORMAL_F32 } = f32;

/**
 * The acceptance interval of a matmul call ([numerics.interval.matmul]), element by element.
 *
 * Exact part. Output (b, m, n) is s = Σ_k a_k·b_k with a_k = A[b, m, k], b_k = B[b, k, n], each
 * operand anywhere in its own interval. Every operand occurs once, so the range of s over the box is
 * the sum of the ranges of the products, and each product's range is spanned by its four corners.
 * The corners are products of f32 values, exact in f64.
 *
 * Rounding part. WGSL lets the products and the sum be evaluated in any order (any summation tree, a
 * loop split into tiles or lanes), each `*` and `+` correctly rounded (either f32 neighbour of its
 * exact result: relative error below u = 2⁻²³ for a normal result), a*b+c contracted into one FMA
 * (one rounding instead of two), and subnormal results flushed (absolute error below 2⁻¹²⁶). So each
 * operation returns x(1 + δ) + η with |δ| ≤ u, |η| ≤ 2⁻¹²⁶. In any tree, a product passes through at most
 * K roundings on its way to the result (its own, then at most K − 1 additions), so (Higham, Accuracy and
 * Stability of Numerical Algorithms, §3.1, eq. 3.5, which holds for every evaluation order):
 *
 *   |ŝ − s| ≤ γ_K · Σ_k |a_k·b_k| + (2K − 1)·2⁻¹²⁶·(1 + γ_K),   γ_K = K·u / (1 − K·u).
 *
 * Over the box Σ|a_k·b_k| ≤ Σ_k max|corner of product k|. Adding a masked 0 (a padded tile) is exact,
 * so padding adds no rounding. The f64 sums that compute the ends err by at most K·2⁻⁵³ of Σ max|p|;
 * 2⁻⁵⁰ per term covers them. The ends are then rounded outward to f32, and an interval that meets the
 * subnormal range is widened to hold 0 ([numerics.interval.flush]).
 */

const U = 2 ** -23;
const F64_SLACK = 2 ** -50;

/** γ_K for K roundings of relative error at most 2⁻²³ each. */
export function gammaF32(k: number): number {
  return (k * U) / (1 - k * U);
}

export const matmulInterval: TemplateInterval = ({ lo, hi, argShapes }, outLo, outHi) => {
  const { batch, m, k, n } = matmulDims(argShapes);
  const [aLo, aHi, bLo, bHi] = [lo[0], hi[0], lo[1], hi[1]] as [Float64Array, Float64Array, Float64Array, Float64Array];
  const gamma = gammaF32(k);
  const flush = 2 * k * MIN_NORMAL_F32 * (1 + gamma);
  for (let bt = 0; bt < batch; bt++) {
    for (let row = 0; row < m; row++) {
      const aRow = bt * m * k + row * k;
      for (let col = 0; col < n; col++) {
        const bCol = bt * k * n + col;
        let sLo = 0;
        let sHi = 0;
        let magnitude = 0;
        for (let j = 0; j < k; j++) {
          const a1 = aLo[aRow + j] as number;
          const a2 = aHi[aRow + j] as number;
          const b1 = bLo[bCol + j * n] as number;
          const b2 = bHi[bCol + j * n] as number;
          const c1 = a1 * b1;
          const c2 = a1 * b2;
          const c3 = a2 * b1;
          const c4 = a2 * b2;
          const pLo = Math.min(Math.min(c1, c2), Math.min(c3, c4));
          const pHi = Math.max(Math.max(c1, c2), Math.max(c3, c4));
          sLo += pLo;
          sHi += pHi;
          magnitude += Math.max(-pLo, pHi);
        }
        const slack = gamma * magnitude + flush + (k + 2) * F64_SLACK * magnitude;
        const i = bt * m * n + row * n + col;
        // + 0 turns -0 into +0: signed zero is not distinguished.
        let l = floorF32(sLo - slack) + 0;
        let h = ceilF32(sHi + slack) + 0;
        if (!(l > -Infinity && h < Infinity)) return i;
        if ((h > 0 && l < MIN_NORMAL_F32) || (l < 0 && h > -MIN_NORMAL_F32)) {
          l = Math.min(l, 0);
          h = Math.max(h, 0);
        }
        outLo[i] = l;
        outHi[i] = h;
      }
    }
  }
  return -1;
};

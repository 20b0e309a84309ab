import { broadcastStrides, numel, sameShape } from '../../spec/index.js';
import type { OpName, Shape } from '../../spec/index.js';

/** How each op prints in WGSL; every operand is already a parenthesized expression or a name. */
export const WGSL_OPS: Readonly<Record<OpName, (a: string, b: string) => string>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `abs(${a})`,
  relu: (a) => `max(${a}, 0f)`,
  exp: (a) => `exp(${a})`,
  log: (a) => `log(${a})`,
  sqrt: (a) => `sqrt(${a})`,
  // Past |x| = 10, tanh(x) is ±1 in f32; clamping there keeps drivers that compute tanh as sinh/cosh
  // (SwiftShader: NaN from inf/inf past |x| ≈ 89) right where the spec wants ±1 (adapters/findings/swiftshader-tanh-nan.md).
  tanh: (a) => `tanh(clamp(${a}, -10f, 10f))`,
  sigmoid: (a) => `(1f / (1f + exp(-${a})))`,
  // Arithmetic is f32 whatever the dtype ([numerics.f16.1]): a cast to f16 rounds and widens back.
  cast_f16: (a) => `f32(f16(${a}))`,
  cast_f32: (a) => a,
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  maximum: (a, b) => `max(${a}, ${b})`,
  minimum: (a, b) => `min(${a}, ${b})`,
};

/** An f32 literal that parses back to exactly `value` (which is already an f32). */
export function f32Literal(value: number): string {
  if (Object.is(value, -0)) return '(-0f)';
  // String() gives the shortest decimal that reads back as this double, which is the f32 itself.
  const literal = `${String(Math.abs(value))}f`;
  return value < 0 ? `(-${literal})` : literal;
}

/**
 * The row-major offset into a tensor of shape `shape`, broadcast into `target`, read by the element
 * whose offset in `target` is `index` ([ir.broadcast.2]).
 */
export function broadcastIndexExpr(index: string, shape: Shape, target: Shape, size: (value: number) => string = (v) => `${v}u`): string {
  if (sameShape(shape, target)) return index;
  if (numel(shape) === 1) return '0u';
  const strides = broadcastStrides(shape, target);
  const terms: string[] = [];
  let rowStride = 1;
  for (let d = target.length - 1; d >= 0; d--) {
    const extent = target[d] ?? 1;
    const stride = strides[d] ?? 0;
    if (stride !== 0) {
      const quotient = rowStride === 1 ? index : `(${index} / ${size(rowStride)})`;
      const coord = d === 0 ? quotient : `(${quotient} % ${size(extent)})`;
      terms.unshift(stride === 1 ? coord : `${coord} * ${size(stride)}`);
    }
    rowStride *= extent;
  }
  return terms.join(' + ');
}

/** The operand offset of element `index` of a transpose of shape `shape` (see transposedIndex). */
export function transposedIndexExpr(index: string, shape: Shape, size: (value: number) => string = (v) => `${v}u`): string {
  const n = shape.length;
  const [p, q] = [shape[n - 2] ?? 1, shape[n - 1] ?? 1];
  const lead = numel(shape) === p * q ? '' : `(${index} / ${size(p * q)}) * ${size(p * q)} + `;
  return `${lead}(${index} % ${size(q)}) * ${size(p)} + (${index} / ${size(q)}) % ${size(p)}`;
}

/** WGSL identifiers from user names: letters, digits and `_`, never starting with a digit or `__`. */
export function identifier(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '');
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `t${cleaned}`;
}

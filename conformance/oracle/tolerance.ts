import { broadcastOffsets, interpretAll } from '../../reference/interpreter/interpret.js';
import type { KernelCatalog } from '../../reference/interpreter/interpret.js';
import { numel, OPS, WgfuseError } from '../../reference/ir/index.js';
import type { Graph, OpName } from '../../reference/ir/index.js';
import { ulpDistance, ulpF32 } from './f32.js';

export { stepF32, ulpDistance, ulpF32 } from './f32.js';

/**
 * The INTERIM acceptance bound for comparing a device's outputs with the reference interpreter
 * (spec/numerics.md). A later issue replaces it with acceptance intervals composed per op in f64
 * (interval arithmetic, as the WebGPU CTS does in util/floating_point.ts).
 *
 * Per element, first-order error propagation over the graph, at the interpreter's values:
 *   err(node) = Σ_k |∂f/∂a_k| · err(a_k) + allowance(op) + 2^-126
 * where allowance is the WGSL accuracy of the op (as distance from the interpreter's f32 result) and
 * 2^-126 allows a subnormal result to be flushed to zero. Inputs have err 0 (generated inputs are
 * never subnormal). The bound is SAFETY_FACTOR · err(output). Derivatives at the kinks of relu,
 * maximum and minimum are 1 unless the operands are clearly on one side (see `partials`); tanh and
 * sigmoid pass on at most their output range. An FMA contraction or a skipped intermediate rounding
 * moves a result by less than the skipped op's allowance, so fused code within WGSL's rules passes.
 */

/**
 * First-order propagation drops products of errors (δa·δb in a product, exp(a)·δ²/2 in exp) and
 * evaluates derivatives at the reference operands, not the device's. A factor of 2 covers those terms
 * while each propagated error stays small relative to its value, which the generators' ranges ensure.
 */
export const SAFETY_FACTOR = 2;

/** A subnormal result may be flushed to zero (WGSL: subnormal inputs and outputs may flush). */
export const FLUSH_ALLOWANCE = 2 ** -126;

// The interpreter rounds an op's f64 value to nearest (≤ ½ ULP from exact); WGSL bounds are from exact.
const REFERENCE_ROUNDING = 0.5;

/**
 * How far a WGSL result of `op` may lie from the interpreter's result `r` of it on operand `a`, in
 * absolute units ([numerics.tolerance.1]). Correctly rounded ops give either neighbour of the exact
 * value, and the interpreter gives the nearest, so they differ by at most 1 ULP.
 */
export function opAllowance(op: OpName, a: number, r: number): number {
  const ulp = ulpF32(r);
  switch (op) {
    case 'neg':
    case 'abs':
    case 'relu':
    case 'add':
    case 'sub':
    case 'mul':
    case 'maximum':
    case 'minimum':
      return ulp;
    case 'div':
      return (2.5 + REFERENCE_ROUNDING) * ulp;
    case 'exp':
      return (3 + 2 * Math.abs(a) + REFERENCE_ROUNDING) * ulp;
    case 'log':
      return (a >= 0.5 && a <= 2 ? 2 ** -21 : 3 * ulp) + REFERENCE_ROUNDING * ulp;
    case 'sqrt':
      // WGSL: sqrt inherits from 1/inverseSqrt(x): 2 ULP, then a 2.5 ULP division; about 5 ULP.
      return (5 + REFERENCE_ROUNDING) * ulp;
    case 'tanh':
      return Math.max(1e-5, 5 * ulp) + REFERENCE_ROUNDING * ulp;
    case 'sigmoid':
      return (sigmoidUlps(a) + REFERENCE_ROUNDING) * ulp;
  }
}

/**
 * WGSL has no sigmoid: the budget assumes the lowering r = 1 / (1 + e), e = exp(-x). With u = 2^-23:
 *   e carries (3 + 2|x|) ULP(e) ≤ (3 + 2|x|)·u·e;  s = 1 + e adds ULP(s) ≤ u·s;
 *   r = 1/s adds 2.5 ULP(r), and passes on err(s)/s² = r²·err(s):
 *     r²·u·s = u·r ≤ 2 ULP(r),   r²·(3 + 2|x|)·u·e = (3 + 2|x|)·u·r·(1 - r) ≤ 2(3 + 2|x|)(1 - r) ULP(r)
 *   (e/s = 1 - r, and u·r ≤ 2 ULP(r) for normal r). Total: 4.5 + (6 + 4|x|)·(1 - r) ULP(r).
 * The (1 - r) factor keeps it near 4.5 ULP for large positive x, where e underflows harmlessly.
 */
export function sigmoidUlps(x: number): number {
  const oneMinusR = 1 / (1 + Math.exp(x));
  return 4.5 + (6 + 4 * Math.abs(x)) * oneMinusR;
}

/**
 * |∂op/∂a| and |∂op/∂b| at (a, b), given the operands' error bounds ea, eb. At the kinks of relu,
 * maximum and minimum the derivative is taken as 1 (conservative) unless the operands are further from
 * the kink than SAFETY_FACTOR times their errors: then a device's operands are on the same side as the
 * reference's, and the true one-sided derivative (0 or 1) holds. Without this, relu(-1e4 ± 1) would
 * pass ±1 on instead of 0.
 */
function partials(op: OpName, a: number, b: number, ea: number, eb: number): readonly [number, number] {
  switch (op) {
    case 'neg':
    case 'abs':
      return [1, 0];
    case 'relu':
      return [clear(a, ea) && a < 0 ? 0 : 1, 0];
    case 'exp':
      return [Math.exp(a), 0];
    case 'log':
      return [1 / Math.abs(a), 0];
    case 'sqrt':
      return [1 / (2 * Math.sqrt(a)), 0];
    case 'tanh':
      return [1 - Math.tanh(a) ** 2, 0];
    case 'sigmoid': {
      const s = OPS.sigmoid.eval(a, 0);
      return [s * (1 - s), 0];
    }
    case 'add':
    case 'sub':
      return [1, 1];
    case 'maximum':
    case 'minimum': {
      if (!clear(a - b, ea + eb)) return [1, 1];
      const aWins = op === 'maximum' ? a > b : a < b;
      return aWins ? [1, 0] : [0, 1];
    }
    case 'mul':
      return [Math.abs(b), Math.abs(a)];
    case 'div':
      return [1 / Math.abs(b), Math.abs(a) / (b * b)];
  }
}

function clear(gap: number, err: number): boolean {
  return Math.abs(gap) > SAFETY_FACTOR * err;
}

/** tanh and sigmoid results are bounded, so their error never exceeds their range (plus their own allowance). */
const RANGE_WIDTH: Partial<Readonly<Record<OpName, number>>> = { tanh: 2, sigmoid: 1 };

/** Kernel templates the interim model knows, each as the elementwise op it computes. */
const TEMPLATE_AS_OP: Readonly<Record<string, OpName>> = { elementwise_add: 'add' };

export interface ErrorBounds {
  /** The interpreter's outputs, in graph.outputs order. */
  readonly values: Float32Array[];
  /** Per output element, the largest accepted |device - reference|. */
  readonly bounds: Float64Array[];
}

/** The reference outputs and the interim bound on each element ([numerics.tolerance.1]). */
export function errorBounds(graph: Graph, kernels: KernelCatalog, inputs: readonly Float32Array[]): ErrorBounds {
  const values = interpretAll(graph, kernels, inputs);
  const errs: Float64Array[] = [];
  for (const node of graph.nodes) {
    const total = numel(node.shape);
    const err = new Float64Array(total);
    errs.push(err);
    if (node.kind === 'input' || node.kind === 'const') continue;
    let op: OpName;
    if (node.kind === 'op') op = node.op;
    else {
      const template = kernels.get(node.kernel)?.template.name ?? '(unregistered)';
      const asOp = TEMPLATE_AS_OP[template];
      if (asOp === undefined) {
        throw new WgfuseError(
          'numerics.tolerance.3',
          `%${node.id} = call ${node.kernel}: the interim tolerance has no error model for template '${template}'. ` +
            'hint: add one to TEMPLATE_AS_OP in conformance/oracle/tolerance.ts',
        );
      }
      op = asOp;
    }
    const [ia, ib] = node.args;
    const [va, vb] = [values[ia ?? -1], values[ib ?? -1]];
    const [ea, eb] = [errs[ia ?? -1], errs[ib ?? -1]];
    const offA = broadcastOffsets(graph.nodes[ia ?? -1]?.shape ?? [], node.shape);
    const offB = ib === undefined ? offA : broadcastOffsets(graph.nodes[ib]?.shape ?? [], node.shape);
    const out = values[node.id] as Float32Array;
    const rangeWidth = RANGE_WIDTH[op] ?? Infinity;
    for (let i = 0; i < total; i++) {
      const [ja, jb] = [offA[i] as number, offB[i] as number];
      const a = va?.[ja] ?? 0;
      const b = vb?.[jb] ?? 0;
      const eai = ea?.[ja] ?? 0;
      const ebi = ib === undefined ? 0 : (eb?.[jb] ?? 0);
      const [da, db] = partials(op, a, b, eai, ebi);
      const propagated = Math.min(da * eai + db * ebi, rangeWidth);
      err[i] = propagated + opAllowance(op, a, out[i] as number) + FLUSH_ALLOWANCE;
    }
  }
  return {
    values: graph.outputs.map((id) => values[id] as Float32Array),
    bounds: graph.outputs.map((id) => (errs[id] as Float64Array).map((e) => SAFETY_FACTOR * e)),
  };
}

/** The element that is furthest outside (or nearest the edge of) its bound. */
export interface Worst {
  readonly output: number;
  readonly index: number;
  readonly expected: number;
  readonly got: number;
  readonly bound: number;
  /** f32 steps between expected and got. */
  readonly ulps: number;
}

export interface Comparison {
  readonly ok: boolean;
  readonly worst?: Worst;
  /** Why the comparison failed, naming the element; absent when ok. */
  readonly message?: string;
}

/**
 * Accepts `got` when every element is a number within its bound of `expected`
 * ([numerics.tolerance.1]); NaN is always a failure ([numerics.nan.1]): generated cases never make one.
 */
export function compareOutputs(got: readonly Float32Array[], expected: readonly Float32Array[], bounds: readonly Float64Array[]): Comparison {
  if (got.length !== expected.length) {
    return { ok: false, message: `[numerics.tolerance.1] expected ${expected.length} output(s), got ${got.length}` };
  }
  let worst: Worst | undefined;
  let worstRatio = -1;
  let message: string | undefined;
  for (let o = 0; o < expected.length; o++) {
    const [g, e, b] = [got[o] as Float32Array, expected[o] as Float32Array, bounds[o]];
    if (b === undefined || g.length !== e.length || b.length !== e.length) {
      return { ok: false, message: `[numerics.tolerance.1] output ${o}: expected ${e.length} elements with bounds, got ${g.length} (bounds: ${b?.length ?? 'none'})` };
    }
    for (let i = 0; i < e.length; i++) {
      const [gi, ei, bi] = [g[i] as number, e[i] as number, b[i] as number];
      const diff = Math.abs(gi - ei);
      const ratio = Number.isNaN(diff) ? Infinity : diff === 0 ? 0 : diff / bi;
      if (Number.isNaN(gi) && message?.startsWith('[numerics.nan.1]') !== true) {
        message = `[numerics.nan.1] output ${o} element ${i}: got NaN, expected ${ei}. Generated cases never produce NaN, so the implementation made it`;
      } else if (ratio > 1 && message === undefined) {
        message = `[numerics.tolerance.1] output ${o} element ${i}: expected ${ei} ± ${bi.toPrecision(3)}, got ${gi} (${ulpDistance(ei, gi)} ULP away, ${ratio.toPrecision(3)}× the bound)`;
      }
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = { output: o, index: i, expected: ei, got: gi, bound: bi, ulps: ulpDistance(ei, gi) };
      }
    }
  }
  if (message === undefined) return worst === undefined ? { ok: true } : { ok: true, worst };
  return worst === undefined ? { ok: false, message } : { ok: false, worst, message };
}

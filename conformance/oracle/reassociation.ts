import { argsOf } from '../../spec/ir/index.js';
import type { Graph, NodeId, OpName, Shape } from '../../spec/ir/index.js';
import * as f32 from './f32.js';

// Bound locally: the hot loops call these per element, and a module-namespace lookup per call
// (how vitest's SSR transform compiles named imports) costs several times the work itself.
const { ceilF32, floorF32, MIN_NORMAL_F32, spacingAbove } = f32;

/**
 * WGSL lets an implementation reassociate operations ([numerics.interval.reassoc]), and drivers do:
 * Mesa's NIR regroups chains of fadd and fmul to fold constants and hoist uniform values, so a chain
 * `((x + s) + y) + c` may run as `(x + y) + (s + c)`. The per-op intervals assume the graph's order, so
 * every add/sub (or mul/div) node that heads a chain of two or more such ops also accepts any order of
 * its chain: the chain's exact range over its leaves' intervals, widened by the rounding of n − 1
 * operations in any order. The node's interval is the hull of that and its per-op interval.
 */

/** One leaf of a chain: a node, and its sign in a sum or its exponent (±1) in a product. */
export interface ChainTerm {
  readonly id: NodeId;
  readonly sign: 1 | -1;
}

export interface Chain {
  readonly kind: 'sum' | 'product';
  readonly terms: readonly ChainTerm[];
  /** Rounding operations in the chain: terms − 1. */
  readonly ops: number;
  /** Relative error of one operation in any order: 2^-23 (correctly rounded), 2.5·2^-23 once a division takes part. */
  readonly rate: number;
  /** A product through an odd number of negations changes sign. */
  readonly negated: boolean;
}

/** Chains longer than this are cut at their deepest nodes (kept as leaves); generated chains are far shorter. */
export const MAX_CHAIN_TERMS = 64;

type OpOf = (id: NodeId) => OpName | undefined;

/** The chain headed by node `id`, or undefined when it has fewer than two operations. */
export function chainAt(graph: Graph, opOf: OpOf, id: NodeId): Chain | undefined {
  const head = opOf(id);
  const kind = head === 'add' || head === 'sub' ? 'sum' : head === 'mul' || head === 'div' ? 'product' : undefined;
  if (kind === undefined) return undefined;
  const terms: ChainTerm[] = [];
  let ops = 0;
  let divides = false;
  let negations = 0;
  const visit = (n: NodeId, sign: 1 | -1, depth: number): void => {
    const op = opOf(n);
    const node = graph.nodes[n];
    const [a, b] = (node === undefined ? [] : argsOf(node)) as [NodeId, NodeId];
    const flip = (s: 1 | -1): 1 | -1 => (s === 1 ? -1 : 1);
    const open = depth === 0 || terms.length + ops < MAX_CHAIN_TERMS;
    if (open && kind === 'sum' && (op === 'add' || op === 'sub')) {
      ops++;
      visit(a, sign, depth + 1);
      visit(b, op === 'sub' ? flip(sign) : sign, depth + 1);
    } else if (open && kind === 'product' && (op === 'mul' || op === 'div')) {
      ops++;
      divides ||= op === 'div';
      visit(a, sign, depth + 1);
      visit(b, op === 'div' ? flip(sign) : sign, depth + 1);
    } else if (open && op === 'neg' && depth > 0) {
      if (kind === 'product') negations++;
      visit(a, kind === 'sum' ? flip(sign) : sign, depth + 1);
    } else {
      terms.push({ id: n, sign });
    }
  };
  visit(id, 1, 0);
  if (ops < 2) return undefined;
  return { kind, terms, ops, rate: (divides ? 2.5 : 1) * 2 ** -23, negated: negations % 2 === 1 };
}

// f64 sums and products of the exact range are themselves rounded; this much per term covers it.
const F64_SLACK = 2 ** -50;

/**
 * Widens the node's per-op intervals (lo, hi) to the hull with its chain's any-order interval, in place.
 * Returns -1, or an element whose widened interval leaves the f32 range.
 */
export function widenForReassociation(
  graph: Graph,
  chain: Chain,
  id: NodeId,
  nodeLo: readonly Float64Array[],
  nodeHi: readonly Float64Array[],
  offsetsOf: (shape: Shape, target: Shape) => Int32Array,
): number {
  const shape = graph.nodes[id]?.shape ?? [];
  const offsets = chain.terms.map((t) => offsetsOf(graph.nodes[t.id]?.shape ?? [], shape));
  const los = chain.terms.map((t) => nodeLo[t.id] as Float64Array);
  const his = chain.terms.map((t) => nodeHi[t.id] as Float64Array);
  const signs = chain.terms.map((t) => t.sign);
  const lo = nodeLo[id] as Float64Array;
  const hi = nodeHi[id] as Float64Array;
  const n = chain.terms.length;
  const growth = (1 + chain.rate) ** chain.ops - 1;
  for (let i = 0; i < lo.length; i++) {
    // The exact value's range over the leaves' box; for a sum, the largest sums of its positive and of
    // its negative parts (no partial sum, in any order, is larger); for a product, the largest factor.
    let xLo = chain.kind === 'sum' ? 0 : 1;
    let xHi = xLo;
    let positive = 0;
    let negative = 0;
    let amplify = 1;
    for (let k = 0; k < n; k++) {
      const j = (offsets[k] as Int32Array)[i] as number;
      let tLo = (los[k] as Float64Array)[j] as number;
      let tHi = (his[k] as Float64Array)[j] as number;
      if (chain.kind === 'sum') {
        const a = signs[k] === 1 ? tLo : -tHi;
        const b = signs[k] === 1 ? tHi : -tLo;
        xLo += a;
        xHi += b;
        if (b > 0) positive += b;
        if (a < 0) negative -= a;
        continue;
      }
      if (signs[k] === -1) {
        // Divisors' intervals exclude 0: the per-op division refused them otherwise.
        const r = 1 / tLo;
        tLo = 1 / tHi;
        tHi = r;
      }
      const c1 = xLo * tLo;
      const c2 = xLo * tHi;
      const c3 = xHi * tLo;
      const c4 = xHi * tHi;
      xLo = Math.min(Math.min(c1, c2), Math.min(c3, c4));
      xHi = Math.max(Math.max(c1, c2), Math.max(c3, c4));
      amplify *= Math.max(1, Math.abs(tLo), Math.abs(tHi));
    }
    let slack: number;
    if (chain.kind === 'sum') {
      // Each op rounds (or flushes) a partial sum p by less than the f32 spacing at |p|. The ops - 1
      // inner partials are bounded by the larger part (grown a little by earlier roundings); the last
      // one is the result itself.
      const partial = Math.max(positive, negative) * (1 + (n + 1) * 2 ** -22);
      const inner = (chain.ops - 1) * (spacingAbove(partial) + MIN_NORMAL_F32);
      const f64 = n * F64_SLACK * (positive + negative);
      slack = inner + spacingAbove(Math.max(Math.abs(xLo), Math.abs(xHi)) + inner + f64) + MIN_NORMAL_F32 + f64;
    } else {
      // Rounding errors of a product compose multiplicatively in any order; a flushed partial product
      // (< 2^-126) is scaled by at most the other factors' magnitudes.
      if (chain.negated) {
        const t = xLo;
        xLo = -xHi;
        xHi = -t;
      }
      const magnitude = Math.max(Math.abs(xLo), Math.abs(xHi));
      slack = magnitude * (growth + n * F64_SLACK) + chain.ops * MIN_NORMAL_F32 * amplify;
    }
    let l = Math.min(lo[i] as number, floorF32(xLo - slack));
    let h = Math.max(hi[i] as number, ceilF32(xHi + slack));
    if (!(l > -Infinity && h < Infinity)) return i;
    // [numerics.interval.flush]: a subnormal result may be flushed to zero.
    if ((h > 0 && l < MIN_NORMAL_F32) || (l < 0 && h > -MIN_NORMAL_F32)) {
      l = Math.min(l, 0);
      h = Math.max(h, 0);
    }
    lo[i] = l;
    hi[i] = h;
  }
  return -1;
}

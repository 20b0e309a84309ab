import { f16Above, f16Below, MIN_NORMAL_F16 } from '../../spec/f16.js';
import { broadcastOffsets } from '../../spec/interpreter.js';
import { numel, OPS, transposedIndex } from '../../spec/ir/index.js';
import type { Graph, OpName } from '../../spec/ir/index.js';
import { ceilF32, floorF32, MIN_NORMAL_F32, stepF32, ulpAt } from './f32.js';
import { LOG_ABSOLUTE, TANH_ABSOLUTE } from './interval-ops.js';
import { TEMPLATE_SEMANTICS } from './interval.js';
import { TEMPLATE_INTERVALS } from './template-intervals.js';
import type { TemplateInterval } from './template-intervals.js';

/**
 * A simulated WGSL device that is as bad as the accuracy rules allow (spec/numerics.md
 * [numerics.interval.2]): every op takes its own f32 operands (the device's earlier results, not the
 * reference's) and returns an f32 at one end of what its rule permits, or in between, chosen by
 * `random`. Written from the rules at single points, apart from the interval code, so that the oracle's
 * composition over operand boxes can be checked against it: every output must land in its interval.
 */

export type Random = () => number;

/** One end of [lo, hi] (each 40% of the time) or an f32 inside it. */
function pick(lo: number, hi: number, random: Random): number {
  const u = random();
  if (u < 0.4) return lo;
  if (u < 0.8) return hi;
  // Somewhere inside, f32-aligned.
  return floorF32(lo + (hi - lo) * random());
}

/** An f32 within k·ULP(q) of the exact q ([numerics.ulp.2]), at an end or inside, rounded outward. */
function withinUlps(q: number, k: number, random: Random): number {
  const d = k * ulpAt(q);
  return pick(floorF32(q - d), ceilF32(q + d), random);
}

/** The exact sum's f32 neighbours, exactly: TwoSum says which side of an f32 f64 sum the exact sum lies. */
function correctlyRoundedSum(a: number, b: number, random: Random): number {
  const s = a + b;
  const bv = s - a;
  const err = a - (s - bv) + (b - bv);
  let [lo, hi] = [floorF32(s), ceilF32(s)];
  if (lo === hi && err < 0) lo = stepF32(s, -1);
  if (lo === hi && err > 0) hi = stepF32(s, 1);
  return pick(lo, hi, random);
}

/** A subnormal may be flushed to zero, on the way in or out. */
function mayFlush(v: number, random: Random): number {
  return v !== 0 && Math.abs(v) < MIN_NORMAL_F32 && random() < 0.5 ? 0 : v;
}

/** One op on one element, as a worst-case conforming device computes it. */
export function deviceOp(op: OpName, a0: number, b0: number, random: Random): number {
  const [a, b] = [mayFlush(a0, random), mayFlush(b0, random)];
  let r: number;
  switch (op) {
    case 'add':
      r = correctlyRoundedSum(a, b, random);
      break;
    case 'sub':
      r = correctlyRoundedSum(a, -b, random);
      break;
    case 'neg':
    case 'abs':
    case 'relu':
    case 'mul':
    case 'maximum':
    case 'minimum': {
      // Exact in f64 for f32 operands.
      const q = OPS[op].eval(a, b);
      r = pick(floorF32(q), ceilF32(q), random);
      break;
    }
    case 'cast_f16':
      // Either f16 neighbour ([numerics.f16.2]); the rounding itself is the f16 node's, below.
    case 'cast_f32':
      r = a;
      break;
    case 'div':
      r = withinUlps(a / b, 2.5, random);
      break;
    case 'exp':
      r = withinUlps(Math.exp(a), 3 + 2 * Math.abs(a), random);
      break;
    case 'log': {
      const q = Math.log(a);
      r = a >= 0.5 && a <= 2 ? pick(floorF32(q - LOG_ABSOLUTE), ceilF32(q + LOG_ABSOLUTE), random) : withinUlps(q, 3, random);
      break;
    }
    case 'sqrt':
      r = deviceOp('div', 1, withinUlps(1 / Math.sqrt(a), 2, random), random);
      break;
    case 'tanh':
      r = tanh(a, random);
      break;
    case 'sigmoid':
      r = deviceOp('div', 1, deviceOp('add', 1, deviceOp('exp', -a, 0, random), random), random);
      break;
  }
  return mayFlush(r, random);
}

/** tanh by the absolute 1e-5, or through sinh/cosh computed op by op where that stays finite. */
function tanh(x: number, random: Random): number {
  // Past |x| ≈ 88.7 some execution of the sinh/cosh route overflows and the absolute bound alone holds.
  if (Math.abs(x) <= 88 && random() < 0.5) {
    const [ep, en] = [deviceOp('exp', x, 0, random), deviceOp('exp', -x, 0, random)];
    const sinh = deviceOp('mul', deviceOp('sub', ep, en, random), 0.5, random);
    const cosh = deviceOp('mul', deviceOp('add', ep, en, random), 0.5, random);
    return deviceOp('div', sinh, cosh, random);
  }
  const q = Math.tanh(x);
  return pick(floorF32(q - TANH_ABSOLUTE), ceilF32(q + TANH_ABSOLUTE), random);
}

/**
 * An f16 node's values as a device may leave them ([numerics.f16.2]): at either f16 neighbour (a cast
 * must round), or, for an op inside a fused chain, still the f32 value about half the time.
 */
function roundToF16(mustRound: boolean, out: Float32Array, random: Random): void {
  for (let i = 0; i < out.length; i++) {
    const v = out[i] as number;
    if (!mustRound && random() < 0.5) continue;
    let r = random() < 0.5 ? f16Below(v) : f16Above(v);
    if (r !== 0 && Math.abs(r) < MIN_NORMAL_F16 && random() < 0.5) r = 0;
    out[i] = r;
  }
}

/** Runs a graph on the simulated device: f32 storage, every op at a randomly chosen allowed extreme. */
export function runConformingDevice(graph: Graph, inputs: readonly Float32Array[], random: Random): Float32Array[] {
  const values: Float32Array[] = [];
  let nextInput = 0;
  for (const node of graph.nodes) {
    const out = new Float32Array(numel(node.shape));
    values.push(out);
    if (node.kind === 'input') out.set(inputs[nextInput++] as Float32Array);
    else if (node.kind === 'const') out[0] = node.value;
    else if (node.kind === 'transpose') {
      const a = values[node.args[0] as number] as Float32Array;
      for (let i = 0; i < out.length; i++) out[i] = a[transposedIndex(i, node.shape)] as number;
    } else if (node.kind === 'call' && TEMPLATE_INTERVALS[node.semantics] !== undefined) {
      // A template with interval semantics: on point arguments, any end of its interval is a conforming result.
      const semantics = TEMPLATE_INTERVALS[node.semantics] as TemplateInterval;
      const args = node.args.map((a) => Float64Array.from(values[a] as Float32Array));
      const [lo, hi] = [new Float64Array(out.length), new Float64Array(out.length)];
      semantics({ lo: args, hi: args, argShapes: node.args.map((a) => graph.nodes[a]?.shape ?? []), outShape: node.shape, config: node.config }, lo, hi);
      for (let i = 0; i < out.length; i++) out[i] = random() < 0.5 ? (lo[i] as number) : (hi[i] as number);
    } else {
      const op = node.kind === 'op' ? node.op : (TEMPLATE_SEMANTICS[node.semantics] ?? 'add');
      const [ia, ib = ia] = node.args as [number, number?];
      const [a, b] = [values[ia] as Float32Array, values[ib] as Float32Array];
      const offA = broadcastOffsets(graph.nodes[ia]?.shape ?? [], node.shape);
      const offB = broadcastOffsets(graph.nodes[ib]?.shape ?? [], node.shape);
      for (let i = 0; i < out.length; i++) out[i] = deviceOp(op, a[offA[i] as number] as number, b[offB[i] as number] as number, random);
    }
    if (node.kind !== 'input' && node.kind !== 'const' && node.dtype === 'f16') roundToF16(node.kind === 'op' && node.op === 'cast_f16', out, random);
  }
  return graph.outputs.map((id) => values[id] as Float32Array);
}

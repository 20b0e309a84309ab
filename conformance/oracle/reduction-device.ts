import { RMSNORM_EPS } from '../../spec/index.js';
import { rowsOf } from '../../spec/index.js';
import type { Shape } from '../../spec/ir/index.js';
import { deviceOp } from './conforming-device.js';
import type { Random } from './conforming-device.js';
import { ceilF32, floorF32, ulpAt } from './f32.js';

/**
 * The row-reduction templates run step by step on a simulated worst-case WGSL device (spec/numerics.md
 * [numerics.interval.softmax], [numerics.interval.rmsnorm]), written from the steps of their semantics
 * at single points, apart from the interval code, so the oracle can be checked against it. Every op
 * lands anywhere its WGSL bound allows (deviceOp); sums run in the order `order` says; and every use of
 * an argument element picks its own value inside the argument's interval, as a template that reloads
 * (and so recomputes) its prologue on each pass may see.
 */

/** How a simulated device adds a row: a random tree, or one running sum left to right (the deepest tree). */
export type SumOrder = 'tree' | 'serial';

export interface DeviceArgs {
  readonly lo: readonly Float64Array[];
  readonly hi: readonly Float64Array[];
  readonly argShapes: readonly Shape[];
}

/** A value of element i of argument k, anywhere in its interval: an end 80% of the time. */
function load(args: DeviceArgs, k: number, i: number, random: Random): number {
  const lo = args.lo[k]?.[i] as number;
  const hi = args.hi[k]?.[i] as number;
  const u = random();
  if (u < 0.4 || lo === hi) return lo;
  if (u < 0.8) return hi;
  return floorF32(lo + (hi - lo) * random());
}

/** Adds `terms` on the device in `order`: every add correctly rounded either way (or flushed). */
export function deviceSum(terms: readonly number[], order: SumOrder, random: Random): number {
  if (order === 'serial') return terms.slice(1).reduce((s, t) => deviceOp('add', s, t, random), terms[0] ?? 0);
  const pool = [...terms];
  while (pool.length > 1) {
    const a = pool.splice(Math.floor(random() * pool.length), 1)[0] as number;
    const b = pool.splice(Math.floor(random() * pool.length), 1)[0] as number;
    pool.push(deviceOp('add', a, b, random));
  }
  return pool[0] ?? 0;
}

/** inverseSqrt within 2 ULP, at an end (rounded outward) or inside. */
function inverseSqrt(a: number, random: Random): number {
  const q = 1 / Math.sqrt(a);
  const d = 2 * ulpAt(q);
  const [lo, hi] = [floorF32(q - d), ceilF32(q + d)];
  const u = random();
  return u < 0.4 ? lo : u < 0.8 ? hi : floorF32(lo + (hi - lo) * random());
}

/** softmax on the device: max, exp(x − max), an any-order sum, a division; x reloaded for each pass. */
export function deviceSoftmax(args: DeviceArgs, order: SumOrder, random: Random): Float32Array {
  const { rows, cols } = rowsOf(args.argShapes[0] ?? []);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, load(args, 0, base + j, random));
    const e = (j: number): number => deviceOp('exp', deviceOp('sub', load(args, 0, base + j, random), m, random), 0, random);
    const s = deviceSum(Array.from({ length: cols }, (_, j) => e(j)), order, random);
    for (let j = 0; j < cols; j++) out[base + j] = deviceOp('div', e(j), s, random);
  }
  return out;
}

/** rmsnorm on the device: squares, an any-order sum, /C, +eps, inverseSqrt, then x·r·w in either grouping. */
export function deviceRmsnorm(args: DeviceArgs, order: SumOrder, random: Random): Float32Array {
  const { rows, cols } = rowsOf(args.argShapes[0] ?? []);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const squares = Array.from({ length: cols }, (_, j) => {
      const v = load(args, 0, base + j, random);
      return deviceOp('mul', v, v, random);
    });
    const ms = deviceOp('div', deviceSum(squares, order, random), cols, random);
    const scale = inverseSqrt(deviceOp('add', ms, RMSNORM_EPS, random), random);
    for (let j = 0; j < cols; j++) {
      const [x, w] = [load(args, 0, base + j, random), load(args, 1, j, random)];
      out[base + j] = random() < 0.5 ? deviceOp('mul', deviceOp('mul', x, scale, random), w, random) : deviceOp('mul', x, deviceOp('mul', scale, w, random), random);
    }
  }
  return out;
}

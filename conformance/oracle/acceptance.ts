import * as f32 from './f32.js';
import type { Intervals } from './interval.js';

// Bound locally: the hot loops call these per element, and a module-namespace lookup per call
// (how vitest's SSR transform compiles named imports) costs several times the work itself.
const { ulpDistance } = f32;

/** Judging device outputs against the oracle's acceptance intervals (spec/numerics.md, "Acceptance"). */

/** The element furthest outside its interval (or, when all are inside, nearest an end). */
export interface WorstElement {
  readonly output: number;
  readonly index: number;
  readonly lo: number;
  readonly hi: number;
  readonly got: number;
  /** f32 steps outside the interval; ≤ 0 inside (minus the steps to the nearer end); Infinity for NaN. */
  readonly ulpsOutside: number;
}

export interface Verdict {
  readonly ok: boolean;
  /** Why the check failed, naming the worst element; absent when ok. */
  readonly message?: string;
  readonly worst?: WorstElement;
}

/** Another run's outputs, shown beside the judged value so a report has both (e.g. fused and eager). */
export interface Counterpart {
  readonly name: string;
  readonly outputs: readonly Float32Array[];
}

/** Steps of `got` outside [lo, hi]: positive outside, ≤ 0 inside, Infinity for NaN ([numerics.ulp.1]). */
export function ulpsOutside(got: number, lo: number, hi: number): number {
  if (Number.isNaN(got)) return Infinity;
  if (got < lo) return ulpDistance(got, lo);
  if (got > hi) return ulpDistance(hi, got);
  return -Math.min(ulpDistance(lo, got), ulpDistance(got, hi));
}

function shape(got: readonly Float32Array[], intervals: Intervals, rule: string): string | undefined {
  if (got.length !== intervals.lo.length) return `[${rule}] expected ${intervals.lo.length} output(s), got ${got.length}`;
  const o = got.findIndex((g, k) => g.length !== intervals.lo[k]?.length);
  return o < 0 ? undefined : `[${rule}] output ${o}: expected ${intervals.lo[o]?.length} elements, got ${got[o]?.length}`;
}

function beside(counterpart: Counterpart | undefined, o: number, i: number): string {
  const v = counterpart?.outputs[o]?.[i];
  return counterpart === undefined || v === undefined ? '' : ` (${counterpart.name}: ${v})`;
}

/**
 * Accepts `got` when every element lies in its acceptance interval ([numerics.oracle.1]); a NaN is
 * always a failure ([numerics.nan.1]). The message names the worst element: output, index, the value
 * (and the counterpart's), the interval and its width, and how many ULP outside it the value is.
 */
export function checkWithinIntervals(got: readonly Float32Array[], intervals: Intervals, counterpart?: Counterpart): Verdict {
  const mismatch = shape(got, intervals, 'numerics.oracle.1');
  if (mismatch !== undefined) return { ok: false, message: mismatch };
  let worst: WorstElement | undefined;
  let outside = 0;
  for (let o = 0; o < got.length; o++) {
    const [g, lo, hi] = [got[o] as Float32Array, intervals.lo[o] as Float64Array, intervals.hi[o] as Float64Array];
    for (let i = 0; i < g.length; i++) {
      const v = g[i] as number;
      const l = lo[i] as number;
      const h = hi[i] as number;
      const steps = ulpsOutside(v, l, h);
      if (steps > 0) outside++;
      if (worst === undefined || steps > worst.ulpsOutside) worst = { output: o, index: i, lo: l, hi: h, got: v, ulpsOutside: steps };
    }
  }
  if (worst === undefined || worst.ulpsOutside <= 0) return worst === undefined ? { ok: true } : { ok: true, worst };
  const { output: o, index: i, lo, hi, got: v } = worst;
  const where = `output ${o} element ${i}: got ${v}${beside(counterpart, o, i)}, accepted [${lo}, ${hi}] (${ulpDistance(lo, hi)} ULP wide)`;
  const others = outside > 1 ? `; ${outside} elements outside their intervals` : '';
  const message = Number.isNaN(v)
    ? `[numerics.nan.1] ${where}. Generated cases never produce NaN, so the implementation made it${others}`
    : `[numerics.oracle.1] ${where}: ${worst.ulpsOutside} ULP ${v < lo ? 'below' : 'above'} it${others}`;
  return { ok: false, message, worst };
}

/** The pair of elements furthest apart relative to their interval's width. */
export interface Disagreement {
  readonly output: number;
  readonly index: number;
  readonly lo: number;
  readonly hi: number;
  readonly a: number;
  readonly b: number;
  /** f32 steps between a and b, and across the interval. */
  readonly ulpsApart: number;
  readonly widthUlps: number;
}

export interface Agreement {
  readonly ok: boolean;
  readonly message?: string;
  readonly worst?: Disagreement;
}

/**
 * [numerics.fused-eager.1]: two runs of one graph (fused and eager) differ element by element by at
 * most the width of the acceptance interval both must lie in. Nothing in WGSL makes two compilations
 * round alike, so each may sit at either end; a tighter rule would not be sound.
 */
export function checkAgreement(a: readonly Float32Array[], b: readonly Float32Array[], intervals: Intervals, names: readonly [string, string]): Agreement {
  const mismatch = shape(a, intervals, 'numerics.fused-eager.1') ?? shape(b, intervals, 'numerics.fused-eager.1');
  if (mismatch !== undefined) return { ok: false, message: mismatch };
  let worst: Disagreement | undefined;
  let worstRatio = -1;
  for (let o = 0; o < a.length; o++) {
    const [x, y, lo, hi] = [a[o] as Float32Array, b[o] as Float32Array, intervals.lo[o] as Float64Array, intervals.hi[o] as Float64Array];
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const yi = y[i] as number;
      const l = lo[i] as number;
      const h = hi[i] as number;
      const apart = Math.abs(xi - yi);
      const ratio = Number.isNaN(apart) ? Infinity : apart === 0 ? 0 : apart / (h - l);
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = { output: o, index: i, lo: l, hi: h, a: xi, b: yi, ulpsApart: ulpDistance(xi, yi), widthUlps: ulpDistance(l, h) };
      }
    }
  }
  if (worst === undefined || worstRatio <= 1) return worst === undefined ? { ok: true } : { ok: true, worst };
  const w = worst;
  const values = `${names[0]} ${w.a} and ${names[1]} ${w.b}`;
  const message = Number.isNaN(w.a) || Number.isNaN(w.b)
    ? `[numerics.nan.1] output ${w.output} element ${w.index}: ${values}; generated cases never produce NaN`
    : `[numerics.fused-eager.1] output ${w.output} element ${w.index}: ${values} are ${w.ulpsApart} ULP apart, ` +
      `more than the ${w.widthUlps} ULP width of the acceptance interval [${w.lo}, ${w.hi}] that both must lie in`;
  return { ok: false, message, worst: w };
}

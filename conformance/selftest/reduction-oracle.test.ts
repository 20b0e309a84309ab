import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { interpret, RMSNORM_EPS } from '../../spec/index.js';
import { createRegistry, rmsnorm, softmax, trace } from '../reference-door.js';
import type { Shape } from '../../spec/index.js';
import type { Tensor } from '../reference-door.js';
import { rmsScale } from '../../spec/index.js';
import { softmaxRow } from '../../spec/index.js';
import { mulberry32 } from '../generators/built-case.js';
import { checkWithinIntervals } from '../oracle/acceptance.js';
import { stepF32, ulpDistance, ulpF32 } from '../oracle/f32.js';
import { acceptanceIntervals } from '../oracle/interval.js';
import type { Intervals } from '../oracle/interval.js';
import { gammaF32, rmsnormInterval, softmaxInterval, sumInterval } from '../oracle/reduction-intervals.js';
import { deviceRmsnorm, deviceSoftmax, deviceSum } from '../oracle/reduction-device.js';
import type { DeviceArgs, SumOrder } from '../oracle/reduction-device.js';
import { deviceOp } from '../oracle/conforming-device.js';
import type { Random } from '../oracle/conforming-device.js';
import { opInterval } from '../oracle/interval-ops.js';
import type { TemplateInterval } from '../oracle/template-intervals.js';
import { envVar } from '../harness/runtime.js';

// The row-reduction templates' acceptance intervals (spec/numerics.md [numerics.interval.softmax],
// [numerics.interval.rmsnorm], [numerics.interval.rowsum]), on the CPU alone: every simulated
// worst-case device lands inside, and results of the faults the GPU properties hunt land outside.

const envSeed = envVar('WGFUSE_SEED');
const seed = envSeed === undefined || envSeed === '' ? undefined : Number.parseInt(envSeed, 10);
const params = (numRuns: number): fc.Parameters<unknown> => (seed === undefined ? { numRuns } : { numRuns, seed });

const registry = createRegistry();
const sm = registry.register('softmax', { template: softmax, configs: { default: { blockSizes: [8] } } });
const rms = registry.register('rmsnorm', { template: rmsnorm, configs: { default: { blockSizes: [8] } } });

/** Row lengths that matter: 1, primes, powers of two and their neighbours, longer than any block. */
const ROW_LENGTHS = [1, 2, 3, 5, 7, 13, 31, 32, 33, 127, 128, 129, 257, 1000] as const;
const RANGES = [[-2, 2], [0.5, 2], [-30, 30], [-1000, 1000], [-4, -0.25]] as const;

/** A row-reduction case for the oracle alone: data, and how far each argument element's interval reaches. */
const rowsCase = fc.record({
  rows: fc.integer({ min: 1, max: 3 }),
  cols: fc.constantFrom(...ROW_LENGTHS),
  range: fc.constantFrom(...RANGES),
  // 0: point arguments (inputs); otherwise each end moves up to this many f32 steps (a prologue's interval).
  spread: fc.constantFrom(0, 0, 4, 64),
  dataSeed: fc.integer({ min: 0, max: 0x7fffffff }),
});
type RowsCase = typeof rowsCase extends fc.Arbitrary<infer T> ? T : never;

function argsOf(c: RowsCase, template: 'softmax' | 'rmsnorm'): DeviceArgs {
  const random = mulberry32(c.dataSeed);
  const interval = (n: number, [a, b]: readonly [number, number]): [Float64Array, Float64Array] => {
    const lo = new Float64Array(n);
    const hi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(a + (b - a) * random());
      lo[i] = stepF32(v, -Math.floor(random() * (c.spread + 1)));
      hi[i] = stepF32(v, Math.floor(random() * (c.spread + 1)));
    }
    return [lo, hi];
  };
  const x = interval(c.rows * c.cols, c.range);
  const w = interval(c.cols, [-2, 2]);
  const argShapes: Shape[] = template === 'softmax' ? [[c.rows, c.cols]] : [[c.rows, c.cols], [c.cols]];
  return template === 'softmax' ? { lo: [x[0]], hi: [x[1]], argShapes } : { lo: [x[0], w[0]], hi: [x[1], w[1]], argShapes };
}

function oracle(semantics: TemplateInterval, args: DeviceArgs): Intervals {
  const n = (args.lo[0] as Float64Array).length;
  const [lo, hi] = [new Float64Array(n), new Float64Array(n)];
  const bad = semantics({ ...args, outShape: args.argShapes[0] ?? [], config: { blockSizes: [8] } }, lo, hi);
  expect(bad, 'the oracle refused a row').toBe(-1);
  return { lo: [lo], hi: [hi] };
}

// Biased devices round every op the same way; with a serial sum that is the worst accumulation there is.
const DEVICES: readonly (readonly [string, SumOrder, (seed: number) => Random])[] = [
  ['random tree', 'tree', (s) => mulberry32(s)],
  ['random serial', 'serial', (s) => mulberry32(s ^ 0x9e3779b9)],
  ['always up, serial', 'serial', () => () => 0.6],
  ['always down, serial', 'serial', () => () => 0.2],
];

const TEMPLATES = [
  ['softmax', softmaxInterval, deviceSoftmax],
  ['rmsnorm', rmsnormInterval, deviceRmsnorm],
] as const;

describe('row-reduction acceptance intervals', () => {
  for (const [name, semantics, device] of TEMPLATES) {
    test(`[numerics.interval.${name}] simulated worst-case devices land inside, for point and interval-valued arguments and any summation order`, () => {
      fc.assert(
        fc.property(rowsCase, (c) => {
          const args = argsOf(c, name);
          const iv = oracle(semantics, args);
          for (const [who, order, random] of DEVICES) {
            const verdict = checkWithinIntervals([device(args, order, random(c.dataSeed))], iv);
            expect(verdict.ok, `${who}: ${verdict.message}`).toBe(true);
          }
        }),
        params(150),
      );
    });
  }

  test('[numerics.interval.softmax] the interpreter lands inside; a sum that drops one term, or a result 1% off, is rejected', () => {
    for (const cols of [2, 7, 129, 1000]) {
      const graph = trace((x: Tensor) => sm(x), { x: [2, cols] });
      const random = mulberry32(cols);
      const x = Float32Array.from({ length: 2 * cols }, () => Math.fround(4 * random() - 2));
      const iv = acceptanceIntervals(graph, [x]);
      expect(checkWithinIntervals(interpret(graph, [x]), iv).ok).toBe(true);
      // The row's sum without its last term: every element of the row is too large.
      const dropped = Float32Array.from(x, (_, i) => {
        const row = Math.floor(i / cols);
        const j = i - row * cols;
        const y = softmaxRow(x, row * cols, cols);
        const last = (y[cols - 1] as number);
        return j === cols - 1 ? (y[j] as number) : (y[j] as number) / (1 - last);
      });
      const verdict = checkWithinIntervals([dropped], iv);
      expect(verdict.ok, `[2, ${cols}]: dropping a term was accepted`).toBe(false);
      const off = Float32Array.from(interpret(graph, [x])[0] as Float32Array, (v) => v * 1.01);
      expect(checkWithinIntervals([off], iv).ok).toBe(false);
    }
  });

  test('[numerics.interval.rmsnorm] the interpreter lands inside; a sum of squares that drops the last partial block, or a result 1% off, is rejected', () => {
    for (const cols of [3, 13, 129, 1000]) {
      const graph = trace((x: Tensor, w: Tensor) => rms(x, w), { x: [2, cols], w: [cols] });
      const random = mulberry32(cols);
      const x = Float32Array.from({ length: 2 * cols }, () => Math.fround(4 * random() - 2));
      const w = Float32Array.from({ length: cols }, () => Math.fround(random() + 0.5));
      const iv = acceptanceIntervals(graph, [x, w]);
      const reference = interpret(graph, [x, w])[0] as Float32Array;
      expect(checkWithinIntervals([reference], iv).ok).toBe(true);
      // Blocks of 8: the last partial block (cols mod 8 elements, or the last 8) left out of the sum.
      const kept = cols % 8 === 0 ? cols - 8 : cols - (cols % 8);
      const wrong = Float32Array.from(reference, (_, i) => {
        const row = Math.floor(i / cols);
        const part = Array.from(x.subarray(row * cols, row * cols + kept));
        const scale = 1 / Math.sqrt(part.reduce((s, v) => s + v * v, 0) / cols + RMSNORM_EPS);
        return (x[i] as number) * scale * (w[i - row * cols] as number);
      });
      expect(checkWithinIntervals([wrong], iv).ok, `[2, ${cols}]: dropping the last partial block was accepted`).toBe(false);
      const off = Float32Array.from(reference, (v) => v * 1.01);
      expect(checkWithinIntervals([off], iv).ok).toBe(false);
      expect(rmsScale(x, 0, cols)).toBeGreaterThan(0);
    }
  });

  test('[numerics.interval.exp] where exp(x) is subnormal (x below about −102.6) its bound grows as x falls: the upper end is the lower operand\'s', () => {
    // Found by the softmax property: exp(x − max) of a far smaller x, with x − max an interval.
    const [, hi] = opInterval('exp', [-200, -150]);
    expect(hi).toBeGreaterThanOrEqual(403 * 2 ** -149);
    expect(deviceOp('exp', -200, 0, () => 0.6)).toBeLessThanOrEqual(hi);
  });

  test('[numerics.interval.rowsum] an any-order sum is bounded by γ(n−1)·Σ|t|: every order and rounding lands inside, and the width is about 2(n−1) ULP of the sum', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROW_LENGTHS), fc.integer({ min: 0, max: 0x7fffffff }), (n, dataSeed) => {
        const random = mulberry32(dataSeed);
        const terms = Array.from({ length: n }, () => Math.fround(random() * 2));
        const [lo, hi] = sumInterval(Float64Array.from(terms), Float64Array.from(terms), n);
        for (const [, order, rand] of DEVICES) {
          const s = deviceSum(terms, order, rand(dataSeed));
          expect(s >= lo && s <= hi, `${order}: ${s} outside [${lo}, ${hi}]`).toBe(true);
        }
        const exact = terms.reduce((a, b) => a + b, 0);
        // Loose by design, but no looser: the bound on each side, and the outward rounding of its ends.
        expect(hi - lo).toBeLessThanOrEqual(2 * gammaF32(n - 1) * exact * (1 + 2 ** -20) + 4 * ulpF32(exact));
      }),
      params(200),
    );
  });

  test('[numerics.interval.softmax] widths: median f32 steps of the intervals of softmax and rmsnorm outputs by row length', () => {
    const lines: string[] = [];
    for (const cols of [1, 7, 129, 1000] as const) {
      for (const [name, semantics] of TEMPLATES) {
        const c: RowsCase = { rows: 1, cols, range: [-2, 2], spread: 0, dataSeed: cols };
        const iv = oracle(semantics, argsOf(c, name));
        const widths = Array.from(iv.lo[0] as Float64Array, (l, i) => ulpDistance(l, iv.hi[0]?.[i] as number)).sort((a, b) => a - b);
        const median = widths[Math.floor(widths.length / 2)] as number;
        lines.push(`${name} C=${cols}: median ${median}`);
        // Dominated by the sum's γ(n−1): about 2n ULP each side, plus a few for exp, division, inverseSqrt.
        expect(median).toBeLessThanOrEqual(8 * cols + 64);
      }
    }
    console.log(`[numerics.interval.softmax] interval widths in f32 steps: ${lines.join('; ')}`);
  });
});

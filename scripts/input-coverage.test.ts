import { describe, expect, test } from 'vitest';
import { sh } from './lib/sh.js';

// npm run input-coverage, as a campaign's author reads it: histograms of what the generators reach, and the
// regions of the input space that no case reached, named.

const ROOT = new URL('..', import.meta.url).pathname;

describe('input coverage', () => {
  test('[fuzz.coverage.1] the report tallies op arguments, domain edges, grids, loops, ranks per node kind, side inputs, chains, dynamic shapes and rows over every family, and names each listed region as reached or not', async () => {
    const r = await sh('npx tsx scripts/input-coverage.ts --cases 30 --seed 3 --tier ci', { cwd: ROOT });
    expect(r.out).toContain('input coverage: 240 cases (30 per family: fusion, pointwise, matmul, softmax, rmsnorm, f16, f16-reduction, core-limits), seed 3, ci tier');
    // Every op the generators use appears with its arguments counted, and log never sees an argument ≤ 0.
    expect(r.out).toMatch(/^ {2}log +0 +0 +/m);
    for (const op of ['add', 'exp', 'sqrt', 'tanh']) expect(r.out).toMatch(new RegExp(`^ {2}${op} +\\d+`, 'm'));
    const regions = r.out.slice(r.out.indexOf('regions of the input space'));
    expect(regions.match(/^ {2}(reached {5}|NOT REACHED )\S/gm)).toHaveLength(23);
    // The CI tier draws no grid past 65535 workgroups: the report names that region as missed and exits 1.
    expect(regions).toMatch(/NOT REACHED call matmul: a grid folded into 2-D/);
    expect(regions).toMatch(/reached {5}call softmax at rank 5 or 6, batched/);
    expect(r.code, r.out).toBe(1);
  });

  test('[fuzz.coverage.1] a default campaign\'s draws (the campaign tier, 200 cases per family) reach every listed region', async () => {
    const r = await sh('npx tsx scripts/input-coverage.ts', { cwd: ROOT });
    expect(r.out).toContain('every listed region reached (23)');
    expect(r.code, r.out).toBe(0);
  });
});

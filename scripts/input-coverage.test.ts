import { describe, expect, test } from 'vitest';
import { sh } from './lib/sh.js';

// npm run input-coverage, as a campaign's author reads it: histograms of what the generators reach, and the
// regions of the input space that no case reached, named.

const ROOT = new URL('..', import.meta.url).pathname;

describe('input coverage', () => {
  test('[fuzz.coverage.1] the report tallies op arguments, sizes, ranks, side inputs, chains and rows over every family, and names each listed region as reached or not', async () => {
    const r = await sh('npx tsx scripts/input-coverage.ts --cases 30 --seed 3', { cwd: ROOT });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('input coverage: 150 cases (30 per family: fusion, pointwise, matmul, softmax, rmsnorm), seed 3');
    // Every op the generators use appears with its arguments counted, and log never sees an argument ≤ 0.
    expect(r.out).toMatch(/^ {2}log +0 +0 +0 /m);
    for (const op of ['add', 'exp', 'sqrt', 'tanh']) expect(r.out).toMatch(new RegExp(`^ {2}${op} +\\d+`, 'm'));
    const regions = r.out.slice(r.out.indexOf('regions of the input space'));
    expect(regions.match(/^ {2}(reached {5}|NOT REACHED )\S/gm)).toHaveLength(9);
    // Broadcast side inputs and batched operands are generated today.
    expect(regions).toMatch(/reached {5}batched outputs/);
  });
});

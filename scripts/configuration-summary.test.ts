import { describe, expect, test } from 'vitest';
import type { AdapterRecord, GateRecord, LedgerRecord } from '../conformance/harness/ledger.js';
import { formatLedger, formatRows, ledgerProblems, needsSeen, otherConfigurations, primaryConfiguration, rowOf, runProblem, wgpuPlanned } from './lib/configuration-summary.js';
import type { ConfigurationRun } from './lib/configuration-summary.js';
import { renderHtml } from './lib/html-report.js';
import type { Report } from './lib/results.js';

// npm test's summary of its configurations, on ledgers and results written by hand: each problem it must
// catch is planted in an otherwise good run.

function adapter(configuration: string, tier = 'software'): AdapterRecord {
  return { kind: 'adapter', configuration, tier, backend: 'vulkan', adapter: `${configuration}'s adapter`, featureLevel: 'core', adapterFeatures: ['subgroups'], deviceFeatures: [] };
}

function gated(configuration: string, need: string, outcome: GateRecord['outcome'], reason?: string): GateRecord {
  return { kind: 'gate', configuration, test: `t.test.ts > ${need} on ${configuration}`, need, outcome, ...(reason === undefined ? {} : { reason }) };
}

function run(project: string, records: LedgerRecord[], over: Partial<ConfigurationRun> = {}): ConfigurationRun {
  return { project, validationOnly: false, seconds: 12.3, exitCode: 0, counts: { passed: 5, failed: 0, skipped: 1 }, records: [adapter(project), ...records], ...over };
}

const LOOP_CAP_UNMET = 'this adapter has no loop cap (none seen): nothing to set aside; run on `npm run test:main` (dawn-gl-llvmpipe)';

describe('the configurations table', () => {
  test('[harness.config.2] a row per configuration: adapter, feature level, passed, failed, skipped, wall time, status', () => {
    const row = rowOf(run('dawn-vulkan-swiftshader', []));
    expect(row).toMatchObject({ configuration: 'dawn-vulkan-swiftshader', adapter: "dawn-vulkan-swiftshader's adapter (vulkan, software)", featureLevel: 'core', passed: '5', failed: '0', skipped: '1', wall: '12 s', status: 'ok' });
    expect(formatRows([row])).toMatch(/dawn-vulkan-swiftshader +dawn-vulkan-swiftshader +dawn-vulkan-swiftshader's adapter \(vulkan, software\) +core +5 +0 +1 +12 s +ok/);
  });

  test('[harness.config.2] a configuration fails the run when a test failed, it did not finish, ran nothing, or did not come up', () => {
    expect(runProblem(run('a', []))).toBeUndefined();
    expect(runProblem(run('a', [], { counts: { passed: 5, failed: 2, skipped: 0 }, exitCode: 1 }))).toBe('2 test(s) failed');
    expect(runProblem(run('a', [], { counts: undefined, exitCode: 137 }))).toBe('vitest wrote no results (exit status 137): the run did not finish');
    expect(runProblem(run('a', [], { counts: { passed: 0, failed: 0, skipped: 40 } }))).toMatch(/^no test passed/);
    expect(runProblem({ ...run('a', []), records: [] })).toMatch(/never came up/);
    expect(runProblem({ ...run('a', []), records: [adapter('a', 'none')] })).toMatch(/^the adapter did not come up as expected: tier none/);
    // Dawn's null backend is meant to be validation only; anywhere else validation did not come up.
    expect(runProblem({ ...run('n', []), records: [adapter('n', 'validation')], validationOnly: true })).toBeUndefined();
    expect(runProblem({ ...run('n', []), records: [adapter('n', 'validation')] })).toMatch(/tier validation \(wanted software or hardware\)/);
  });

  test("[harness.config.2] a run is the configuration most of its gate decisions were made on; its tests' own processes on other adapters are listed, not judged as the run", () => {
    const main = run('dawn-gl-llvmpipe', [gated('dawn-gl-llvmpipe', 'execution', 'ran'), gated('dawn-gl-llvmpipe', 'device', 'ran'), adapter('dawn-null', 'validation'), gated('dawn-null', 'execution', 'skipped', 'x')]);
    expect(primaryConfiguration(main)).toBe('dawn-gl-llvmpipe');
    expect(runProblem(main)).toBeUndefined();
    expect(rowOf(main)).toMatchObject({ configuration: 'dawn-gl-llvmpipe', adapter: "dawn-gl-llvmpipe's adapter (vulkan, software)" });
    expect(otherConfigurations(main)).toEqual(['dawn-null (1 gate decision)']);
    // Had the run's own processes come up on the null backend, that would be the run, and a failure.
    const wrong = run('dawn-gl-llvmpipe', [adapter('dawn-null', 'validation'), gated('dawn-null', 'execution', 'skipped', 'x'), gated('dawn-null', 'device', 'ran')]);
    expect(runProblem(wrong)).toMatch(/tier validation/);
  });

  test('[harness.config.3] in CI wgpu-lavapipe is always planned, so a missing driver or Deno fails its run; elsewhere only where both are installed', () => {
    expect(wgpuPlanned({ ci: true, lavapipe: false, deno: false })).toBe(true);
    expect(wgpuPlanned({ ci: false, lavapipe: true, deno: true })).toBe(true);
    expect(wgpuPlanned({ ci: false, lavapipe: false, deno: true })).toBe(false);
    expect(wgpuPlanned({ ci: false, lavapipe: true, deno: false })).toBe(false);
  });
});

describe('the gate ledger', () => {
  const bothWays = [gated('dawn-gl-llvmpipe', 'loop cap', 'ran'), gated('dawn-vulkan-swiftshader', 'loop cap', 'skipped', LOOP_CAP_UNMET)];

  test('[harness.ledger.2] a need met on one configuration and unmet on another, with a reason naming it and how to get it, passes; the ledger prints both sides', () => {
    expect(ledgerProblems(needsSeen(bothWays))).toEqual([]);
    expect(formatLedger(needsSeen(bothWays))).toEqual(['  loop cap: met on dawn-gl-llvmpipe (1)', `    unmet on dawn-vulkan-swiftshader (1 skipped): ${LOOP_CAP_UNMET}`]);
  });

  test('[harness.ledger.2] a need seen only met, or only unmet, fails with a message naming it', () => {
    expect(ledgerProblems(needsSeen([gated('dawn-gl-llvmpipe', 'feature subgroups', 'ran'), gated('wgpu-lavapipe', 'feature subgroups', 'ran')]))).toEqual([
      "[harness.ledger.2] need 'feature subgroups' was never seen unmet: every configuration had it (dawn-gl-llvmpipe, wgpu-lavapipe), so no skip reason for it was seen",
    ]);
    const onlyUnmet = needsSeen([gated('dawn-gl-llvmpipe', 'feature shader-f16', 'skipped', "device does not have feature 'shader-f16': run on `npm run test:wgpu`")]);
    expect(ledgerProblems(onlyUnmet)).toEqual(["[harness.ledger.2] need 'feature shader-f16' was never seen met: no configuration ran a test that needs it (unmet on dawn-gl-llvmpipe)"]);
  });

  test('[harness.ledger.2] met and unmet on the same configuration only does not count: a verdict on one configuration never stands in for another', () => {
    const same = [gated('wgpu-lavapipe', 'feature timestamp-query', 'ran'), gated('wgpu-lavapipe', 'feature timestamp-query', 'skipped', "device does not have feature 'timestamp-query': run on `npm run test:swiftshader`")];
    expect(ledgerProblems(needsSeen(same))).toEqual(["[harness.ledger.2] need 'feature timestamp-query' was met and unmet only on wgpu-lavapipe: a second configuration must show the other side"]);
  });

  test('[harness.ledger.2] a skip reason that does not name the need, or does not say how to get it, fails', () => {
    const vague = [gated('a', 'loop cap', 'ran'), gated('b', 'loop cap', 'skipped', 'not here: run on `npm run test:main`')];
    expect(ledgerProblems(needsSeen(vague))).toEqual(["[harness.ledger.2] need 'loop cap': the skip reason on b does not name 'loop cap': not here: run on `npm run test:main`"]);
    const noWay = [gated('a', 'execution', 'ran'), gated('b', 'execution', 'skipped', 'no executing adapter')];
    expect(ledgerProblems(needsSeen(noWay))).toEqual(["[harness.ledger.2] need 'execution': the skip reason on b does not say how to get it: no executing adapter"]);
  });

  test('[harness.ledger.2] `device` is seen one way by design and says why; a failed gate counts as neither side', () => {
    const seen = needsSeen([gated('a', 'device', 'ran'), gated('b', 'execution', 'ran'), gated('c', 'execution', 'failed', 'WGFUSE_REQUIRE_ADAPTER=1: no adapter')]);
    expect(ledgerProblems(seen)).toEqual(["[harness.ledger.2] need 'execution' was never seen unmet: every configuration had it (b), so no skip reason for it was seen"]);
    expect(formatLedger(seen)[0]).toMatch(/^ {2}device: met on a \(1\); one way only by design: unmet only with no WebGPU at all/);
  });
});

describe('the main job names its configuration', () => {
  test('[harness.config.1] report.html shows the configuration every verdict came from', () => {
    const report: Report = {
      format: 'wgfuse-report',
      version: 1,
      implementation: { name: 'impl', module: null },
      profile: { name: 'needs', declaredNeeds: 'none' },
      seed: 1,
      runsPerProperty: 1,
      configuration: 'wgpu-lavapipe',
      adapter: { description: 'llvmpipe (LLVM 15.0.6, 256 bits)', backend: 'navigator', tier: 'software' },
      startedAt: '2026-12-06T00:00:00.000Z',
      seconds: 1,
      expectations: { file: null, unmatched: [] },
      summary: { passed: 0, failed: 0, 'timed out': 0, skipped: 0, 'not applicable': 0, 'not judged': 0, 'not run': 0, unexpected: 0, pass: false },
      tests: [],
    };
    expect(renderHtml(report)).toContain('<p>configuration: <b class="configuration">wgpu-lavapipe</b>; adapter: llvmpipe (LLVM 15.0.6, 256 bits) (navigator, software)');
    expect(renderHtml({ ...report, configuration: undefined })).toContain('<p>adapter: llvmpipe');
  });
});

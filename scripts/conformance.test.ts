import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { sh } from './lib/sh.js';
import type { Ran } from './lib/sh.js';

// The main job (scripts/conformance.ts) as a user runs it, in a child process: bad input stops it with a
// clear reason and exit 2; an implementation that hangs, blocks its event loop, aborts or exits is that
// implementation's failure and the run ends in bounded time; a run that judged nothing fails; and a
// printed replay line, run as printed, reproduces the failure.

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = 'conformance/selftest/fixtures';
const scratch = mkdtempSync(join(tmpdir(), 'wgfuse-main-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = (command: string, env: Record<string, string> = {}): Promise<Ran> => sh(command, { cwd: ROOT, env });

const mainJob = (args: string, env: Record<string, string> = {}): Promise<Ran> => run(`npx tsx scripts/conformance.ts ${args}`, { WGFUSE_SEED: '7', ...env });

describe('the main job, driven as a user drives it', () => {
  test('[interface.plugin.1] an --impl that is missing, exports nothing, does not parse or has no compile() stops the run with exit 2 and the reason', async () => {
    const broken = join(scratch, 'syntax-error.ts');
    writeFileSync(broken, 'export const implementation = {;\n');
    const [missing, nothing, syntax, noCompile] = await Promise.all([
      mainJob('--impl ./no/such/module.ts'),
      mainJob(`--impl ./${FIXTURES}/exports-nothing.ts`),
      mainJob(`--impl ${broken}`),
      mainJob(`--impl ./${FIXTURES}/no-compile.ts`),
    ]);
    for (const r of [missing, nothing, syntax, noCompile]) expect(r.code, r.out).toBe(2);
    expect(missing.out).toMatch(/conformance: \[interface\.plugin\.1\] WGFUSE_IMPL=.*no\/such\/module\.ts: cannot import it/);
    expect(nothing.out).toMatch(/exports-nothing\.ts: the module has no export 'implementation' with a name and a compile/);
    expect(syntax.out).toMatch(/syntax-error\.ts: cannot import it: [\s\S]*(Unexpected|Expected|expected)/);
    expect(noCompile.out).toMatch(/no-compile\.ts: the module has no export 'implementation' with a name and a compile/);
  });

  test('[suite.cli.1] bad options and settings are refused with exit 2 before anything runs', async () => {
    const [backend, runs, timeout, envRuns, filter] = await Promise.all([
      mainJob('--backend foo'),
      mainJob('--runs 0'),
      mainJob('--timeout soon'),
      mainJob('', { WGFUSE_NUM_RUNS: '0' }),
      mainJob("--filter '['"),
    ]);
    for (const r of [backend, runs, timeout, envRuns, filter]) expect(r.code, r.out).toBe(2);
    expect(backend.out).toContain('--backend foo: expected auto, vulkan, opengl, opengles, null or navigator');
    expect(runs.out).toContain('--runs 0: expected an integer ≥ 1');
    expect(timeout.out).toContain('--timeout soon: expected an integer ≥ 1');
    expect(envRuns.out).toContain('WGFUSE_NUM_RUNS=0: a run that checks no case judges nothing');
    expect(filter.out).toContain("--filter [: Invalid regular expression");
  });

  test('[suite.cli.2] a run in which no test judged the implementation fails, saying so', async (ctx) => {
    await gate(ctx, { execution: true });
    const r = await mainJob("--filter 'no test is named like this'");
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('conformance: no test judged the implementation');
  });

  test('[interface.run.2] an implementation that hangs, blocks its event loop, aborts or calls process.exit fails, and the run ends', async (ctx) => {
    await gate(ctx, { execution: true });
    const judge = (how: string): Promise<Ran> =>
      mainJob(`--impl ./${FIXTURES}/misbehaving.ts --timeout 2000 --filter 'fusion\\.chain\\.1\\] random'`, { WGFUSE_MISBEHAVE: how });
    const hang = await judge('hang');
    const busy = await judge('busy-loop');
    const abort = await judge('abort');
    const exit = await judge('exit');
    for (const r of [hang, busy, abort, exit]) {
      expect(r.code, r.out).toBe(1);
      expect(r.ms).toBeLessThan(60_000);
    }
    expect(hang.out).toMatch(/TIMEOUT +fusion\.chain\.1/);
    expect(hang.out).toContain("[interface.run.2] TIMEOUT (no verdict on its results): implementation 'misbehaving (hang)', stage run: run() (run 1 of 2) did not settle: timed out after 2000 ms");
    expect(busy.out).toMatch(/the test process stopped during this test .*: \[interface\.run\.2\] the event loop was blocked for \d+ ms in implementation 'misbehaving \(busy-loop\)', stage run/);
    expect(abort.out).toContain('the test process stopped during this test (the implementation crashed, aborted, or blocked its event loop');
    expect(exit.out).toContain("[interface.run.1] failed: implementation 'misbehaving (exit)', stage run: run() (run 1 of 2) threw: the implementation called process.exit(0)");
  });

  test('[suite.verdict.2] a property slower than any per-test timeout completes, and passes a correct implementation', async (ctx) => {
    await gate(ctx, { execution: true });
    // 20 cases, two runs each, 150 ms a run: past vitest's default 5 s test timeout, which the suite does not use.
    const r = await mainJob(`--impl ./${FIXTURES}/misbehaving.ts --runs 20 --filter 'fusion\\.chain\\.1\\] random'`, { WGFUSE_MISBEHAVE: 'slow' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/pass +fusion\.chain\.1 +20 +([6-9]|\d\d+)\.\d\ds/);
    expect(r.out).toContain('conformance: 1 passed, 0 failed, 0 skipped');
  });

  test('[suite.report.1] with an expectations file the run passes exactly when every outcome is expected, and writes report.json and junit.xml', async (ctx) => {
    await gate(ctx, { execution: true });
    const only = "--filter 'fusion\\.chain\\.1\\] random|fusion\\.epilogue\\.1\\]' --runs 3";
    const expectations = join(scratch, 'eager.expect.json');
    writeFileSync(expectations, JSON.stringify({ expectations: [{ test: '^\\[fusion\\.', status: 'fail', reason: 'the eager executor fuses nothing' }, { test: 'unused', status: 'fail', reason: 'stale' }] }));
    const reportDir = join(scratch, 'report');
    const impl = `--impl ./${FIXTURES}/eager-as-implementation.ts`;
    const [expected, unexpected] = await Promise.all([mainJob(`${impl} ${only} --expect ${expectations} --report ${reportDir}`), mainJob(`${impl} ${only}`)]);
    expect(expected.code, expected.out).toBe(0);
    expect(expected.out).toContain('expectations: every outcome as expected');
    expect(expected.out).toContain('warning: expectation "unused" (fail) matched no test that ran');
    expect(unexpected.code, unexpected.out).toBe(1);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { summary: { failed: number; pass: boolean }; tests: { verdict: string; replay?: string }[] };
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'spec/report.schema.json'), 'utf8')) as object);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.summary).toMatchObject({ pass: true });
    // [harness.config.1] the text and report.json name the configuration the verdicts came from.
    expect(expected.out).toMatch(/^ {2}configuration: {2}\S+ \(every verdict below is this configuration's alone\)$/m);
    expect((report as { configuration?: string }).configuration).toMatch(/^(dawn|wgpu|browser)-\S+$/);
    expect(report.summary.failed).toBeGreaterThan(1);
    expect(report.tests.every((t) => t.verdict === 'expected failure')).toBe(true);
    expect(report.tests.some((t) => t.replay?.includes('eager-as-implementation.ts'))).toBe(true);
    expect(existsSync(join(reportDir, 'junit.xml'))).toBe(true);
    expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="[^"]*fusion\.chain\.1/);
  });

  test('[suite.expect.3] a property goes on past the failures its expectations name: every case is judged, and a later failure by another rule is unexpected', async (ctx) => {
    await gate(ctx, { execution: true });
    const expectations = join(scratch, 'count-only.expect.json');
    writeFileSync(expectations, JSON.stringify({ expectations: [{ test: '^\\[fusion\\.chain\\.1\\] random', status: 'fail', reason: 'one kernel per op', failingRules: ['fusion.count.1'] }] }));
    const only = `--filter 'fusion\\.chain\\.1\\] random' --runs 8 --seed 20261206 --expect ${expectations}`;
    const [countOnly, wrongLater] = await Promise.all([mainJob(`--impl ./${FIXTURES}/eager-as-implementation.ts ${only}`), mainJob(`--impl ./${FIXTURES}/eager-wrong-later.ts ${only}`)]);
    // Too many kernels on every case, right values on every case: all 8 cases judged, an expected failure.
    expect(countOnly.code, countOnly.out).toBe(0);
    expect(countOnly.out).toMatch(/FAIL +fusion\.chain\.1 +8 /);
    expect(countOnly.out).toContain('expectations: every outcome as expected');
    // Wrong values from the fifth program on: only a property that judged past the first count failure sees them.
    expect(wrongLater.code, wrongLater.out).toBe(1);
    expect(wrongLater.out).toContain('unexpected failure (expected fail: one kernel per op)');
    expect(wrongLater.out).toMatch(/^ {2}FAIL \[numerics\.oracle\.1\]/m);
  });

  test('[suite.expect.3] a stage failure by a rule the expectations name is tallied too, and the property judges the cases after it', async (ctx) => {
    await gate(ctx, { execution: true });
    const expectations = join(scratch, 'refusals.expect.json');
    writeFileSync(expectations, JSON.stringify({ expectations: [{ test: '^\\[fusion\\.chain\\.1\\] random', status: 'fail', reason: 'ranks 1 and 2 only', failingRules: ['interface.compile.1'] }] }));
    const only = `--impl ./${FIXTURES}/refuses-high-ranks.ts --filter 'fusion\\.chain\\.1\\] random' --runs 12 --seed 20261206`;
    const [expected, plain] = await Promise.all([mainJob(`${only} --expect ${expectations}`), mainJob(only)]);
    expect(expected.code, expected.out).toBe(0);
    expect(expected.out).toMatch(/^FAIL +fusion\.chain\.1 +12 /m);
    expect(expected.out).toContain('expectations: every outcome as expected');
    // Without the expectations the first refusal fails the property, which then shrinks it.
    expect(plain.code, plain.out).toBe(1);
    expect(plain.out).toMatch(/^FAIL +fusion\.chain\.1 +\d+ /m);
  });

  test('[interface.needs.2] rules of a part of the spec an implementation declares it does not take part in are not applicable, not passes', async (ctx) => {
    await gate(ctx, { execution: true });
    const r = await mainJob(`--impl ./${FIXTURES}/declares-parts.ts --runs 2 --filter 'shapes\\.dynamic\\.2|fusion\\.settings\\.1|fusion\\.epilogue\\.1'`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/n\/a +shapes\.dynamic\.2 /);
    expect(r.out).toMatch(/n\/a +fusion\.settings\.1 /);
    expect(r.out).toMatch(/pass +fusion\.epilogue\.1 /);
    expect(r.out).toMatch(/conformance: \d+ passed, 0 failed, 0 skipped, [4-9] not applicable/);
  });

  test('[interface.needs.3] the defaults profile holds an implementation to the adapter\'s defaults: its needs are not requested, and the report says so', async (ctx) => {
    await gate(ctx, { execution: true });
    const only = `--impl ./${FIXTURES}/needs-a-missing-feature.ts --runs 2 --filter 'fusion\\.prologue\\.1\\]'`;
    const [needs, defaults, bad] = await Promise.all([mainJob(only), mainJob(`${only} --profile defaults`), mainJob(`${only} --profile portable`)]);
    // Under needs, the missing feature skips every test, with the reason; nothing judged is no pass.
    expect(needs.code, needs.out).toBe(1);
    expect(needs.out).toContain("profile:        needs (requested: feature a-feature-no-adapter-has)");
    expect(needs.out).toContain("feature 'a-feature-no-adapter-has': the adapter does not have it");
    expect(needs.out).toContain('conformance: 0 passed, 0 failed, 2 skipped');
    expect(defaults.code, defaults.out).toBe(0);
    expect(defaults.out).toContain("profile:        defaults (the adapter's default limits; declared needs not requested: feature a-feature-no-adapter-has)");
    expect(defaults.out).toContain('conformance: 2 passed, 0 failed, 0 skipped');
    expect(bad.code, bad.out).toBe(2);
    expect(bad.out).toContain('WGFUSE_PROFILE=portable: expected needs or defaults');
  });

  test('[suite.replay.1] the replay line a failure prints names the implementation and, run as printed, reproduces the failure', async (ctx) => {
    await gate(ctx, { execution: true });
    const first = await mainJob(`--impl ./${FIXTURES}/drops-epilogue-op.ts --filter 'fusion\\.chain\\.1\\] random'`, { WGFUSE_SEED: '20261206' });
    expect(first.code, first.out).toBe(1);
    const replay = /^replay: (.*)$/m.exec(first.out)?.[1];
    expect(replay, first.out).toMatch(/^WGFUSE_SEED=20261206 WGFUSE_PATH=[\d:]+ WGFUSE_IMPL=\S*drops-epilogue-op\.ts npx vitest run conformance\/judge\/fusion\.test\.ts -t /);
    const caseLine = (out: string): string | undefined => /\[numerics\.oracle\.1\] mutant: drop-epilogue-op: .* on case: (.*)$/m.exec(out)?.[1];
    // Run as printed, from the repo root, in a clean environment but for PATH.
    const again = await run(replay ?? 'false', { WGFUSE_SEED: '', WGFUSE_IMPL: '', WGFUSE_PATH: '' });
    expect(again.code, again.out).toBe(1);
    expect(caseLine(again.out), again.out).toBe(caseLine(first.out));
  });
});

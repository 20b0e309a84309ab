// npm run conformance: the suite against an implementation on the best adapter found, with a readable
// report grouped by rule. Exit status 0 only when nothing failed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVitest } from 'vitest/node';
import { formatCapabilityReport, probeCapabilities } from '../conformance/harness/capabilities.js';
import { configurationName } from '../conformance/harness/configuration.js';
import { backendFromEnv } from '../conformance/harness/device.js';
import { describeNeeds, profileFromEnv } from '../conformance/harness/profile.js';
import type { Profile } from '../conformance/harness/profile.js';
import { stageTimeoutMs } from '../conformance/harness/timeout.js';
import { implementationUnderTest } from '../conformance/properties/implementation-under-test.js';
import { parseCli } from './lib/cli.js';
import { ConformanceReporter } from './lib/conformance-reporter.js';
import { renderHtml } from './lib/html-report.js';
import { judgeOutcomes, readExpectations, skipPattern, summarize } from './lib/results.js';
import type { Outcome, Report } from './lib/results.js';

// The judging tests are the files under conformance/judge/, found by location, from wherever the
// command is run; everything else (selftests, meta-tests, the reference's own tests) is left out.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JUDGE_DIR = 'conformance/judge';

const HELP = `usage: npm run conformance -- [options]

Runs the tests that judge an implementation (every file under ${JUDGE_DIR}/; the suite's selftests
and meta-tests are elsewhere) and prints capabilities, then one line per test grouped by spec rule.
A test that passed without calling the implementation judged nothing: it is listed, not counted as a
pass, and a run in which nothing was judged fails.

options:
  --impl <module>    implementation module exporting \`implementation\` (default: the reference; env WGFUSE_IMPL)
  --seed <n>         fast-check seed (default: random, printed; env WGFUSE_SEED)
  --runs <n>         cases per property (default 200; env WGFUSE_NUM_RUNS)
  --backend <name>   auto | vulkan | opengl | opengles | null | navigator (env WGFUSE_BACKEND)
  --timeout <ms>     how long compile, each run and each readback may take (default 300000; env WGFUSE_TIMEOUT_MS);
                     an event loop blocked longer than this is stopped by the watchdog
  --profile <name>   needs: open the device with the limits and features the implementation declares (default);
                     defaults: hold it to the adapter's default limits and no optional features (env WGFUSE_PROFILE)
  --filter <regex>   run only the judging tests whose names match
  --expect <file>    expectations file (spec/expectations.schema.json): tests expected to fail, time out or
                     be skipped, each with a reason; the run passes when every outcome is the expected one
  --report <dir>     write report.json (spec/report.schema.json), junit.xml and report.html (offline) there
  --require-adapter  fail instead of skipping when no executing adapter is found (env WGFUSE_REQUIRE_ADAPTER=1)
  -h, --help         this text

exit status: 0 every outcome as expected (without --expect: every judged test passed); 1 an unexpected
failure or pass, a crash, or nothing judged at all; 2 bad arguments, an implementation module that cannot
be loaded, or a malformed expectations file
`;

const { values, usageError } = parseCli('conformance', HELP, {
  impl: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  backend: { type: 'string' },
  timeout: { type: 'string' },
  filter: { type: 'string' },
  profile: { type: 'string' },
  expect: { type: 'string' },
  report: { type: 'string' },
  'require-adapter': { type: 'boolean' },
});
const integer = (name: string, raw: string | undefined, min: number): void => {
  if (raw !== undefined && !(/^-?\d+$/.test(raw.trim()) && Number(raw) >= min && Number(raw) < 2 ** 31)) usageError(`--${name} ${raw}: expected an integer ≥ ${min}`);
};
integer('seed', values.seed, -(2 ** 31));
integer('runs', values.runs, 1);
integer('timeout', values.timeout, 1);
const filter = values.filter === undefined ? undefined : (() => {
  try {
    return new RegExp(values.filter);
  } catch (e) {
    return usageError(`--filter ${values.filter}: ${e instanceof Error ? e.message : String(e)}`);
  }
})();
const setEnv = (name: string, value: string | undefined): void => {
  if (value !== undefined) process.env[name] = value;
};
setEnv('WGFUSE_IMPL', values.impl);
setEnv('WGFUSE_SEED', values.seed);
setEnv('WGFUSE_NUM_RUNS', values.runs);
setEnv('WGFUSE_BACKEND', values.backend);
setEnv('WGFUSE_TIMEOUT_MS', values.timeout);
setEnv('WGFUSE_PROFILE', values.profile);
if (values['require-adapter'] === true) process.env['WGFUSE_REQUIRE_ADAPTER'] = '1';
if (values.backend !== undefined && backendFromEnv() !== values.backend) usageError(`--backend ${values.backend}: expected auto, vulkan, opengl, opengles, null or navigator`);
for (const name of ['WGFUSE_SEED', 'WGFUSE_NUM_RUNS'] as const) {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '' && !/^-?\d+$/.test(raw)) usageError(`${name}=${raw} is not an integer`);
}
if (process.env['WGFUSE_NUM_RUNS'] !== undefined && Number(process.env['WGFUSE_NUM_RUNS']) < 1) usageError(`WGFUSE_NUM_RUNS=${process.env['WGFUSE_NUM_RUNS']}: a run that checks no case judges nothing`);
let profile: Profile = 'needs';
try {
  stageTimeoutMs();
  profile = profileFromEnv();
} catch (e) {
  usageError(e instanceof Error ? e.message.replace(/^\[[^\]]*\] /, '') : String(e));
}
// The implementation is resolved from where the command was started, and loaded here first, so a module
// that cannot be imported or exports no implementation stops the run with that reason, before any test.
const implSpec = process.env['WGFUSE_IMPL'];
if (implSpec !== undefined && implSpec !== '' && /^[./]/.test(implSpec) && !isAbsolute(implSpec)) process.env['WGFUSE_IMPL'] = resolve(implSpec);
const judged = await implementationUnderTest().catch((e: unknown) => {
  process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
// One seed for every worker, so the report can name it and a failure replays.
process.env['WGFUSE_SEED'] ??= String((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const watchdogDir = mkdtempSync(join(tmpdir(), 'wgfuse-watchdog-'));
process.env['WGFUSE_WATCHDOG_DIR'] = watchdogDir;

const expectFile = values.expect;
const expectations = expectFile === undefined ? [] : (() => {
  try {
    return readExpectations(readFileSync(expectFile, 'utf8'), expectFile);
  } catch (e) {
    process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
    return process.exit(2);
  }
})();
// The judging tests read the same file, to judge every case of a property past the failures it expects.
if (expectFile === undefined) delete process.env['WGFUSE_EXPECT'];
else process.env['WGFUSE_EXPECT'] = resolve(expectFile);
const skips = skipPattern(expectations);
// --filter keeps what it names; entries expected to be skipped are left out of the run.
const namePattern =
  filter === undefined && skips === undefined ? undefined : new RegExp(`^${skips === undefined ? '' : `(?!.*(?:${skips}))`}${filter === undefined ? '' : `(?=.*(?:${filter.source}))`}`);

function kernelsSeen(kernels: Readonly<Record<string, number>> | undefined): string {
  if (kernels === undefined) return '';
  return Object.entries(kernels)
    .map(([k, n]) => `${k} kernel${k === '1' ? '' : 's'} ×${n}`)
    .join(', ');
}

const MARK: Readonly<Record<Outcome, string>> = { passed: 'pass', failed: 'FAIL', 'timed out': 'TIMEOUT', skipped: 'skipped', 'not applicable': 'n/a', 'not judged': 'unjudged', 'not run': 'not run' };

const caps = await probeCapabilities();
const reporter = new ConformanceReporter(watchdogDir);
const started = performance.now();
const startedAt = new Date().toISOString();
if (!existsSync(`${ROOT}/${JUDGE_DIR}`)) {
  process.stderr.write(`conformance: no ${JUDGE_DIR}/ under ${ROOT}: the package is incomplete\n`);
  process.exit(2);
}
const reportDir = values.report === undefined ? undefined : resolve(values.report);
if (reportDir !== undefined) mkdirSync(reportDir, { recursive: true });
const vitest = await startVitest('test', [JUDGE_DIR], {
  root: ROOT,
  watch: false,
  // One configuration per run: the adapter this process found (WGFUSE_BACKEND picks another).
  project: 'main',
  // JUnit XML for CI systems comes from vitest's own reporter.
  reporters: reportDir === undefined ? [reporter] : [reporter, 'junit'],
  ...(reportDir === undefined ? {} : { outputFile: { junit: join(reportDir, 'junit.xml') } }),
  ...(namePattern === undefined ? {} : { testNamePattern: namePattern }),
});
await vitest.close();
const seconds = (performance.now() - started) / 1000;

const implName = `${judged.name}${process.env['WGFUSE_IMPL'] ? ` (${process.env['WGFUSE_IMPL']})` : ' (reference/implementation.ts)'}`;
const out: string[] = [
  'wgfuse conformance',
  `  implementation: ${implName}`,
  `  configuration:  ${configurationName(caps.gpu)} (every verdict below is this configuration's alone)`,
  `  fast-check:     seed ${process.env['WGFUSE_SEED']}, ${process.env['WGFUSE_NUM_RUNS'] ?? 200} runs per property`,
  `  profile:        ${profile === 'needs' ? `needs (requested: ${describeNeeds(judged.needs)})` : `defaults (the adapter's default limits; declared needs not requested: ${describeNeeds(judged.needs)})`}`,
  ...(expectFile === undefined ? [] : [`  expectations:   ${expectFile} (${expectations.length} entries)`]),
  '',
  formatCapabilityReport(caps),
  '',
];
const { judged: rows, unmatched } = judgeOutcomes([...reporter.results].sort((a, b) => a.rule.localeCompare(b.rule)), expectations);
const width = Math.max(...rows.map((r) => r.rule.length), 4);
out.push(`${'result'.padEnd(8)} ${'rule'.padEnd(width)}  ${'cases'.padStart(5)}  ${'time'.padStart(7)}  test — kernels the implementation dispatched`);
let lastRule = '';
for (const r of rows) {
  const seen = kernelsSeen(r.kernels);
  out.push(`${MARK[r.outcome].padEnd(8)} ${(r.rule === lastRule ? '' : r.rule).padEnd(width)}  ${String(r.cases ?? '').padStart(5)}  ${`${(r.ms / 1000).toFixed(2)}s`.padStart(7)}  ${r.title}${seen === '' ? '' : ` — ${seen}`}`);
  if (r.setAside !== undefined) out.push(`${''.padEnd(width + 10)}set aside, not judged: ${r.setAside} case(s) past the adapter's loop cap [harness.loopcap.3]`);
  if (r.skipReason !== undefined) out.push(`${''.padEnd(width + 10)}skipped: ${r.skipReason}`);
  if (r.verdict !== 'as expected') out.push(`${''.padEnd(width + 10)}${r.verdict}${r.expectation === undefined ? '' : ` (expected ${r.expectation.status}: ${r.expectation.reason})`}`);
  lastRule = r.rule;
}
for (const f of rows.filter((r) => r.message !== undefined && r.verdict === 'unexpected failure')) {
  out.push('', `${MARK[f.outcome]} [${f.rule}] ${f.title}`, (f.message ?? '').split('\n').slice(0, 200).join('\n'));
}
for (const e of unmatched) out.push('', `warning: expectation ${JSON.stringify(e.test)} (${e.status}) matched no test that ran; remove it or fix its pattern`);
for (const e of reporter.errors) out.push('', `unhandled error: ${e.message}`);
const summary = summarize(rows, reporter.errors.length);
const cases = rows.reduce((n, r) => n + (r.cases ?? 0), 0);
const tally = (['failed', 'skipped', 'timed out', 'not applicable', 'not judged', 'not run'] as const).filter((o) => o === 'failed' || o === 'skipped' || summary[o] > 0).map((o) => `${summary[o]} ${o === 'not judged' ? 'judged nothing' : o}`);
out.push('', `cases checked on the device: ${cases}; wall time ${seconds.toFixed(1)} s`, `conformance: ${summary.passed} passed, ${tally.join(', ')}`);
if (expectFile !== undefined) out.push(`expectations: ${summary.unexpected === 0 ? 'every outcome as expected' : `${summary.unexpected} unexpected outcome(s)`}`);
if (summary.passed + summary.failed + summary['timed out'] === 0) out.push(`conformance: no test judged the implementation (${rows.length} test(s) ran): this is not a pass`);
if (reportDir !== undefined) {
  const report: Report = {
    format: 'wgfuse-report',
    version: 1,
    implementation: { name: judged.name, module: process.env['WGFUSE_IMPL'] || null },
    profile: { name: profile, declaredNeeds: describeNeeds(judged.needs) },
    seed: Number(process.env['WGFUSE_SEED']),
    runsPerProperty: Number(process.env['WGFUSE_NUM_RUNS'] ?? 200),
    configuration: configurationName(caps.gpu),
    adapter: caps.gpu === undefined ? null : { tier: caps.tier, backend: caps.gpu.backend, ...caps.gpu.summary, loopCap: caps.loopCap ?? null },
    startedAt,
    seconds,
    expectations: { file: expectFile ?? null, unmatched },
    summary,
    tests: rows,
  };
  writeFileSync(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(reportDir, 'report.html'), renderHtml(report));
  out.push(`reports: ${join(reportDir, 'report.json')}, ${join(reportDir, 'junit.xml')}, ${join(reportDir, 'report.html')}`);
}
process.stdout.write(`${out.join('\n')}\n`);
rmSync(watchdogDir, { recursive: true, force: true });
process.exit(summary.pass ? 0 : 1);

// npm run conformance: the suite against an implementation on the best adapter found, with a readable
// report grouped by rule. Exit status 0 only when nothing failed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVitest } from 'vitest/node';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { SerializedError } from 'vitest';
import { formatCapabilityReport, probeCapabilities } from '../conformance/harness/capabilities.js';
import { backendFromEnv } from '../conformance/harness/device.js';
import { stageTimeoutMs } from '../conformance/harness/timeout.js';
import { readStallReports } from '../conformance/harness/watchdog.js';
import { implementationUnderTest } from '../conformance/properties/implementation-under-test.js';
import type { CaseStats } from '../conformance/properties/stats.js';
import { parseCli } from './lib/cli.js';

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
  --filter <regex>   run only the judging tests whose names match
  --require-adapter  fail instead of skipping when no executing adapter is found (env WGFUSE_REQUIRE_ADAPTER=1)
  -h, --help         this text

exit status: 0 every judged test passed; 1 a test failed, crashed or judged nothing at all;
2 bad arguments, or an implementation module that cannot be loaded
`;

const { values, usageError } = parseCli('conformance', HELP, {
  impl: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  backend: { type: 'string' },
  timeout: { type: 'string' },
  filter: { type: 'string' },
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
if (values['require-adapter'] === true) process.env['WGFUSE_REQUIRE_ADAPTER'] = '1';
if (values.backend !== undefined && backendFromEnv() !== values.backend) usageError(`--backend ${values.backend}: expected auto, vulkan, opengl, opengles, null or navigator`);
for (const name of ['WGFUSE_SEED', 'WGFUSE_NUM_RUNS'] as const) {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '' && !/^-?\d+$/.test(raw)) usageError(`${name}=${raw} is not an integer`);
}
if (process.env['WGFUSE_NUM_RUNS'] !== undefined && Number(process.env['WGFUSE_NUM_RUNS']) < 1) usageError(`WGFUSE_NUM_RUNS=${process.env['WGFUSE_NUM_RUNS']}: a run that checks no case judges nothing`);
try {
  stageTimeoutMs();
} catch (e) {
  usageError(e instanceof Error ? e.message : String(e));
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

interface Row {
  rule: string;
  title: string;
  state: string;
  stats: CaseStats | undefined;
  note: string;
  ms: number;
}

function ruleOf(name: string): [string, string] {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(name);
  return m === null ? ['(no rule)', name] : [m[1] ?? '', m[2] ?? ''];
}

function kernelsSeen(stats: CaseStats | undefined): string {
  if (stats === undefined) return '';
  return Object.entries(stats.fusedKernels)
    .map(([k, n]) => `${k} kernel${k === '1' ? '' : 's'} ×${n}`)
    .join(', ');
}

/** What the watchdog reported of a stalled test, if it did. */
function stallOf(fullName: string): string {
  const stall = readStallReports(watchdogDir, (p) => readFileSync(p, 'utf8'), (d) => readdirSync(d)).find((r) => fullName.endsWith(r.test.split(' > ').at(-1) ?? '\u0000'));
  return stall === undefined ? '' : `: [interface.run.2] the event loop was blocked for ${stall.blockedMs} ms${stall.stage === '' ? '' : ` in ${stall.stage}`}`;
}

class ConformanceReporter implements Reporter {
  readonly rows: Row[] = [];
  errors: readonly SerializedError[] = [];

  onTestCaseResult(test: TestCase): void {
    const result = test.result();
    // Left out by --filter: not part of this run.
    if (result.state === 'skipped' && test.options.mode !== 'run') return;
    const [rule, title] = ruleOf(test.name);
    const note =
      result.state === 'failed'
        ? result.errors.map((e) => e.message).join('\n')
        : result.state === 'skipped'
          ? (result.note ?? 'skipped')
          : '';
    // A pass that never called the implementation is no verdict on it; a stage that timed out is none either.
    const timedOut = result.state === 'failed' && result.errors.some((e) => /\] TIMEOUT \(no verdict/.test(e.message));
    const state = result.state === 'passed' && (test.meta().implementationCalls ?? 0) === 0 ? 'not judged' : timedOut ? 'timed out' : result.state;
    this.rows.push({ rule, title, state, stats: test.meta().wgfuse, note, ms: test.diagnostic()?.duration ?? 0 });
  }

  /** Tests left without a result when their file ended were cut off: the process running them stopped. */
  private cutOff(module: TestModule): void {
    let first = true;
    for (const test of module.children.allTests()) {
      if (test.options.mode !== 'run') continue;
      if (test.result().state !== 'pending') continue;
      const [rule, title] = ruleOf(test.name);
      const note = first
        ? `the test process stopped during this test (the implementation crashed, aborted, or blocked its event loop and the watchdog stopped it)${stallOf(test.fullName)}`
        : 'not run: the test process running this file had stopped at an earlier test';
      this.rows.push({ rule, title, state: first ? 'failed' : 'not run', stats: undefined, note, ms: 0 });
      first = false;
    }
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>): void {
    for (const m of modules) this.cutOff(m);
    this.errors = errors;
  }
}

const caps = await probeCapabilities();
const reporter = new ConformanceReporter();
const started = performance.now();
if (!existsSync(`${ROOT}/${JUDGE_DIR}`)) {
  process.stderr.write(`conformance: no ${JUDGE_DIR}/ under ${ROOT}: the package is incomplete\n`);
  process.exit(2);
}
const vitest = await startVitest('test', [JUDGE_DIR], { root: ROOT, watch: false, reporters: [reporter], ...(filter === undefined ? {} : { testNamePattern: filter }) });
await vitest.close();
const seconds = (performance.now() - started) / 1000;

const implName = `${judged.name}${process.env['WGFUSE_IMPL'] ? ` (${process.env['WGFUSE_IMPL']})` : ' (reference/implementation.ts)'}`;
const out: string[] = [
  'wgfuse conformance',
  `  implementation: ${implName}`,
  `  fast-check:     seed ${process.env['WGFUSE_SEED']}, ${process.env['WGFUSE_NUM_RUNS'] ?? 200} runs per property`,
  '',
  formatCapabilityReport(caps),
  '',
];
const rows = [...reporter.rows].sort((a, b) => a.rule.localeCompare(b.rule));
const width = Math.max(...rows.map((r) => r.rule.length), 4);
out.push(`${'result'.padEnd(8)} ${'rule'.padEnd(width)}  ${'cases'.padStart(5)}  ${'time'.padStart(7)}  test — kernels the implementation dispatched`);
let lastRule = '';
for (const r of rows) {
  const mark = r.state === 'passed' ? 'pass' : r.state === 'failed' ? 'FAIL' : r.state === 'not judged' ? 'unjudged' : r.state === 'timed out' ? 'TIMEOUT' : r.state;
  const cases = r.stats === undefined ? '' : String(r.stats.cases);
  const seen = kernelsSeen(r.stats);
  out.push(`${mark.padEnd(8)} ${(r.rule === lastRule ? '' : r.rule).padEnd(width)}  ${cases.padStart(5)}  ${`${(r.ms / 1000).toFixed(2)}s`.padStart(7)}  ${r.title}${seen === '' ? '' : ` — ${seen}`}`);
  if (r.state === 'skipped') out.push(`${''.padEnd(width + 10)}skipped: ${r.note}`);
  lastRule = r.rule;
}
const count = (s: string): number => rows.filter((r) => r.state === s).length;
const failed = rows.filter((r) => r.state === 'failed' || r.state === 'timed out');
for (const f of failed) out.push('', `${f.state === 'failed' ? 'FAIL' : 'TIMEOUT'} [${f.rule}] ${f.title}`, f.note.split('\n').slice(0, 200).join('\n'));
for (const e of reporter.errors) out.push('', `unhandled error: ${e.message}`);
const cases = rows.reduce((s, r) => s + (r.stats?.cases ?? 0), 0);
const caseMs = rows.reduce((s, r) => s + (r.stats?.ms ?? 0), 0);
const propertyCases = rows.reduce((s, r) => s + (r.stats !== undefined && r.stats.ms > 0 ? r.stats.cases : 0), 0);
out.push(
  '',
  `cases checked on the device: ${cases}${caseMs > 0 ? ` (random properties: ${propertyCases} cases, ${(propertyCases / (caseMs / 1000)).toFixed(1)} cases/s)` : ''}; wall time ${seconds.toFixed(1)} s`,
  `conformance: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped${count('not judged') > 0 ? `, ${count('not judged')} judged nothing` : ''}${count('timed out') > 0 ? `, ${count('timed out')} timed out` : ''}${count('not run') > 0 ? `, ${count('not run')} not run` : ''}`,
);
const judgedCount = count('passed') + count('failed');
if (judgedCount === 0) out.push(`conformance: no test judged the implementation (${rows.length} test(s) ran): this is not a pass`);
process.stdout.write(`${out.join('\n')}\n`);
rmSync(watchdogDir, { recursive: true, force: true });
process.exit(failed.length > 0 || reporter.errors.length > 0 || judgedCount === 0 ? 1 : 0);

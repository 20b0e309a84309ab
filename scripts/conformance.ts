// npm run conformance: the suite against an implementation on the best adapter found, with a readable
// report grouped by rule. Exit status 0 only when nothing failed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startVitest } from 'vitest/node';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { SerializedError } from 'vitest';
import { formatCapabilityReport, probeCapabilities } from '../conformance/harness/capabilities.js';
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
  --require-adapter  fail instead of skipping when no executing adapter is found (env WGFUSE_REQUIRE_ADAPTER=1)
  -h, --help         this text
`;

const { values } = parseCli('conformance', HELP, {
  impl: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  backend: { type: 'string' },
  'require-adapter': { type: 'boolean' },
});
const setEnv = (name: string, value: string | undefined): void => {
  if (value !== undefined) process.env[name] = value;
};
setEnv('WGFUSE_IMPL', values.impl);
setEnv('WGFUSE_SEED', values.seed);
setEnv('WGFUSE_NUM_RUNS', values.runs);
setEnv('WGFUSE_BACKEND', values.backend);
if (values['require-adapter'] === true) process.env['WGFUSE_REQUIRE_ADAPTER'] = '1';
// One seed for every worker, so the report can name it and a failure replays.
process.env['WGFUSE_SEED'] ??= String((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);

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

class ConformanceReporter implements Reporter {
  readonly rows: Row[] = [];
  errors: readonly SerializedError[] = [];

  onTestCaseResult(test: TestCase): void {
    const result = test.result();
    const [rule, title] = ruleOf(test.name);
    const note =
      result.state === 'failed'
        ? result.errors.map((e) => e.message).join('\n')
        : result.state === 'skipped'
          ? (result.note ?? 'skipped')
          : '';
    // A pass that never called the implementation is no verdict on it.
    const state = result.state === 'passed' && (test.meta().implementationCalls ?? 0) === 0 ? 'not judged' : result.state;
    this.rows.push({ rule, title, state, stats: test.meta().wgfuse, note, ms: test.diagnostic()?.duration ?? 0 });
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>): void {
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
const vitest = await startVitest('test', [JUDGE_DIR], { root: ROOT, watch: false, reporters: [reporter] });
await vitest.close();
const seconds = (performance.now() - started) / 1000;

const implName = process.env['WGFUSE_IMPL'] || 'the reference (reference/implementation.ts)';
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
  const mark = r.state === 'passed' ? 'pass' : r.state === 'failed' ? 'FAIL' : r.state === 'not judged' ? 'unjudged' : r.state;
  const cases = r.stats === undefined ? '' : String(r.stats.cases);
  const seen = kernelsSeen(r.stats);
  out.push(`${mark.padEnd(8)} ${(r.rule === lastRule ? '' : r.rule).padEnd(width)}  ${cases.padStart(5)}  ${`${(r.ms / 1000).toFixed(2)}s`.padStart(7)}  ${r.title}${seen === '' ? '' : ` — ${seen}`}`);
  if (r.state === 'skipped') out.push(`${''.padEnd(width + 10)}skipped: ${r.note}`);
  lastRule = r.rule;
}
const count = (s: string): number => rows.filter((r) => r.state === s).length;
const failed = rows.filter((r) => r.state === 'failed');
for (const f of failed) out.push('', `FAIL [${f.rule}] ${f.title}`, f.note.split('\n').slice(0, 60).join('\n'));
for (const e of reporter.errors) out.push('', `unhandled error: ${e.message}`);
const cases = rows.reduce((s, r) => s + (r.stats?.cases ?? 0), 0);
const caseMs = rows.reduce((s, r) => s + (r.stats?.ms ?? 0), 0);
const propertyCases = rows.reduce((s, r) => s + (r.stats !== undefined && r.stats.ms > 0 ? r.stats.cases : 0), 0);
out.push(
  '',
  `cases checked on the device: ${cases}${caseMs > 0 ? ` (random properties: ${propertyCases} cases, ${(propertyCases / (caseMs / 1000)).toFixed(1)} cases/s)` : ''}; wall time ${seconds.toFixed(1)} s`,
  `conformance: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped${count('not judged') > 0 ? `, ${count('not judged')} judged nothing` : ''}`,
);
const judged = count('passed') + count('failed');
if (judged === 0) out.push(`conformance: no test judged the implementation (${rows.length} test(s) ran): this is not a pass`);
process.stdout.write(`${out.join('\n')}\n`);
process.exit(failed.length > 0 || reporter.errors.length > 0 || judged === 0 ? 1 : 0);

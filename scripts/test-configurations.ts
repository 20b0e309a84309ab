// npm test's last step: runs every configuration (spec/capabilities.md [harness.config.2]), each vitest project
// alone with its output streamed, then prints one table of them and the gate ledger, and exits 1 when a
// configuration failed, did not come up or ran nothing, or a capability need was seen only one way.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAVAPIPE_ICD } from '../conformance/harness/device.js';
import type { LedgerRecord } from '../conformance/harness/ledger.js';
import { createVitest } from 'vitest/node';
import { parseCli } from './lib/cli.js';
import { formatFeatures, formatLedger, formatRows, ledgerProblems, needsSeen, otherConfigurations, rowOf, runProblem, wgpuPlanned } from './lib/configuration-summary.js';
import type { ConfigurationRun } from './lib/configuration-summary.js';

const HELP = `usage: npm test  (or: tsx scripts/test-configurations.ts [-- <test file filters>])

Runs each vitest project of vitest.config.ts alone under Node (main, dawn-vulkan-swiftshader, dawn-null, and
any other, e.g. chromium-swiftshader), then wgpu-lavapipe under Deno (node_modules/.bin/deno; in CI always,
elsewhere where Mesa's lavapipe is installed: ${LAVAPIPE_ICD}). Prints a table of the configurations
(adapter, feature level, tests passed / failed / skipped, wall time) and the gate ledger: each capability
need, where it was met and where it was not, with the skip reason. Arguments after -- go to every vitest run;
with them, the ledger is printed but not checked (a filtered run cannot show every need both ways).
Exits 1 when a configuration failed, did not come up, or ran no test, or a need was seen only one way.

options:
  -h, --help   this text
`;

const { positionals } = parseCli('test-configurations', HELP, {}, true);
const ROOT = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'wgfuse-configurations-'));
const ci = process.env['CI'] === 'true';

interface Plan {
  readonly project: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const vitestArgs = (project: string): string[] => ['node_modules/vitest/vitest.mjs', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${join(work, `${project}.json`)}`, ...positionals];
// The projects vitest.config.ts gives under Node, as vitest resolves them (a browser project added there is run too).
const resolved = await createVitest('test', { watch: false, root: ROOT });
const nodeProjects = resolved.projects.map((p) => p.name);
await resolved.close();
const plans: Plan[] = nodeProjects.map((project) => ({ project, command: [process.execPath, ...vitestArgs(project)], env: {} }));
const notRun: string[] = [];
// The browser's configuration is required in CI (WGFUSE_REQUIRE_BROWSER=1): one that vitest.config.ts left out
// (no Chromium, no browser provider) fails the run with the reason it printed, never passes it by its absence.
// vitest names a browser project after its instance too: `chromium-swiftshader (chromium)`.
const browserMissing = process.env['WGFUSE_REQUIRE_BROWSER'] === '1' && !nodeProjects.some((p) => p.startsWith('chromium-swiftshader'));
const deno = join(ROOT, 'node_modules/.bin/deno');
// wgpu through Deno: required in CI (a missing driver or binary then fails its run), elsewhere where lavapipe is.
if (wgpuPlanned({ ci, lavapipe: existsSync(LAVAPIPE_ICD), deno: existsSync(deno) })) {
  plans.push({ project: 'wgpu-lavapipe', command: [deno, 'run', '-A', ...vitestArgs('wgpu-lavapipe')], env: {} });
} else {
  notRun.push(`wgpu-lavapipe: not run here: it needs Mesa lavapipe (${LAVAPIPE_ICD}: apt-get install -y mesa-vulkan-drivers libvulkan1) and node_modules/.bin/deno (npm ci)`);
}

function run(plan: Plan): Promise<{ code: number; seconds: number }> {
  const started = performance.now();
  const ledger = join(work, 'ledger', plan.project);
  process.stdout.write(`\n=== configuration ${plan.project}: ${plan.command.map((a) => a.replace(`${ROOT}/`, '')).join(' ')}\n`);
  return new Promise((resolve) => {
    // Mesa's Vulkan drivers (and Deno) complain without XDG_RUNTIME_DIR, which a CI container may not set.
    const env = { ...process.env, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] || tmpdir(), ...plan.env, WGFUSE_LEDGER_DIR: ledger };
    const child = spawn(plan.command[0] ?? '', plan.command.slice(1), { cwd: ROOT, stdio: 'inherit', env });
    child.on('error', (e) => {
      process.stderr.write(`${plan.project}: cannot start ${plan.command[0]}: ${e.message}\n`);
      resolve({ code: 127, seconds: (performance.now() - started) / 1000 });
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), seconds: (performance.now() - started) / 1000 }));
  });
}

function readRecords(dir: string): LedgerRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LedgerRecord),
  );
}

function countsOf(file: string): ConfigurationRun['counts'] {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

const runs: ConfigurationRun[] = [];
for (const plan of plans) {
  const { code, seconds } = await run(plan);
  runs.push({ project: plan.project, validationOnly: plan.project === 'dawn-null', seconds, exitCode: code, counts: countsOf(join(work, `${plan.project}.json`)), records: readRecords(join(work, 'ledger', plan.project)) });
}

const seen = needsSeen(runs.flatMap((r) => r.records));
const problems = [
  ...(browserMissing ? ['configuration chromium-swiftshader: did not come up (WGFUSE_REQUIRE_BROWSER=1): vitest.config.ts left it out, saying why above'] : []),
  ...runs.flatMap((r) => (runProblem(r) === undefined ? [] : [`configuration ${r.project}: ${runProblem(r)}`])),
  ...(positionals.length === 0 ? ledgerProblems(seen) : []),
];
const out = [
  '',
  'wgfuse configurations',
  formatRows(runs.map(rowOf)),
  ...notRun.map((l) => `  ${l}`),
  ...runs.flatMap((r) => (otherConfigurations(r).length === 0 ? [] : [`  ${r.project}'s tests also started processes on other configurations: ${otherConfigurations(r).join(', ')}`])),
  '',
  'features (the harness requests only what the implementation under test declares):',
  ...formatFeatures(runs),
  '',
  `gate ledger: each capability need, where it was met and where not (spec/capabilities.md [harness.ledger.2])${positionals.length === 0 ? '' : '; not checked: a filtered run'}:`,
  ...formatLedger(seen),
  '',
  ...(problems.length > 0 ? problems.map((p) => `FAIL ${p}`) : [`configurations: every configuration ran and passed${positionals.length === 0 ? '; every need was seen met on one and unmet on another (but those seen one way by design)' : ''}`]),
];
process.stdout.write(`${out.join('\n')}\n`);
process.exit(problems.length === 0 ? 0 : 1);

// Rule coverage: every rule in spec/ has a test or is declared planned, every test cites a rule that
// exists, and spec/INDEX.md (rule → chapter → tests) is current. Run by `npm test`; `--write` regenerates
// the index.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run rules -- [--write] [--json]

Checks that every rule declared in spec/*.md (as **[rule.id]**) has at least one test whose name starts
with [rule.id], or is declared planned (**[rule.id]** *(planned)*) or internal (*(internal)*: an
invariant of the suite's own code that no input can reach); that every test name starts with a declared
rule; that every rule id an error is thrown with (in spec/, reference/, conformance/, scripts/) is
declared; and that spec/INDEX.md is current.

  --write   regenerate spec/INDEX.md
  --json    print the coverage as JSON
  -h, --help
`;

export interface Rule {
  readonly id: string;
  readonly chapter: string;
  readonly planned: boolean;
  /** An invariant of the suite's or the reference's own code: thrown only by a bug, so no test can reach it. */
  readonly internal: boolean;
  readonly text: string;
}

const RULE = /\*\*\[([a-z0-9][a-z0-9.\-_]*)\]\*\*( \*\((planned|internal)\)\*)?([^\n]*?)(?=\*\*\[|\n|$)/g;

export function readRules(specDir: string): Rule[] {
  const rules: Rule[] = [];
  for (const file of readdirSync(specDir).filter((f) => f.endsWith('.md') && f !== 'INDEX.md').sort()) {
    const text = readFileSync(join(specDir, file), 'utf8');
    for (const m of text.matchAll(RULE)) {
      const sentence = (m[4] ?? '').replace(/\s+/g, ' ').trim();
      rules.push({ id: m[1] ?? '', chapter: file, planned: m[3] === 'planned', internal: m[3] === 'internal', text: sentence });
    }
  }
  return rules;
}

/** The rule a test cites: the bracketed id at the start of its own name (after the describe path). */
export function citedRule(testName: string): string | undefined {
  const own = testName.split(' > ').at(-1) ?? testName;
  return /^\[([^\]]+)\]/.exec(own)?.[1];
}

interface ListedTest {
  readonly name: string;
  readonly file: string;
}

function listTests(root: string): ListedTest[] {
  let out: string;
  try {
    out = execFileSync('npx', ['vitest', 'list', '--json', '--project', 'main'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    // A test file that fails to import makes the listing fail; show why instead of a stack trace.
    const detail = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr) : String(e);
    process.stderr.write(`rule coverage: \`vitest list\` failed, so the tests could not be collected:\n${detail.split('\n').slice(-30).join('\n')}\n`);
    process.exit(1);
  }
  return JSON.parse(out.slice(out.indexOf('['))) as ListedTest[];
}

export interface Coverage {
  readonly rules: readonly Rule[];
  readonly tests: ReadonlyMap<string, string[]>;
  readonly problems: readonly string[];
}

export function coverage(rules: readonly Rule[], tests: readonly ListedTest[], root: string): Coverage {
  const problems: string[] = [];
  const byId = new Map<string, Rule>();
  for (const r of rules) {
    if (byId.has(r.id)) problems.push(`[${r.id}] is declared twice (${byId.get(r.id)?.chapter} and ${r.chapter})`);
    byId.set(r.id, r);
  }
  const cited = new Map<string, string[]>();
  for (const t of tests) {
    const own = t.name.split(' > ').at(-1) ?? t.name;
    const where = `${t.file.replace(`${root}/`, '')}: "${own}"`;
    const id = citedRule(t.name);
    if (id === undefined) problems.push(`${where} does not start with a [rule.id]`);
    else if (!byId.has(id)) problems.push(`${where} cites [${id}], which no chapter of spec/ declares`);
    else cited.set(id, [...(cited.get(id) ?? []), where]);
  }
  for (const r of rules) {
    const n = cited.get(r.id)?.length ?? 0;
    if (n === 0 && !r.planned && !r.internal) problems.push(`[${r.id}] (spec/${r.chapter}) has no test; write one or declare it *(planned)*`);
  }
  return { rules, tests: cited, problems };
}

// A rule id where an error is made: the first argument of WgfuseError and ConformanceFailure, the rule
// of a harness stage, or a message that starts with `[id]`.
const THROWN = /(?:WgfuseError|ConformanceFailure)\(\s*'([a-z][\w.-]*)'|StageError\([^,]*,\s*'([a-z][\w.-]*)'|(?:threw|hung): '([a-z][\w.-]*)'|[`'"]\[([a-z][a-z0-9]*\.[\w.-]+)\]/g;

/** Every rule id an error is thrown with in the non-test sources, and the files that throw it. */
export function thrownRules(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [path, text] of files) {
    for (const m of text.matchAll(THROWN)) {
      const id = m.slice(1).find((g) => g !== undefined);
      if (id !== undefined && !(found.get(id) ?? []).includes(path)) found.set(id, [...(found.get(id) ?? []), path]);
    }
  }
  return found;
}

/** Problems for thrown rule ids that no chapter declares ([suite.rules.2]). */
export function undeclaredThrown(rules: readonly Rule[], thrown: ReadonlyMap<string, string[]>): string[] {
  const declared = new Set(rules.map((r) => r.id));
  return [...thrown].filter(([id]) => !declared.has(id)).map(([id, where]) => `[${id}] is thrown in ${where.join(', ')} but no chapter of spec/ declares it`);
}

function sourceFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) files.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  for (const top of ['spec', 'reference', 'conformance', 'scripts']) walk(top);
  return files;
}

export function renderIndex(c: Coverage): string {
  const lines = [
    '# Rule index',
    '',
    'Generated by `npm run rules -- --write` from the chapters and the test names; do not edit by hand.',
    '',
    `${c.rules.length} rules: ${c.rules.filter((r) => (c.tests.get(r.id)?.length ?? 0) > 0).length} tested, ${c.rules.filter((r) => r.planned).length} planned.`,
    '',
    '| rule | chapter | tests |',
    '| --- | --- | --- |',
  ];
  for (const r of c.rules) {
    // Sorted: vitest lists files in the order they finish collecting, which varies from run to run.
    const tests = [...(c.tests.get(r.id) ?? [])].sort();
    const cell = tests.length === 0 ? (r.planned ? '*planned*' : r.internal ? '*internal: no input reaches it*' : '**none**') : tests.map((t) => t.replace(/\|/g, '\\|')).join('<br>');
    lines.push(`| \`${r.id}\` | [${r.chapter}](${r.chapter}) | ${cell} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseCli('rules', HELP, { write: { type: 'boolean' }, json: { type: 'boolean' } });
  const root = process.cwd();
  const c = coverage(readRules(join(root, 'spec')), listTests(root), root);
  const index = renderIndex(c);
  const indexPath = join(root, 'spec', 'INDEX.md');
  const problems = [...c.problems, ...undeclaredThrown(c.rules, thrownRules(sourceFiles(root)))];
  if (values.write === true) writeFileSync(indexPath, index);
  else {
    let current = '';
    try {
      current = readFileSync(indexPath, 'utf8');
    } catch {
      // a missing index is reported as stale below
    }
    if (current !== index) problems.push('spec/INDEX.md is stale: run `npm run rules -- --write`');
  }
  const tested = c.rules.filter((r) => (c.tests.get(r.id)?.length ?? 0) > 0).length;
  const planned = c.rules.filter((r) => r.planned);
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ rules: c.rules.length, tested, planned: planned.map((r) => r.id), problems }, null, 2)}\n`);
  } else {
    process.stdout.write(`rule coverage: ${c.rules.length} rules, ${tested} tested, ${planned.length} planned${planned.length > 0 ? ` (${planned.map((r) => r.id).join(', ')})` : ''}\n`);
    for (const p of problems) process.stdout.write(`  ${p}\n`);
  }
  process.exitCode = problems.length > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith('rule-coverage.ts')) await main();

/**
 * The summary `npm test` ends with (spec/capabilities.md [harness.config.2], [harness.ledger.2]): one row per
 * configuration it ran, and the gate ledger's check that every capability a test needs was seen met on one
 * configuration and unmet, with its reason, on another. Pure: scripts/test-configurations.ts reads the files.
 */
import type { AdapterRecord, GateRecord, LedgerRecord } from '../../conformance/harness/ledger.js';
import { formatTable } from './table.js';

/** One vitest project's run: what vitest's json reporter said (undefined when it wrote nothing) and how long it took. */
export interface ConfigurationRun {
  readonly project: string;
  /** Dawn's null backend executes nothing by design: its adapter is expected to be tier validation. */
  readonly validationOnly: boolean;
  readonly seconds: number;
  readonly exitCode: number;
  readonly counts: { readonly passed: number; readonly failed: number; readonly skipped: number } | undefined;
  /** The ledger records its test processes wrote. */
  readonly records: readonly LedgerRecord[];
}

export interface Row {
  readonly project: string;
  readonly configuration: string;
  readonly adapter: string;
  readonly featureLevel: string;
  readonly passed: string;
  readonly failed: string;
  readonly skipped: string;
  readonly wall: string;
  /** `ok`, or why this configuration fails the run. */
  readonly status: string;
}

/**
 * Needs whose unmet side no configuration of `npm test` shows, each with why that is honest. `device` is
 * unmet only on a machine with no WebGPU at all (tier none): there the gate's reason is checked with a
 * played machine ([harness.gate.1]), and CI, which requires an adapter, can never be that machine.
 */
export const SEEN_ONE_WAY: Readonly<Record<string, string>> = {
  device: 'unmet only with no WebGPU at all (tier none), which CI, requiring an adapter, never is; the reason is checked on a played machine ([harness.gate.1])',
  'declared needs': "the implementation under test's own needs, not a capability a test gates on: which adapters meet them depends on the implementation ([interface.needs.1])",
};

/**
 * [harness.config.3] Whether npm test runs wgpu-lavapipe: always in CI, so that a missing lavapipe driver or
 * Deno binary fails that run instead of leaving it out; elsewhere where both are installed.
 */
export function wgpuPlanned(here: { readonly ci: boolean; readonly lavapipe: boolean; readonly deno: boolean }): boolean {
  return here.ci || (here.lavapipe && here.deno);
}

/**
 * The configuration a run is: the one most of its gate decisions were made on. A test may start processes of
 * its own on another adapter (the main job with --backend vulkan, say); their decisions are in the run's
 * ledger under their own configuration, and count in the ledger check, but do not make the run that one.
 */
export function primaryConfiguration(run: ConfigurationRun): string | undefined {
  const counts = new Map<string, number>();
  for (const r of run.records) counts.set(r.configuration, (counts.get(r.configuration) ?? 0) + (r.kind === 'gate' ? 1 : 0));
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The adapters the run's own configuration found (one, unless its processes found different ones). */
function adaptersOf(run: ConfigurationRun): AdapterRecord[] {
  const primary = primaryConfiguration(run);
  const seen = new Map<string, AdapterRecord>();
  for (const r of run.records) if (r.kind === 'adapter' && r.configuration === primary) seen.set(`${r.adapter}|${r.tier}`, r);
  return [...seen.values()];
}

/** Other configurations the run's tests made gate decisions on, from processes they started: `name (n decisions)`. */
export function otherConfigurations(run: ConfigurationRun): string[] {
  const primary = primaryConfiguration(run);
  const counts = new Map<string, number>();
  for (const r of run.records) if (r.kind === 'gate' && r.configuration !== primary) counts.set(r.configuration, (counts.get(r.configuration) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${c} (${n} gate decision${n === 1 ? '' : 's'})`);
}

/** Why `run` fails the run, or undefined: it failed, did not finish, ran no test, or its adapter did not come up. */
export function runProblem(run: ConfigurationRun): string | undefined {
  if (run.counts === undefined) return `vitest wrote no results (exit status ${run.exitCode}): the run did not finish`;
  if (run.counts.failed > 0) return `${run.counts.failed} test(s) failed`;
  if (run.exitCode !== 0) return `vitest exited with status ${run.exitCode}`;
  if (run.counts.passed === 0) return 'no test passed: a configuration that ran nothing judged nothing';
  const adapters = adaptersOf(run);
  if (adapters.length === 0) return 'no test asked for a device: the configuration never came up';
  const wanted = run.validationOnly ? ['validation'] : ['software', 'hardware'];
  const wrong = adapters.filter((a) => !wanted.includes(a.tier));
  if (wrong.length > 0) return `the adapter did not come up as expected: tier ${wrong.map((a) => a.tier).join(', ')} (wanted ${wanted.join(' or ')})`;
  return undefined;
}

export function rowOf(run: ConfigurationRun): Row {
  const adapters = adaptersOf(run);
  const join = (f: (a: AdapterRecord) => string | null): string => [...new Set(adapters.map((a) => f(a) ?? '-'))].join(', ') || '-';
  const c = run.counts;
  return {
    project: run.project,
    configuration: join((a) => a.configuration),
    adapter: join((a) => `${a.adapter} (${a.backend ?? 'none'}, ${a.tier})`),
    featureLevel: join((a) => a.featureLevel),
    passed: c === undefined ? '-' : String(c.passed),
    failed: c === undefined ? '-' : String(c.failed),
    skipped: c === undefined ? '-' : String(c.skipped),
    wall: `${run.seconds.toFixed(0)} s`,
    status: runProblem(run) ?? 'ok',
  };
}

export function formatRows(rows: readonly Row[]): string {
  return formatTable(
    [
      { title: 'configuration', align: 'left' },
      { title: 'project', align: 'left' },
      { title: 'adapter', align: 'left' },
      { title: 'level', align: 'left' },
      { title: 'passed' },
      { title: 'failed' },
      { title: 'skipped' },
      { title: 'wall' },
      { title: 'status', align: 'left' },
    ],
    rows.map((r) => [r.configuration, r.project, r.adapter, r.featureLevel, r.passed, r.failed, r.skipped, r.wall, r.status]),
  );
}

/** Each configuration's adapter features against its device's ([harness.caps.3]). */
export function formatFeatures(runs: readonly ConfigurationRun[]): string[] {
  const lines = runs.flatMap((run) =>
    adaptersOf(run).map((a) => `  ${a.configuration}: adapter features ${a.adapterFeatures.join(', ') || '(none)'}; device features ${a.deviceFeatures.join(', ') || '(none)'}`),
  );
  return [...new Set(lines)];
}

export interface NeedSeen {
  readonly need: string;
  /** Configuration → tests that ran with the need met. */
  readonly met: ReadonlyMap<string, number>;
  /** Configuration → the first skip reason there, and how many tests it skipped. */
  readonly unmet: ReadonlyMap<string, { readonly reason: string; readonly tests: number }>;
}

export function needsSeen(records: readonly LedgerRecord[]): NeedSeen[] {
  const byNeed = new Map<string, { met: Map<string, number>; unmet: Map<string, { reason: string; tests: number }> }>();
  for (const r of records.filter((x): x is GateRecord => x.kind === 'gate')) {
    const entry = byNeed.get(r.need) ?? { met: new Map(), unmet: new Map() };
    byNeed.set(r.need, entry);
    if (r.outcome === 'ran') entry.met.set(r.configuration, (entry.met.get(r.configuration) ?? 0) + 1);
    if (r.outcome === 'skipped') {
      const was = entry.unmet.get(r.configuration);
      entry.unmet.set(r.configuration, { reason: was?.reason ?? r.reason ?? '', tests: (was?.tests ?? 0) + 1 });
    }
  }
  return [...byNeed.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([need, e]) => ({ need, ...e }));
}

/** The word a skip reason must name for `need`: the feature or limit, `loop cap`, `execut`(ing), `llvmpipe`. */
function subjectOf(need: string): string {
  if (need.startsWith('feature ')) return need.slice('feature '.length);
  if (need.startsWith('limit ')) return need.split(' ')[1] ?? need;
  if (need === 'execution') return 'execut';
  if (need === 'llvmpipe adapter') return 'llvmpipe';
  if (need === 'declared needs') return 'declares needs';
  return need;
}

/**
 * [harness.ledger.2] Problems with the ledger: a need seen only met, or only unmet, or met and unmet only on
 * the same configuration (one configuration's verdict never stands in for another's), or skipped with a
 * reason that does not name it or say how to get it.
 */
export function ledgerProblems(seen: readonly NeedSeen[]): string[] {
  const problems: string[] = [];
  for (const s of seen) {
    const exempt = SEEN_ONE_WAY[s.need];
    for (const [configuration, { reason }] of s.unmet) {
      if (!reason.includes(subjectOf(s.need))) problems.push(`[harness.ledger.2] need '${s.need}': the skip reason on ${configuration} does not name '${subjectOf(s.need)}': ${reason}`);
      else if (!/run on|npm run|install|WGFUSE_BACKEND/.test(reason)) problems.push(`[harness.ledger.2] need '${s.need}': the skip reason on ${configuration} does not say how to get it: ${reason}`);
    }
    if (exempt !== undefined) continue;
    if (s.met.size === 0) problems.push(`[harness.ledger.2] need '${s.need}' was never seen met: no configuration ran a test that needs it (unmet on ${[...s.unmet.keys()].join(', ')})`);
    else if (s.unmet.size === 0) problems.push(`[harness.ledger.2] need '${s.need}' was never seen unmet: every configuration had it (${[...s.met.keys()].join(', ')}), so no skip reason for it was seen`);
    else if (![...s.met.keys()].some((m) => [...s.unmet.keys()].some((u) => u !== m))) {
      problems.push(`[harness.ledger.2] need '${s.need}' was met and unmet only on ${[...s.met.keys()].join(', ')}: a second configuration must show the other side`);
    }
  }
  return problems;
}

export function formatLedger(seen: readonly NeedSeen[]): string[] {
  const lines: string[] = [];
  for (const s of seen) {
    const met = [...s.met].map(([c, n]) => `${c} (${n})`).join(', ') || 'nowhere';
    lines.push(`  ${s.need}: met on ${met}${SEEN_ONE_WAY[s.need] === undefined ? '' : `; one way only by design: ${SEEN_ONE_WAY[s.need]}`}`);
    for (const [c, u] of s.unmet) lines.push(`    unmet on ${c} (${u.tests} skipped): ${u.reason}`);
    if (s.unmet.size === 0 && SEEN_ONE_WAY[s.need] === undefined) lines.push('    unmet nowhere');
  }
  return lines;
}

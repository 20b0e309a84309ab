/**
 * The main job's results: one per judging test, checked against an expectations file
 * (spec/expectations.schema.json), and written as the JSON report (spec/report.schema.json). A run
 * passes when every outcome is the one expected of it ([suite.expect.1]).
 */
import { expectationFor } from '../../conformance/harness/expectations.js';
import type { Expectation } from '../../conformance/harness/expectations.js';

export { readExpectations } from '../../conformance/harness/expectations.js';
export type { Expectation } from '../../conformance/harness/expectations.js';

export type Outcome = 'passed' | 'failed' | 'timed out' | 'skipped' | 'not applicable' | 'not judged' | 'not run';

export interface TestResult {
  readonly rule: string;
  readonly title: string;
  readonly file: string;
  readonly outcome: Outcome;
  readonly ms: number;
  /** Cases checked on the device, and how many cases dispatched how many kernels. */
  readonly cases?: number;
  readonly kernels?: Readonly<Record<string, number>>;
  /** Cases set aside, not judged, because the adapter could not run them faithfully ([harness.loopcap.3]). */
  readonly setAside?: number;
  readonly message?: string;
  readonly replay?: string | undefined;
  readonly skipReason?: string;
  /** The failing case as an IR document (spec/ir.schema.json), when the test failed on one. */
  readonly case?: unknown;
}

/** The kernel counts a failure's `fusion.count.1` findings report. */
export function countedKernelsOf(message: string | undefined): number[] {
  return [...(message ?? '').matchAll(/^ {2}FAIL \[fusion\.count\.1\] [^\n]*the harness counted (\d+) dispatch/gm)].map((m) => Number(m[1]));
}

/** The rules a failure message says broke: each `FAIL [rule]` finding, or the rule it starts with. */
export function failedRulesOf(message: string | undefined): string[] {
  if (message === undefined) return [];
  const findings = [...message.matchAll(/^ {2}FAIL \[([^\]]+)\]/gm)].map((m) => m[1] ?? '');
  const first = /^(?:Error: )?\[([^\]]+)\]/.exec(message)?.[1];
  return [...new Set(findings.length > 0 ? findings : first === undefined ? [] : [first])];
}

/** Whether an outcome is the one expected: `as expected`, or what is wrong with it. */
export type Verdict = 'as expected' | 'expected failure' | 'unexpected failure' | 'unexpected pass';

export interface Judged extends TestResult {
  readonly expectation?: Expectation;
  readonly verdict: Verdict;
}

const nameOf = (r: Pick<TestResult, 'rule' | 'title'>): string => `[${r.rule}] ${r.title}`;

/** The expectations that say a test is not to run at all, as one pattern its name must not match. */
export function skipPattern(expectations: readonly Expectation[]): string | undefined {
  const skips = expectations.filter((e) => e.status === 'skip').map((e) => `(?:${e.test})`);
  return skips.length === 0 ? undefined : skips.join('|');
}

/** Each result with the first expectation that names it and whether its outcome is the expected one. */
export function judgeOutcomes(results: readonly TestResult[], expectations: readonly Expectation[]): { judged: Judged[]; unmatched: Expectation[] } {
  const used = new Set<Expectation>();
  const judged = results.map((r): Judged => {
    const e = expectationFor(expectations, nameOf(r));
    if (e !== undefined) used.add(e);
    const failedLike = r.outcome === 'failed' || r.outcome === 'timed out' || r.outcome === 'not run';
    let verdict: Verdict = 'as expected';
    if (e === undefined) verdict = failedLike ? 'unexpected failure' : 'as expected';
    else if (failedLike) {
      const allowed = e.kernels === undefined ? e.failingRules : ['fusion.count.1'];
      const outside = allowed === undefined ? [] : failedRulesOf(r.message).filter((rule) => !allowed.includes(rule));
      const counts = countedKernelsOf(r.message);
      const otherCount = e.kernels !== undefined && (counts.length === 0 || counts.some((n) => n !== e.kernels));
      verdict = (e.status === 'timeout' && r.outcome !== 'timed out') || outside.length > 0 || otherCount ? 'unexpected failure' : 'expected failure';
    }
    else if (r.outcome === 'passed') verdict = 'unexpected pass';
    return { ...r, ...(e === undefined ? {} : { expectation: e }), verdict };
  });
  // A skip entry is used when some test it names was left out; the others matched nothing that ran.
  const unmatched = expectations.filter((e) => !used.has(e) && e.status !== 'skip');
  return { judged, unmatched };
}

export interface Report {
  readonly format: 'wgfuse-report';
  readonly version: 1;
  readonly implementation: { readonly name: string; readonly module: string | null };
  /** The device profile ([interface.needs.3]) and the needs the implementation declared. */
  readonly profile: { readonly name: 'needs' | 'defaults'; readonly declaredNeeds: string };
  readonly seed: number;
  readonly runsPerProperty: number;
  /** The configuration every verdict came from ([harness.config.1]); absent in reports written before it was recorded. */
  readonly configuration?: string;
  readonly adapter: unknown;
  readonly startedAt: string;
  readonly seconds: number;
  readonly expectations: { readonly file: string | null; readonly unmatched: readonly Expectation[] };
  readonly summary: Readonly<Record<Outcome | 'unexpected', number>> & { readonly pass: boolean };
  readonly tests: readonly Judged[];
}

/** Counts by outcome, and whether the run passes: something judged, nothing unexpected, no error. */
export function summarize(judged: readonly Judged[], errors: number): Report['summary'] {
  const count = (o: Outcome): number => judged.filter((j) => j.outcome === o).length;
  const unexpected = judged.filter((j) => j.verdict === 'unexpected failure' || j.verdict === 'unexpected pass').length;
  const judgedAny = count('passed') + count('failed') + count('timed out') > 0;
  return {
    passed: count('passed'),
    failed: count('failed'),
    'timed out': count('timed out'),
    skipped: count('skipped'),
    'not applicable': count('not applicable'),
    'not judged': count('not judged'),
    'not run': count('not run'),
    unexpected,
    pass: judgedAny && unexpected === 0 && errors === 0,
  };
}

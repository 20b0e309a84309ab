import { expectationsFromEnv, expectedFailingRules } from '../harness/expectations.js';
import type { CaseReport, Finding } from './check.js';
import { ConformanceFailure } from './check.js';

/**
 * The failures a property met that its expectations entry names ([suite.expect.3]), tallied over every case
 * it judged: one line per rule and kernel count, with how many cases and the first of them. The property
 * goes on past them, so the other checks are judged on every case, and the test still fails at the end,
 * which is the expected failure, with the counts a report needs.
 */
export class ExpectedFailures {
  private readonly seen = new Map<string, { finding: Finding; cases: number; first: string }>();
  private cases = 0;
  private failing = 0;
  private stopped = 0;

  /** `rules`: the rules the test is expected to fail by; pass them to checkCase as `expectedToFail`. */
  constructor(readonly rules: ReadonlySet<string>) {}

  /** For the test named `name`, from the expectations file the main job named (WGFUSE_EXPECT). */
  static forTest(name: string): ExpectedFailures {
    return new ExpectedFailures(expectedFailingRules(expectationsFromEnv(), name));
  }

  /**
   * Awaits one case's check and tallies it: the failed checks the expectations name (checkCase returned them),
   * or a stage (compile, run, validation) that failed by a rule they name, for which it returns undefined since
   * nothing after the stage could be judged. Any other failure is rethrown, so the property fails on it.
   */
  async judge(check: Promise<CaseReport>, description: string): Promise<CaseReport | undefined> {
    let report: CaseReport;
    try {
      report = await check;
    } catch (e) {
      if (!(e instanceof ConformanceFailure) || e.timedOut || e.findings.length > 0 || !this.rules.has(e.rule)) throw e;
      this.cases += 1;
      this.stopped += 1;
      this.add([{ rule: e.rule, check: 'stage', ok: false, detail: e.summary.replace(/^\[[^\]]*\] /, '').split('\n')[0] ?? '' }], description);
      return undefined;
    }
    this.cases += 1;
    this.add(report.expectedFailures, description);
    return report;
  }

  private add(failures: readonly Finding[], description: string): void {
    if (failures.length === 0) return;
    this.failing += 1;
    const keys = new Set<string>();
    for (const f of failures) {
      // Kernel counts stay apart (a report lists each count seen); other checks are one line per rule.
      const key = `${f.rule} ${/the harness counted (\d+) dispatch/.exec(f.detail)?.[1] ?? ''}`;
      if (keys.has(key)) continue;
      keys.add(key);
      const entry = this.seen.get(key);
      if (entry === undefined) this.seen.set(key, { finding: f, cases: 1, first: description });
      else entry.cases += 1;
    }
  }

  /** The test's failure when some case failed as expected; undefined when every case passed. */
  failure(implName: string): ConformanceFailure | undefined {
    const entries = [...this.seen.values()];
    const first = entries[0];
    if (first === undefined) return undefined;
    const cases = this.cases;
    const rules = [...new Set(entries.map((e) => e.finding.rule))].join(', ');
    const lines = entries.map(({ finding, cases: n, first: example }) => `  FAIL [${finding.rule}] ${finding.check.replace(/ \(run .*\)$/, '')}: ${finding.detail} — ${n} case(s), the first: ${example}`);
    return new ConformanceFailure(
      first.finding.rule,
      `${implName}: ${this.failing} of ${cases} case(s) failed, each only by rules its expectations name (${rules}); ` +
        `${this.stopped === 0 ? `every other check held on all ${cases}` : `every other check held on the ${cases - this.stopped} that ran past their stages (${this.stopped} stopped at one)`}\n${lines.join('\n')}`,
      { findings: entries.map((e) => e.finding) },
    );
  }
}

import type { Finding } from './check.js';
import { ConformanceFailure } from './check.js';

/**
 * The failures a property met that its expectations entry names ([suite.expect.3]), tallied over every case
 * it judged: one line per rule and kernel count, with how many cases and the first of them. The property
 * goes on past them, so the other checks are judged on every case, and the test still fails at the end,
 * which is the expected failure, with the counts a report needs.
 */
export class ExpectedFailures {
  private readonly seen = new Map<string, { finding: Finding; cases: number; first: string }>();
  private failing = 0;
  private stopped = 0;

  /** A case's failed checks that its expectations name (CaseReport.expectedFailures). */
  add(failures: readonly Finding[], description: string): void {
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

  /**
   * A case that failed a stage (compile, run, validation) by a rule the expectations name: the stage's
   * failure is its one finding, since nothing after the stage could be judged.
   */
  addStage(failure: ConformanceFailure, description: string): void {
    const detail = failure.summary.replace(/^\[[^\]]*\] /, '').split('\n')[0] ?? '';
    this.add([{ rule: failure.rule, check: 'stage', ok: false, detail }], description);
    this.stopped += 1;
  }

  /** The test's failure when some case failed as expected; undefined when every case passed. */
  failure(implName: string, cases: number): ConformanceFailure | undefined {
    const entries = [...this.seen.values()];
    const first = entries[0];
    if (first === undefined) return undefined;
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

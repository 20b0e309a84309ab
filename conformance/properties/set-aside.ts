import { CaseSetAside } from '../harness/loop-cap.js';

/**
 * The cases a property set aside as not judgeable on this adapter ([harness.loopcap.3]), tallied like
 * ExpectedFailures tallies expected failures: one line per kind of call that set cases aside, with how many
 * and the first reason. Counted rather than discarded with fc.pre: a discard is invisible in the verdict and
 * makes fast-check draw other values, so a run would say "200 cases" when the large ones were never judged,
 * and a shrink would wander past cases it cannot judge without saying so. Counted, every set-aside case is
 * named in the property's line, and a property that judged none of its cases does not pass.
 */
export class SetAsideCases {
  private readonly seen = new Map<string, { cases: number; first: CaseSetAside }>();
  private judgedCases = 0;
  private setAsideCases = 0;

  /** Awaits one case's check: a CaseSetAside is tallied and gives undefined; anything else counts as judged. */
  async judge<T>(check: Promise<T>): Promise<T | undefined> {
    try {
      const report = await check;
      this.judgedCases += 1;
      return report;
    } catch (e) {
      if (!(e instanceof CaseSetAside)) {
        this.judgedCases += 1;
        throw e;
      }
      this.setAsideCases += 1;
      const entry = this.seen.get(e.semantics);
      if (entry === undefined) this.seen.set(e.semantics, { cases: 1, first: e });
      else entry.cases += 1;
      return undefined;
    }
  }

  get count(): number {
    return this.setAsideCases;
  }

  get judged(): number {
    return this.judgedCases;
  }

  /** "3 of 10 case(s) set aside, not judged: ..." with one line per kind, or undefined when none was. */
  summary(): string | undefined {
    if (this.setAsideCases === 0) return undefined;
    const total = this.setAsideCases + this.judgedCases;
    const lines = [...this.seen.entries()].map(([what, { cases, first }]) => `  set aside [${first.rule}] ${what}: ${cases} case(s), the first: ${first.description}: ${first.reason.replace(/^\[[^\]]*\] /, '')}`);
    return `[harness.loopcap.3] ${this.setAsideCases} of ${total} case(s) set aside, not judged:\n${lines.join('\n')}`;
  }

  /** Why the property judged nothing when every case was set aside; undefined when it judged some, or had none. */
  nothingJudged(property: string): string | undefined {
    if (this.judgedCases > 0 || this.setAsideCases === 0) return undefined;
    return `[harness.loopcap.3] ${property}: every one of its ${this.setAsideCases} case(s) was set aside, so nothing was judged: not a pass. ${this.summary() ?? ''}`;
  }
}

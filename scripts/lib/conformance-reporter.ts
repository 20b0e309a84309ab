/**
 * The main job's vitest reporter: one result per judging test, with the outcome the report shows. A pass
 * that never called the implementation judged nothing; a stage that timed out is no verdict on the
 * results; a test left without a result when its file ended was cut off by its process stopping (a crash,
 * an abort, or the watchdog), and the tests after it in that file did not run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { SerializedError } from 'vitest';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { readStallReports } from '../../conformance/harness/watchdog.js';
import type { TestResult } from './results.js';

function ruleOf(name: string): [string, string] {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(name);
  return m === null ? ['(no rule)', name] : [m[1] ?? '', m[2] ?? ''];
}

export class ConformanceReporter implements Reporter {
  readonly results: TestResult[] = [];
  errors: readonly SerializedError[] = [];

  constructor(private readonly watchdogDir: string) {}

  onTestCaseResult(test: TestCase): void {
    const result = test.result();
    // Left out by --filter or by an expected skip: not part of this run.
    if (result.state === 'skipped' && test.options.mode !== 'run') return;
    const [rule, title] = ruleOf(test.name);
    const message = result.state === 'failed' ? result.errors.map((e) => e.message).join('\n') : undefined;
    const timedOut = result.state === 'failed' && result.errors.some((e) => /\] TIMEOUT \(no verdict/.test(e.message));
    const notApplicable = result.state === 'skipped' && (result.note ?? '').startsWith('not applicable');
    const outcome = result.state === 'passed' && (test.meta().implementationCalls ?? 0) === 0 ? 'not judged' : timedOut ? 'timed out' : notApplicable ? 'not applicable' : result.state === 'pending' ? 'not run' : result.state;
    const stats = test.meta().wgfuse;
    this.results.push({
      rule,
      title,
      file: test.module.relativeModuleId,
      outcome,
      ms: test.diagnostic()?.duration ?? 0,
      ...(stats === undefined ? {} : { cases: stats.cases, kernels: stats.fusedKernels }),
      ...(stats?.setAside === undefined || stats.setAside === 0 ? {} : { setAside: stats.setAside }),
      ...(message === undefined ? {} : { message, replay: /^replay: (.*)$/m.exec(message)?.[1] }),
      ...(result.state === 'skipped' ? { skipReason: result.note ?? 'skipped' } : {}),
      ...(result.state === 'failed' && test.meta().failingCase !== undefined ? { case: test.meta().failingCase } : {}),
    });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>): void {
    for (const m of modules) this.cutOff(m);
    this.errors = errors;
  }

  private cutOff(module: TestModule): void {
    let first = true;
    for (const test of module.children.allTests()) {
      if (test.options.mode !== 'run' || test.result().state !== 'pending') continue;
      const [rule, title] = ruleOf(test.name);
      const message = first
        ? `the test process stopped during this test (the implementation crashed, aborted, or blocked its event loop and the watchdog stopped it)${this.stallOf(test.name)}`
        : 'not run: the test process running this file had stopped at an earlier test';
      this.results.push({ rule, title, file: module.relativeModuleId, outcome: first ? 'failed' : 'not run', ms: 0, message });
      first = false;
    }
  }

  /** What the watchdog reported of a stalled test, if it did. */
  private stallOf(name: string): string {
    const stall = readStallReports(this.watchdogDir, (p) => readFileSync(p, 'utf8'), (d) => readdirSync(d)).find((r) => r.test.endsWith(name));
    return stall === undefined ? '' : `: [interface.run.2] the event loop was blocked for ${stall.blockedMs} ms${stall.stage === '' ? '' : ` in ${stall.stage}`}`;
  }
}

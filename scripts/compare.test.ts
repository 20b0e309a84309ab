import { describe, expect, test } from 'vitest';
import { compareReports, renderCompareMarkdown } from './lib/compare.js';
import type { Judged, Report } from './lib/results.js';

// wgfuse compare, on synthetic reports.

function report(name: string, tests: Judged[]): Report {
  return {
    format: 'wgfuse-report',
    version: 1,
    implementation: { name, module: null },
    profile: { name: 'needs', declaredNeeds: 'none' },
    seed: 1,
    runsPerProperty: 1,
    adapter: null,
    startedAt: '2026-12-06T00:00:00Z',
    seconds: 1,
    expectations: { file: null, unmatched: [] },
    summary: { passed: 0, failed: 0, 'timed out': 0, skipped: 0, 'not applicable': 0, 'not judged': 0, 'not run': 0, unexpected: 0, pass: true },
    tests,
  };
}
const t = (rule: string, outcome: Judged['outcome'], verdict: Judged['verdict'], extra: Partial<Judged> = {}): Judged => ({ rule, title: 'x', file: 'f', outcome, ms: 1, verdict, ...extra });

describe('compare', () => {
  test('[suite.report.3] reports side by side: a row per rule, the worst outcome of its tests per implementation, expected failures with their reason, kernel counts', () => {
    const table = compareReports([
      report('reference', [t('fusion.chain.1', 'passed', 'as expected', { kernels: { '1': 200 } }), t('shapes.dynamic.2', 'passed', 'as expected')]),
      report('peer', [
        t('fusion.chain.1', 'failed', 'expected failure', { kernels: { '2': 3 }, expectation: { test: 'fusion', status: 'fail', reason: 'matmul prologues are materialized' } }),
        t('fusion.chain.1', 'passed', 'as expected'),
        t('shapes.dynamic.2', 'not applicable', 'as expected'),
        t('templates.matmul.ragged', 'failed', 'unexpected failure'),
      ]),
    ]);
    expect(table.rules).toEqual(['fusion.chain.1', 'shapes.dynamic.2', 'templates.matmul.ragged']);
    expect(renderCompareMarkdown(table)).toBe(
      [
        '| rule | reference | peer |',
        '| --- | --- | --- |',
        '| `fusion.chain.1` | pass (1k×200) | expected fail (2k×3) [1] |',
        '| `shapes.dynamic.2` | pass | n/a |',
        '| `templates.matmul.ragged` | — | FAIL |',
        '',
        '[1] matmul prologues are materialized',
        '',
      ].join('\n'),
    );
  });
});

import { describe, expect, test } from 'vitest';
import { judgeOutcomes, readExpectations, skipPattern, summarize } from './lib/results.js';
import type { Expectation, TestResult } from './lib/results.js';

// Expectations files and outcome verdicts, on synthetic results.

const result = (rule: string, outcome: TestResult['outcome'], title = 'something'): TestResult => ({ rule, title, file: 'f.test.ts', outcome, ms: 1 });

describe('expectations', () => {
  test('[suite.expect.2] a malformed expectations file is refused, naming the file, the entry and the field', () => {
    const read = (doc: unknown): (() => unknown) => () => readExpectations(typeof doc === 'string' ? doc : JSON.stringify(doc), 'peer.json');
    expect(read('{ "expectations": [')).toThrow(/^\[suite\.expect\.2\] peer\.json: not JSON: /);
    expect(read({})).toThrow("[suite.expect.2] peer.json: (the document): must have required property 'expectations'");
    expect(read({ expectations: [{ test: 'x', status: 'fail' }] })).toThrow("[suite.expect.2] peer.json: expectations[0]: must have required property 'reason'");
    expect(read({ expectations: [{ test: 'x', status: 'broken', reason: 'r' }] })).toThrow('[suite.expect.2] peer.json: expectations[0].status: must be equal to one of the allowed values');
    expect(read({ expectations: [{ test: 'x', status: 'fail', reason: 'r', why: 'no' }] })).toThrow("[suite.expect.2] peer.json: expectations[0]: must NOT have additional properties 'why'");
    expect(read({ expectations: [{ test: 'x', status: 'fail', reason: 'r' }, { test: '[', status: 'fail', reason: 'r' }] })).toThrow(/^\[suite\.expect\.2\] peer\.json: expectations\[1\]\.test: not a regular expression: /);
    expect(read({ expectations: [{ test: 'fusion', status: 'fail', reason: 'fuses nothing' }] })()).toEqual([{ test: 'fusion', status: 'fail', reason: 'fuses nothing' }]);
  });

  test('[suite.expect.1] outcomes are judged against the first matching entry: expected failures pass the run, unexpected failures and passes fail it, unmatched entries are named', () => {
    const expectations: Expectation[] = [
      { test: '^\\[fusion\\.count\\.1\\]', status: 'fail', reason: 'fuses only bias and activation' },
      { test: 'matmul', status: 'timeout', reason: 'first run compiles for minutes' },
      { test: 'never matches', status: 'fail', reason: 'stale' },
      { test: 'softmax', status: 'skip', reason: 'no softmax kernel' },
    ];
    const { judged, unmatched } = judgeOutcomes(
      [result('fusion.count.1', 'failed'), result('fusion.count.1', 'passed'), result('numerics.oracle.1', 'failed'), result('shapes.guard.1', 'passed'), result('templates.matmul.ragged', 'timed out', 'matmul ragged')],
      expectations,
    );
    expect(judged.map((j) => j.verdict)).toEqual(['expected failure', 'unexpected pass', 'unexpected failure', 'as expected', 'expected failure']);
    expect(unmatched.map((e) => e.test)).toEqual(['never matches']);
    expect(skipPattern(expectations)).toBe('(?:softmax)');
    expect(summarize(judged, 0)).toMatchObject({ unexpected: 2, pass: false });
    expect(summarize(judged.filter((j) => j.verdict === 'expected failure' || j.verdict === 'as expected'), 0).pass).toBe(true);
  });

  test('[suite.expect.1] an entry with failingRules expects a failure by those rules only: a failure by another rule is unexpected', () => {
    const countOnly: Expectation[] = [{ test: 'fusion', status: 'fail', reason: 'one kernel per op', failingRules: ['fusion.count.1'] }];
    const byCount = { ...result('fusion.chain.1', 'failed'), message: '[fusion.count.1] x: 2 failed checks on case: c\n  FAIL [fusion.count.1] kernel count (run 1): 4 kernels\n  FAIL [fusion.count.1] kernel count (run 2): 4 kernels\n  held: …' };
    const byNumbers = { ...byCount, message: `${byCount.message}\n  FAIL [numerics.oracle.1] numerics (run 1): wrong` };
    expect(judgeOutcomes([byCount, byNumbers], countOnly).judged.map((j) => j.verdict)).toEqual(['expected failure', 'unexpected failure']);
  });

  test('[suite.expect.1] an entry with kernels expects the count to differ from the spec\'s in just that way: another count, or another broken rule, is unexpected', () => {
    const four: Expectation[] = [{ test: 'seed', status: 'fail', reason: 'one kernel per op', kernels: 4 }];
    const counted = (n: number, extra = ''): TestResult => ({
      ...result('fusion.prologue.1', 'failed', 'the seed'),
      message: `[fusion.count.1] x: 2 failed checks on case: c\n  FAIL [fusion.count.1] kernel count (run 1): expected 1 kernel(s), the harness counted ${n} dispatch(es) of ${n} pipeline(s)${extra}`,
    });
    const verdicts = judgeOutcomes([counted(4), counted(3), counted(4, '\n  FAIL [numerics.oracle.1] numerics (run 1): wrong')], four).judged.map((j) => j.verdict);
    expect(verdicts).toEqual(['expected failure', 'unexpected failure', 'unexpected failure']);
  });

  test('[suite.cli.2] a run with nothing judged, or with an error outside the tests, does not pass', () => {
    expect(summarize([{ ...result('fusion.count.1', 'not judged'), verdict: 'as expected' }], 0).pass).toBe(false);
    expect(summarize([{ ...result('fusion.count.1', 'passed'), verdict: 'as expected' }], 1).pass).toBe(false);
    expect(summarize([{ ...result('fusion.count.1', 'passed'), verdict: 'as expected' }], 0).pass).toBe(true);
  });
});

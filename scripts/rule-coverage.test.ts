import { describe, expect, test } from 'vitest';
import { coverage, thrownRules, undeclaredThrown } from './rule-coverage.js';
import type { Rule } from './rule-coverage.js';

// The rule-coverage check that `npm test` runs, on small synthetic inputs.

const rule = (id: string, marker: 'planned' | 'internal' | undefined = undefined): Rule => ({ id, chapter: 'x.md', planned: marker === 'planned', internal: marker === 'internal', text: '' });

describe('rule coverage', () => {
  test('[suite.rules.1] a test citing an undeclared rule, a test citing none and a rule without a test are each reported; planned and internal rules need no test', () => {
    const rules = [rule('a.b.1'), rule('a.b.2'), rule('a.b.3', 'planned'), rule('a.b.4', 'internal')];
    const tests = [
      { name: 'd > [a.b.1] does a', file: '/r/t.test.ts' },
      { name: 'd > [a.z.9] cites nothing declared', file: '/r/t.test.ts' },
      { name: 'd > no rule at all', file: '/r/t.test.ts' },
    ];
    expect(coverage(rules, tests, '/r').problems).toEqual([
      't.test.ts: "[a.z.9] cites nothing declared" cites [a.z.9], which no chapter of spec/ declares',
      't.test.ts: "no rule at all" does not start with a [rule.id]',
      '[a.b.2] (spec/x.md) has no test; write one or declare it *(planned)*',
    ]);
  });

  test('[suite.rules.2] a rule id an error is thrown with must be declared, whichever way the error is made', () => {
    const files = new Map([
      ['reference/a.ts', "throw new WgfuseError('a.b.1', 'x');\nthrow new WgfuseError('c.d.1', `y`);"],
      ['conformance/b.ts', "throw new ConformanceFailure('e.f.1', 'z');\nstaged('run', { threw: 'g.h.1', hung: 'g.h.2' }, 'run()', f);\nthrow new Error('[i.j.1] generator: no op');"],
    ]);
    const thrown = thrownRules(files);
    expect([...thrown.keys()].sort()).toEqual(['a.b.1', 'c.d.1', 'e.f.1', 'g.h.1', 'g.h.2', 'i.j.1']);
    expect(undeclaredThrown([rule('a.b.1'), rule('e.f.1'), rule('g.h.1'), rule('g.h.2'), rule('i.j.1')], thrown)).toEqual([
      "[c.d.1] is thrown in reference/a.ts but no chapter of spec/ declares it",
    ]);
  });
});

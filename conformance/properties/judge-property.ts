/**
 * Judges the implementation under test with one of the random properties of random-properties.ts: the
 * same entry `npm run fuzz` runs, so the two cannot drift. Every case gets the full check of
 * check.ts; a failure throws the shrunk case's report with the command that replays it.
 */
import type { TestContext } from 'vitest';
import type { Implementation } from '../../spec/implementation.js';
import { expectationsFromEnv, expectedFailingRules } from '../harness/expectations.js';
import { dataVariants } from '../generators/built-case.js';
import { gate } from '../harness/gates.js';
import { checkCase, ConformanceFailure } from './check.js';
import { ExpectedFailures } from './expected-failures.js';
import { formatPropertyFailure, propertySettings } from './params.js';
import type { RandomProperty } from './random-properties.js';
import { countedCase, newStats } from './stats.js';

export async function judgeRandomProperty(property: RandomProperty, impl: Implementation, ctx: TestContext): Promise<void> {
  const gpu = await gate(ctx, { execution: true });
  const settings = propertySettings();
  const numRuns = Math.max(1, Math.round(settings.numRuns * property.weight));
  const stats = newStats();
  const t0 = performance.now();
  // After a stage timed out, shrinking would wait out the timeout once per candidate: the remaining
  // candidates pass at once, so the case that timed out is the one reported.
  let timedOut = false;
  // Rules this implementation's expectations say the test fails by: a case failing only by them is tallied,
  // not thrown, so every case still gets every other check ([suite.expect.3]).
  const expectedToFail = expectedFailingRules(expectationsFromEnv(), ctx.task.name);
  const expected = new ExpectedFailures();
  const run = await property.run(
    async (build) => {
      if (timedOut) return;
      const built = build();
      const moreData = dataVariants(built, settings.dataVariants);
      try {
        const report = await countedCase(stats, checkCase(impl, { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount }, gpu, { execute: true, expectedToFail, moreData }));
        expected.add(report.expectedFailures, built.description);
      } catch (e) {
        if (e instanceof ConformanceFailure && e.timedOut) timedOut = true;
        // A stage that failed by a rule the expectations name is tallied like a failed check ([suite.expect.3]).
        if (e instanceof ConformanceFailure && !e.timedOut && e.findings.length === 0 && expectedToFail.has(e.rule)) {
          expected.addStage(e, built.description);
          stats.cases += 1;
        } else throw e;
      }
    },
    { seed: settings.seed, numRuns: settings.path === undefined ? numRuns : 1, withExamples: true, ...(settings.path === undefined ? {} : { path: settings.path }) },
  );
  stats.ms = performance.now() - t0;
  ctx.task.meta.wgfuse = stats;
  if (run.failed) {
    const report = `fast-check: ${run.numRuns} case(s) run, shrunk ${run.numShrinks} time(s), seed ${run.seed}, path ${run.counterexamplePath ?? ''}`;
    throw formatPropertyFailure(property.testTitle, property.testFile, { seed: run.seed, path: run.counterexamplePath, error: run.error, report });
  }
  const failure = expected.failure(impl.name, stats.cases);
  if (failure !== undefined) throw failure;
  console.log(`[${property.rule}] ${property.name}: ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s, ${((1000 * stats.cases) / stats.ms).toFixed(1)} cases/s`);
}

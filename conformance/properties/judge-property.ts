/**
 * Judges the implementation under test with one of the random properties of random-properties.ts: the
 * same entry `npm run fuzz` runs, so the two cannot drift. Every case gets the full check of
 * check.ts; a failure throws the shrunk case's report with the command that replays it.
 */
import type { TestContext } from 'vitest';
import type { Implementation } from '../../spec/implementation.js';
import { dataVariants } from '../generators/built-case.js';
import { gate } from '../harness/gates.js';
import { checkCase, ConformanceFailure, oneKernel } from './check.js';
import { ExpectedFailures } from './expected-failures.js';
import { formatPropertyFailure, propertySettings } from './params.js';
import { SetAsideCases } from './set-aside.js';
import type { RandomProperty } from './random-properties.js';
import { countedCase, newStats } from './stats.js';

export async function judgeRandomProperty(property: RandomProperty, impl: Implementation, ctx: TestContext): Promise<void> {
  const gpu = await gate(ctx, property.needs);
  const settings = propertySettings();
  const numRuns = Math.max(1, Math.round(settings.numRuns * property.weight));
  const stats = newStats();
  const t0 = performance.now();
  // After a stage timed out, shrinking would wait out the timeout once per candidate: the remaining
  // candidates pass at once, so the case that timed out is the one reported.
  let timedOut = false;
  // A case failing only by the rules this implementation's expectations name is tallied, not thrown, so
  // every case still gets every other check ([suite.expect.3]).
  const expected = ExpectedFailures.forTest(ctx.task.name);
  // A case past the adapter's loop cap is not judged: tallied and reported, never a pass ([harness.loopcap.3]).
  const setAside = new SetAsideCases();
  const run = await property.run(
    async (build) => {
      if (timedOut) return;
      const built = build();
      const moreData = dataVariants(built, settings.dataVariants);
      const check = countedCase(stats, checkCase(impl, oneKernel(built), gpu, { execute: true, expectedToFail: expected.rules, moreData }));
      const asideBefore = setAside.count;
      const report = await setAside.judge(expected.judge(check, built.description)).catch((e: unknown) => {
        if (e instanceof ConformanceFailure && e.timedOut) timedOut = true;
        throw e;
      });
      // Stopped at a stage, as expected: a case judged, with no kernels to count.
      if (report === undefined && setAside.count === asideBefore) stats.cases += 1;
    },
    { seed: settings.seed, tier: settings.tier, numRuns: settings.path === undefined ? numRuns : 1, withExamples: true, ...(settings.path === undefined ? {} : { path: settings.path }) },
  );
  stats.ms = performance.now() - t0;
  stats.setAside = setAside.count;
  ctx.task.meta.wgfuse = stats;
  if (run.failed) {
    const report = `fast-check: ${run.numRuns} case(s) run, shrunk ${run.numShrinks} time(s), seed ${run.seed}, path ${run.counterexamplePath ?? ''}`;
    throw formatPropertyFailure(property.testTitle, property.testFile, { seed: run.seed, path: run.counterexamplePath, error: run.error, report });
  }
  const failure = expected.failure(impl.name);
  if (failure !== undefined) throw failure;
  // Nothing judged is not a pass: skipped with the reason, like a test whose needs the adapter cannot meet.
  const nothing = setAside.nothingJudged(`property ${property.name}`);
  if (nothing !== undefined) ctx.skip(nothing);
  const aside = setAside.summary();
  console.log(`[${property.rule}] ${property.name}: ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s, ${((1000 * stats.cases) / stats.ms).toFixed(1)} cases/s${aside === undefined ? '' : `; ${aside}`}`);
}

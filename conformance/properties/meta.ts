import fc from 'fast-check';
import type { Implementation } from '../../spec/implementation.js';
import type { BuiltCase } from '../generators/built-case.js';
import type { Gpu } from '../harness/device.js';
import { CaseSetAside } from '../harness/loop-cap.js';
import { checkCase, ConformanceFailure, oneKernel } from './check.js';
import { envVar } from '../harness/runtime.js';
import { RANDOM_PROPERTIES } from './random-properties.js';
import type { PropertyName } from './random-properties.js';

/** A judging check as the meta-tests drive it: random values and what judging one means, with a case budget. */
export interface CatchingCheck {
  readonly runs: number;
  readonly arbitrary: fc.Arbitrary<unknown>;
  judge(impl: Implementation, value: unknown, gpu: Gpu): Promise<unknown>;
}

/** One of the random properties as a catching check: the property's own draws, each built as the judging test builds it. */
export function randomCheck(name: PropertyName, runs: number): CatchingCheck {
  const arbitrary = RANDOM_PROPERTIES[name].cases();
  // A case set aside as not judgeable ([harness.loopcap.2], [gen.space.2]) neither catches a fault nor fails the unmodified reference.
  const judge = (impl: Implementation, value: unknown, gpu: Gpu): Promise<unknown> =>
    checkCase(impl, oneKernel((value as { build(): BuiltCase }).build()), gpu, { execute: true }).catch((e: unknown) => {
      if (e instanceof CaseSetAside) return undefined;
      throw e;
    });
  return { runs, arbitrary, judge };
}

/**
 * The meta-tests' seed: fixed unless WGFUSE_META_SEED says otherwise, so whether a planted fault is
 * caught does not depend on the run.
 */
export const META_SEED = Number(envVar('WGFUSE_META_SEED') ?? 20261126);

/**
 * Runs `check` on generated values, with the meta seed, until one fails, and returns the rule that broke.
 * Throws when none failed (the planted fault survived) or when the failure was not a broken rule.
 */
export async function ruleThatCatches<T>(who: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<unknown>, numRuns: number): Promise<string> {
  const details = await fc.check(fc.asyncProperty(arbitrary, async (value: T) => { await check(value); }), { seed: META_SEED, numRuns, endOnFailure: true });
  if (!details.failed) throw new Error(`${who} survived ${details.numRuns} cases (meta seed ${META_SEED})`);
  const error = details.errorInstance;
  if (!(error instanceof ConformanceFailure)) throw new Error(`${who} failed, but not by a broken rule: ${String(error)}`);
  console.log(`${who}: caught after ${details.numRuns} case(s) by [${error.rule}]`);
  return error.rule;
}

/**
 * The control of a meta-test: the same check passes on the same cases with the unmodified
 * implementation, so a harness that fails everything cannot pass the meta-tests.
 */
export async function passesOnSameCases<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<unknown>, numRuns: number): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arbitrary, async (value: T) => { await check(value); }), { seed: META_SEED, numRuns });
  if (details.failed) throw new Error(`the unmodified implementation failed the meta-tests' cases: ${String(details.errorInstance)}`);
}

import type { Implementation } from '../../spec/implementation.js';

/**
 * Which judging check a planted fault is run against: one of the random properties of
 * conformance/properties/random-properties.ts, the named patterns, the dynamic-shape and rank-change
 * properties, or the harness's stage checks.
 */
export type Catcher = 'fusion' | 'pointwise' | 'matmul' | 'softmax' | 'rmsnorm' | 'f16' | 'f16-reduction' | 'dtype-change' | 'core-limits' | 'patterns' | 'shape-change' | 'rank-change' | 'interface';

/**
 * A deliberately broken implementation planting one fault class seen in real fusion compilers
 * (spec/suite.md [meta.mutant.*]). conformance/selftest/faults.test.ts runs its catcher against it through
 * the same interface as any other implementation and expects one of `caughtBy` to break; a check that
 * lets it pass cannot fail and is a defect.
 */
export interface PlantedFault {
  readonly name: string;
  /** What is wrong, in words. */
  readonly fault: string;
  readonly catcher: Catcher;
  /** The rules that may catch it; any other failure is a defect of the suite. */
  readonly caughtBy: readonly string[];
  readonly implementation: Implementation;
}

/**
 * The random properties that judge an implementation, declared once: the judging tests under
 * conformance/judge/ declare their vitest tests from this table, and `npm run fuzz` runs the same
 * entries, so a seed and path found by a campaign replay in the test (after the path shift below).
 */
import fc from 'fast-check';
import { buildFusionCase, buildPointwiseCase, fusionCaseArbitrary, pointwiseCaseArbitrary, SEED_CASE } from '../generators/fusion-case.js';
import type { BuiltCase } from '../generators/fusion-case.js';
import { buildMatmulCase, matmulCaseArbitrary } from '../generators/matmul-case.js';
import { buildReductionCase, reductionCaseArbitrary, SOFTMAX_SEED_CASE } from '../generators/reduction-case.js';
import { escapeRegExp, shellQuote } from './params.js';
import type { Needs } from '../harness/gates.js';
import { F16_SEED_CASE, f16FusionCaseArbitrary, f16ReductionCaseArbitrary } from '../generators/f16-case.js';
import { buildCoreCase, coreCaseArbitrary } from '../generators/core-limits.js';

/** What every property needs: a device that executes kernels. */
const EXECUTION: Needs = { execution: true };
/** Workgroups past 128 invocations need a device that grants 256 ([codegen.limits.core]). */
const CORE_NEEDS: Needs = { execution: true, limit: ['maxComputeInvocationsPerWorkgroup', 256] };
/** f16 tensors need the shader-f16 feature ([codegen.f16.1]). */
const F16_NEEDS: Needs = { execution: true, feature: 'shader-f16' };

export const PROPERTY_NAMES = ['fusion', 'pointwise', 'matmul', 'softmax', 'rmsnorm', 'f16', 'f16-reduction', 'core-limits'] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

export function isPropertyName(value: unknown): value is PropertyName {
  return PROPERTY_NAMES.some((p) => p === value);
}

/** What a campaign needs back from one fc.check, without the property's value type. */
export interface PropertyRun {
  readonly failed: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly seed: number;
  /** The shrunk failing value (the property's single argument), when failed. */
  readonly counterexample: unknown;
  readonly counterexamplePath: string | undefined;
  /** What the shrunk case threw. */
  readonly error: unknown;
}

/**
 * Which draws a property makes ([gen.large.1]): 'ci', what the judging tests run; 'campaign', the same
 * plus, one case in 50, sizes past 65535 workgroups, rows or loop trips (too slow for every CI run).
 * Fuzz campaigns draw the campaign tier.
 */
export type Tier = 'ci' | 'campaign';
export const TIERS: readonly Tier[] = ['ci', 'campaign'];

export interface RunParams {
  readonly seed: number;
  /** Default 'ci'. */
  readonly tier?: Tier;
  readonly numRuns: number;
  /** Replays from this path (fast-check's `path`), running numRuns values from there. */
  readonly path?: string;
  /** Stop at the first failure without shrinking: a replay must judge exactly the stored case. */
  readonly endOnFailure?: boolean;
  /** Run the property's examples first, as the vitest test does. */
  readonly withExamples?: boolean;
}

export interface RandomProperty {
  readonly name: PropertyName;
  /** The spec rule the vitest test names. */
  readonly rule: string;
  readonly testFile: string;
  /** The vitest test's full title, as conformance/judge/fusion.test.ts declares it from this table. */
  readonly testTitle: string;
  /** Examples the vitest test runs before its random cases; fast-check counts them in a path's first index. */
  readonly testExamples: number;
  /** Cases per run relative to WGFUSE_NUM_RUNS (default 200): a matmul case costs about 4 elementwise ones. */
  readonly weight: number;
  /** What the device must have (the judging test's gate; a campaign skips the property without it). */
  readonly needs: Needs;
  /**
   * The value fast-check generates at `path` for `seed`, and its case. A replay judges this once rather
   * than calling fc.check with the path: given a shrink path, fast-check 4 ignores numRuns and, when
   * the value passes, goes on through the shrink candidates after it.
   */
  caseAt(seed: number, path: string, tier?: Tier): { readonly value: unknown; build(): BuiltCase };
  /** The property's values, each with its case: the same draws as `run` makes, for the meta-tests. */
  cases(tier?: Tier): fc.Arbitrary<{ readonly value: unknown; build(): BuiltCase }>;
  /**
   * Builds a value as stored (a replay file's `case`): plain data of the property's case type, which
   * build() checks as it traces. For replaying a case the current arbitraries no longer generate.
   */
  buildValue(value: unknown): BuiltCase;
  /**
   * fc.check of the property, with `check` judging each generated value. `build` traces its case: inside
   * `check`, so a case that fails to build is seen by `check` like one that fails to run.
   */
  run(check: (build: () => BuiltCase, value: unknown) => Promise<void>, params: RunParams): Promise<PropertyRun>;
}

interface PropertySpec<T> extends Omit<RandomProperty, 'run' | 'caseAt' | 'cases' | 'testExamples' | 'buildValue'> {
  /** The small cases; `large`, if given, the campaign tier's rare large ones. */
  readonly arbitrary: () => fc.Arbitrary<T>;
  readonly large?: () => fc.Arbitrary<T>;
  readonly examples: readonly T[];
  readonly build: (value: T) => BuiltCase;
}

// The value type stays inside this closure, so a table of properties needs no casts.
function defineProperty<T>(spec: PropertySpec<T>): RandomProperty {
  const { arbitrary: small, large, build, examples, ...described } = spec;
  const arbitrary = (tier: Tier = 'ci'): fc.Arbitrary<T> =>
    tier === 'campaign' && large !== undefined ? fc.oneof({ weight: 49, arbitrary: small() }, { weight: 1, arbitrary: large() }) : small();
  return {
    ...described,
    testExamples: examples.length,
    caseAt(seed, path, tier) {
      // fc.check wraps the arbitrary in a 1-tuple, which draws and shrinks exactly as the arbitrary does.
      const [value] = fc.sample(arbitrary(tier), { seed, path, numRuns: 1 });
      if (value === undefined) throw new Error(`[fuzz.replay.2] property ${described.name}: seed ${seed} and path ${path} give no value`);
      // Built on demand: a case that fails to build is a failure to report, like one that fails to run.
      return { value, build: () => build(value) };
    },
    cases: (tier) => arbitrary(tier).map((value) => ({ value, build: () => build(value) })),
    buildValue: (value) => build(value as T),
    async run(check, params) {
      const property = fc.asyncProperty(arbitrary(params.tier), (value) => check(() => build(value), value));
      const details = await fc.check(property, {
        seed: params.seed,
        numRuns: params.numRuns,
        ...(params.path === undefined ? {} : { path: params.path }),
        endOnFailure: params.endOnFailure ?? false,
        examples: params.withExamples === true ? examples.map((e): [T] => [e]) : [],
      });
      return {
        failed: details.failed,
        numRuns: details.numRuns,
        numShrinks: details.numShrinks,
        seed: details.seed,
        counterexample: details.counterexample?.[0],
        counterexamplePath: details.counterexamplePath ?? undefined,
        error: details.errorInstance,
      };
    },
  };
}

export const RANDOM_PROPERTIES: Readonly<Record<PropertyName, RandomProperty>> = {
  fusion: defineProperty({
    name: 'fusion',
    rule: 'fusion.chain.1',
    testFile: 'conformance/judge/fusion.test.ts',
    testTitle: '[fusion.chain.1] random prologue and epilogue chains around a kernel are one kernel, and fused ≈ eager ≈ interpreter',
    // The origin test's case runs first, by name, whatever the seed.
    examples: [SEED_CASE],
    weight: 1,
    needs: EXECUTION,
    arbitrary: () => fusionCaseArbitrary(),
    large: () => fusionCaseArbitrary({ large: true }),
    build: buildFusionCase,
  }),
  pointwise: defineProperty({
    name: 'pointwise',
    rule: 'fusion.pointwise.1',
    testFile: 'conformance/judge/fusion.test.ts',
    testTitle: '[fusion.pointwise.1] random pure elementwise graphs are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [],
    weight: 1,
    needs: EXECUTION,
    arbitrary: () => pointwiseCaseArbitrary(),
    build: buildPointwiseCase,
  }),
  matmul: defineProperty({
    name: 'matmul',
    rule: 'fusion.chain.2',
    testFile: 'conformance/judge/fusion.test.ts',
    testTitle: '[fusion.chain.2] random prologue and epilogue chains around the tiled matmul are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [],
    weight: 0.25,
    needs: EXECUTION,
    arbitrary: () => matmulCaseArbitrary(),
    large: () => matmulCaseArbitrary({ large: true }),
    build: (mc) => buildMatmulCase(mc),
  }),
  softmax: defineProperty({
    name: 'softmax',
    rule: 'fusion.chain.reduction',
    testFile: 'conformance/judge/fusion.test.ts',
    testTitle: '[fusion.chain.reduction] random prologue and epilogue chains around softmax are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [SOFTMAX_SEED_CASE],
    weight: 0.3,
    needs: EXECUTION,
    arbitrary: () => reductionCaseArbitrary({ templates: ['softmax'] }),
    large: () => reductionCaseArbitrary({ templates: ['softmax'], large: true }),
    build: buildReductionCase,
  }),
  f16: defineProperty({
    name: 'f16',
    rule: 'numerics.f16.1',
    testFile: 'conformance/judge/f16.test.ts',
    testTitle: '[numerics.f16.1] random mixed-precision chains (f16 inputs, explicit casts, an f16 or f32 kernel) around the add kernel are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [F16_SEED_CASE],
    weight: 0.5,
    needs: F16_NEEDS,
    arbitrary: () => f16FusionCaseArbitrary(),
    build: buildFusionCase,
  }),
  'f16-reduction': defineProperty({
    name: 'f16-reduction',
    rule: 'numerics.f16.1',
    testFile: 'conformance/judge/f16.test.ts',
    testTitle: '[numerics.f16.1] random mixed-precision chains around softmax and rmsnorm, inputs of f16 whose squares pass f16\'s range, are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [],
    weight: 0.3,
    needs: F16_NEEDS,
    arbitrary: () => f16ReductionCaseArbitrary(),
    build: buildReductionCase,
  }),
  'core-limits': defineProperty({
    name: 'core-limits',
    rule: 'codegen.limits.core',
    testFile: 'conformance/judge/core-limits.test.ts',
    testTitle: '[codegen.limits.core] random chains around the add kernel, matmul, softmax and rmsnorm with workgroups of 129 to 256 invocations, which a core-level device grants, are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [],
    weight: 0.3,
    needs: CORE_NEEDS,
    arbitrary: () => coreCaseArbitrary(),
    build: buildCoreCase,
  }),
  rmsnorm: defineProperty({
    name: 'rmsnorm',
    rule: 'fusion.chain.reduction',
    testFile: 'conformance/judge/fusion.test.ts',
    testTitle: '[fusion.chain.reduction] random prologue and epilogue chains around rmsnorm are one kernel, and fused ≈ eager ≈ interpreter',
    examples: [],
    weight: 0.3,
    needs: EXECUTION,
    arbitrary: () => reductionCaseArbitrary({ templates: ['rmsnorm'] }),
    large: () => reductionCaseArbitrary({ templates: ['rmsnorm'], large: true }),
    build: buildReductionCase,
  }),
};

/**
 * The same case's path in the vitest test: fast-check yields a property's examples before the
 * generated values and counts them in the first index, while the generated values themselves do not
 * depend on the examples. So only the first index shifts.
 */
export function vitestPath(property: RandomProperty, path: string): string {
  const [first = '0', ...rest] = path.split(':');
  return [String(Number(first) + property.testExamples), ...rest].join(':');
}

export { escapeRegExp, shellQuote };

/** The command that replays a case in the vitest test the property mirrors. */
export function vitestReplayCommand(property: RandomProperty, seed: number, path: string, implModule: string | undefined, dataVariants = 0, tier: Tier = 'ci'): string {
  const env = [`WGFUSE_SEED=${seed}`, `WGFUSE_PATH=${vitestPath(property, path)}`];
  if (tier !== 'ci') env.push(`WGFUSE_TIER=${tier}`);
  if (dataVariants > 0) env.push(`WGFUSE_DATA_VARIANTS=${dataVariants}`);
  if (implModule !== undefined) env.push(`WGFUSE_IMPL=${shellQuote(implModule)}`);
  return `${env.join(' ')} npx vitest run ${property.testFile} -t ${shellQuote(escapeRegExp(property.testTitle))}`;
}

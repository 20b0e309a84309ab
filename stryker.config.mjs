// The mutation campaign (`npm run mutation`; not part of CI): Stryker mutates the reference's fusion,
// codegen and kernel templates and runs the conformance suite's judging tests, the reference's tests and
// the selftests (vitest.mutation.config.ts) against each mutant. Survivors and their disposition:
// conformance/mutation-survivors.md. Everything Stryker writes lives under .wgfuse/mutation/ (ignored);
// the incremental file there lets a stopped campaign resume, and a rerun tests only what changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  mutate: ['reference/fusion/**/*.ts', 'reference/codegen/**/*.ts', 'reference/kernels/**/*.ts', '!reference/**/*.test.ts'],
  coverageAnalysis: 'perTest',
  checkers: [],
  // Stryker's tsconfig rewriting calls the TypeScript 5 API, which the installed TypeScript 7 does not
  // have; tsconfig.json has no extends or references to rewrite, so it is pointed at no file.
  tsconfigFile: 'stryker-no-tsconfig.json',
  incremental: true,
  incrementalFile: '.wgfuse/mutation/stryker-incremental.json',
  tempDirName: '.wgfuse/mutation/tmp',
  cleanTempDir: true,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: '.wgfuse/mutation/report.html' },
  jsonReporter: { fileName: '.wgfuse/mutation/report.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0, reportScoreTable: true },
  // Two cores, shared: one runner (`npm run mutation -- --concurrency 2` for two).
  concurrency: 1,
  // A mutant that loops (a loop bound turned around) is stopped by the hit limit or this timeout.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  // Each mutant run opens a Dawn device per test file in a fresh worker thread, and a mutant that makes a
  // shader spin leaves an llvmpipe thread behind when the harness's stage timeout gives up on it: restart
  // the runner every 20 mutants so neither piles up.
  maxTestRunnerReuse: 20,
  thresholds: { high: 90, low: 80, break: null },
  ignoreStatic: false,
};

import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests the mutation campaign (stryker.config.mjs, `npm run mutation`) runs against each mutant of
 * reference/fusion, reference/codegen and reference/kernels: the judging tests, the reference's own tests
 * and the selftests that exercise the reference, at a pinned seed and a reduced case count, so that one
 * mutant costs seconds. Left out: the selftests of the suite's own generators and oracle, where the
 * reference only builds cases (they take a third of a full run and judge nothing of it).
 * Stryker's vitest runner replaces the pool with one worker thread, whose process.env does not reach
 * Mesa: the npm script sets EGL_PLATFORM in the parent process.
 */
// One configuration: the base config's projects (the second adapter configuration) are not run per mutant.
const { projects: _projects, ...baseTest } = base.test ?? {};

export default defineConfig({
  ...base,
  test: {
    ...baseTest,
    include: ['conformance/judge/**/*.test.ts', 'reference/**/*.test.ts', 'conformance/selftest/**/*.test.ts'],
    exclude: [
      'conformance/selftest/generators.test.ts',
      'conformance/selftest/reduction-generators.test.ts',
      'conformance/selftest/oracle.test.ts',
      'conformance/selftest/matmul-oracle.test.ts',
      'conformance/selftest/reduction-oracle.test.ts',
    ],
    env: {
      WGFUSE_SEED: process.env['WGFUSE_SEED'] ?? '20240601',
      WGFUSE_NUM_RUNS: process.env['WGFUSE_NUM_RUNS'] ?? '10',
      // A stage here takes well under a second; a mutant whose kernel never finishes fails in 20 s, not 300.
      WGFUSE_TIMEOUT_MS: process.env['WGFUSE_TIMEOUT_MS'] ?? '20000',
    },
  },
});

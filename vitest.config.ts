import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['spec/**/*.test.ts', 'reference/**/*.test.ts', 'conformance/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Dawn is a native addon: separate processes keep one device per file and isolate a crash.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    setupFiles: ['conformance/harness/setup.ts'],
  },
});

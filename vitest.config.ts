import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['spec/**/*.test.ts', 'reference/**/*.test.ts', 'conformance/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Dawn is a native addon: separate processes keep one device per file and isolate a crash.
    pool: 'forks',
    maxWorkers: 2,
    // No wall-clock limit on a test: properties are bounded by case counts, each stage of a case by the
    // harness's stage timeout, and a blocked event loop by the watchdog (conformance/harness/watchdog.ts),
    // so a slow machine makes a run slower, never a verdict different.
    testTimeout: 0,
    hookTimeout: 0,
    setupFiles: ['conformance/harness/setup.ts'],
  },
});

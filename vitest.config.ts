import { existsSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';
import { BROWSER_ONLY_TESTS, chromiumProject } from './conformance/harness/browser-project.js';
import { SWIFTSHADER_ICD } from './conformance/harness/device.js';

// The judging tests run on a second configuration where one can come up: Dawn's Vulkan backend over
// SwiftShader, a core-level device with no loop cap. In CI it must come up (a missing driver fails the
// gates there, under WGFUSE_REQUIRE_ADAPTER=1); elsewhere it runs when the driver is installed.
const secondConfiguration = process.env['CI'] === 'true' || existsSync(SWIFTSHADER_ICD);
// The judging tests and the suite's CPU tests also run in a browser page, on headless Chromium's own WebGPU
// (conformance/harness/browser-project.ts); in CI it must come up, elsewhere it needs a Chromium.
const browser = await chromiumProject(process.env);

export default defineConfig({
  test: {
    // Dawn is a native addon: separate processes keep one device per file and isolate a crash.
    pool: 'forks',
    maxWorkers: 2,
    // No wall-clock limit on a test: properties are bounded by case counts, each stage of a case by the
    // harness's stage timeout, and a blocked event loop by the watchdog (conformance/harness/watchdog.ts),
    // so a slow machine makes a run slower, never a verdict different.
    testTimeout: 0,
    hookTimeout: 0,
    setupFiles: ['conformance/harness/setup.ts'],
    projects: [
      {
        extends: true as const,
        test: {
          // The adapter the harness finds first (Dawn GL over llvmpipe on CI's machine): every test.
          name: 'main',
          include: ['spec/**/*.test.ts', 'reference/**/*.test.ts', 'conformance/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...BROWSER_ONLY_TESTS],
        },
      },
      ...(secondConfiguration
        ? [
            {
              extends: true as const,
              test: {
                name: 'dawn-vulkan-swiftshader',
                include: ['conformance/judge/**/*.test.ts', 'conformance/selftest/reference-on-device.test.ts', 'conformance/selftest/gated-faults.test.ts', 'conformance/selftest/loop-cap.test.ts'],
                env: { WGFUSE_BACKEND: 'vulkan', VK_ICD_FILENAMES: SWIFTSHADER_ICD },
              },
            },
          ]
        : []),
      ...(browser === undefined ? [] : [browser]),
    ],
  },
});

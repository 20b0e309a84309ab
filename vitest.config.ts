import { existsSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';
import { BROWSER_ONLY_TESTS, chromiumProject } from './conformance/harness/browser-project.js';
import { LAVAPIPE_ICD, SWIFTSHADER_ICD } from './conformance/harness/device.js';

// The configurations `npm test` runs (scripts/test-configurations.ts runs each project alone and prints one
// table of them; spec/capabilities.md [harness.config.*]). Each sets WGFUSE_CONFIGURATION, so every verdict,
// report and gate decision names the configuration it came from.
const ci = process.env['CI'] === 'true';
// Deno's navigator.gpu is wgpu: under Deno only wgpu's configuration exists (Dawn's addon is Node's).
const underDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
/**
 * Tests that run again on each other configuration: the judging tests, the reference's device tests, the
 * loop-cap tests, and the planted faults whose properties need a capability (shader-f16, 256 invocations).
 */
const ON_EVERY_ADAPTER = ['conformance/judge/**/*.test.ts', 'conformance/selftest/reference-on-device.test.ts', 'conformance/selftest/loop-cap.test.ts', 'conformance/selftest/gated-faults.test.ts'];
// compile-only.test.ts always runs on Dawn's null backend, whatever the configuration: its verdicts are
// dawn-null's (and main's), never another configuration's.
const NOT_ON_OTHER_ADAPTERS = [...configDefaults.exclude, 'conformance/judge/compile-only.test.ts'];

const nodeProjects = [
  {
    extends: true as const,
    test: {
      // The adapter the harness finds first (Dawn GL over llvmpipe on CI's machine): every test. Its
      // configuration name is derived from that adapter (dawn-gl-llvmpipe on CI's machine).
      name: 'main',
      include: ['spec/**/*.test.ts', 'reference/**/*.test.ts', 'conformance/**/*.test.ts', 'scripts/**/*.test.ts'],
      exclude: [...configDefaults.exclude, ...BROWSER_ONLY_TESTS],
    },
  },
  // Dawn's Vulkan backend over SwiftShader: core level, subgroups and timestamp-query, no loop cap. In CI it must
  // come up (a missing driver fails the gates there, under WGFUSE_REQUIRE_ADAPTER=1); elsewhere it runs when
  // the driver is installed.
  ...(ci || existsSync(SWIFTSHADER_ICD)
    ? [
        {
          extends: true as const,
          test: {
            name: 'dawn-vulkan-swiftshader',
            include: ON_EVERY_ADAPTER,
            exclude: NOT_ON_OTHER_ADAPTERS,
            env: { WGFUSE_BACKEND: 'vulkan', VK_ICD_FILENAMES: SWIFTSHADER_ICD, WGFUSE_CONFIGURATION: 'dawn-vulkan-swiftshader' },
          },
        },
      ]
    : []),
  // Dawn's null backend, which executes nothing: where the `execution` need is seen unmet, with its reason
  // ([harness.ledger.2]). Without an executing adapter by design, so WGFUSE_REQUIRE_ADAPTER is off here.
  {
    extends: true as const,
    test: {
      name: 'dawn-null',
      include: ['conformance/judge/compile-only.test.ts', 'conformance/selftest/reference-on-device.test.ts', 'conformance/selftest/loop-cap.test.ts'],
      env: { WGFUSE_BACKEND: 'null', WGFUSE_REQUIRE_ADAPTER: '0', WGFUSE_CONFIGURATION: 'dawn-null' },
    },
  },
];

// The judging tests and the suite's CPU tests also run in a browser page, on headless Chromium's own WebGPU
// (conformance/harness/browser-project.ts); in CI it must come up, elsewhere it needs a Chromium. Node only.
const browser = underDeno ? undefined : await chromiumProject(process.env);

const denoProjects = [
  {
    extends: true as const,
    test: {
      // wgpu (Naga, not Tint) over Mesa lavapipe: core level, shader-f16 and timestamp-query, a loop cap.
      name: 'wgpu-lavapipe',
      include: ON_EVERY_ADAPTER,
      exclude: NOT_ON_OTHER_ADAPTERS,
      // The Vulkan loader is pointed at lavapipe alone, so a GPU's driver on the same host is not picked instead.
      env: { WGFUSE_BACKEND: 'navigator', WGFUSE_CONFIGURATION: 'wgpu-lavapipe', VK_ICD_FILENAMES: LAVAPIPE_ICD, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp' },
    },
  },
];

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
    projects: underDeno ? denoProjects : [...nodeProjects, ...(browser === undefined ? [] : [browser])],
  },
});

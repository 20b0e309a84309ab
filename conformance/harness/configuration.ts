/**
 * The configuration a verdict came from (spec/capabilities.md [harness.config.1]): the name of one way of
 * running the suite (a WebGPU implementation, its backend and its adapter), so that a verdict seen on one
 * configuration is never read as another's. Each vitest project sets WGFUSE_CONFIGURATION; otherwise the
 * name is derived from the backend and the adapter the harness found.
 */
import { configurationFor } from './device.js';
import type { Backend, GpuSummary } from './device.js';
import { envVar } from './runtime.js';

/** The configurations `npm test` runs, each with the npm script that runs it alone. */
export const CONFIGURATIONS: Readonly<Record<string, { readonly script: string; readonly what: string }>> = {
  'dawn-gl-llvmpipe': { script: 'npm run test:main', what: "Dawn's OpenGL backend over Mesa llvmpipe (compatibility level, a loop cap)" },
  'dawn-vulkan-swiftshader': { script: 'npm run test:swiftshader', what: "Dawn's Vulkan backend over SwiftShader (core level, subgroups, timestamp-query, no loop cap)" },
  'wgpu-lavapipe': { script: 'npm run test:wgpu', what: "Deno's navigator.gpu (wgpu) over Mesa lavapipe (core level, shader-f16, timestamp-query, a loop cap)" },
  'dawn-null': { script: 'npm run test:null', what: "Dawn's null backend (validation only: nothing executes)" },
  'chromium-swiftshader': { script: 'npm run test:browser', what: "headless Chromium's own WebGPU over SwiftShader (core level, subgroups, timestamp-query, no shader-f16)" },
};

/** WGFUSE_CONFIGURATION, or the name derived from the backend and adapter the harness found (`none` without a device). */
export function configurationName(gpu?: { readonly backend: Backend; readonly summary: Pick<GpuSummary, 'description' | 'device' | 'vendor'> & { readonly architecture?: string } }): string {
  if (gpu === undefined) return envVar('WGFUSE_CONFIGURATION') || 'none';
  return configurationFor(gpu.backend, { architecture: '', ...gpu.summary });
}

/** How to run on a configuration that has what `has` says, for skip reasons: `npm run test:wgpu (wgpu-lavapipe)`. */
export function whereToGet(configurations: readonly string[]): string {
  const ways = configurations.map((c) => `\`${CONFIGURATIONS[c]?.script ?? `WGFUSE_CONFIGURATION=${c}`}\` (${c})`);
  return ways.length === 0 ? 'run on an adapter that has it' : `run on ${ways.join(' or ')}`;
}

/** Where each capability a test may need is found among the configurations `npm test` runs (feature names as WebGPU spells them). */
export const FOUND_ON: Readonly<Record<string, readonly string[]>> = {
  execution: ['dawn-gl-llvmpipe', 'dawn-vulkan-swiftshader', 'wgpu-lavapipe', 'chromium-swiftshader'],
  'limit maxComputeInvocationsPerWorkgroup >= 256': ['dawn-vulkan-swiftshader', 'wgpu-lavapipe', 'chromium-swiftshader'],
  'feature shader-f16': ['wgpu-lavapipe'],
  'feature subgroups': ['dawn-vulkan-swiftshader'],
  'feature subgroup-size-control': ['dawn-vulkan-swiftshader'],
  'feature timestamp-query': ['dawn-vulkan-swiftshader', 'wgpu-lavapipe'],
  'loop cap': ['dawn-gl-llvmpipe', 'wgpu-lavapipe'],
  'llvmpipe adapter': ['dawn-gl-llvmpipe', 'wgpu-lavapipe'],
};

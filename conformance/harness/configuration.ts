/**
 * The configuration a verdict came from (spec/capabilities.md [harness.config.1]): the name of one way of
 * running the suite (a WebGPU implementation, its backend and its adapter), so that a verdict seen on one
 * configuration is never read as another's. Each vitest project sets WGFUSE_CONFIGURATION; otherwise the
 * name is derived from the backend and the adapter the harness found.
 */
import type { Backend, GpuSummary } from './device.js';

/** The configurations `npm test` runs, each with the npm script that runs it alone. */
export const CONFIGURATIONS: Readonly<Record<string, { readonly script: string; readonly what: string }>> = {
  'dawn-gl-llvmpipe': { script: 'npm run test:main', what: "Dawn's OpenGL backend over Mesa llvmpipe (compatibility level, a loop cap)" },
  'dawn-vulkan-swiftshader': { script: 'npm run test:swiftshader', what: "Dawn's Vulkan backend over SwiftShader (core level, subgroups, timestamp-query, no loop cap)" },
  'wgpu-lavapipe': { script: 'npm run test:wgpu', what: "Deno's navigator.gpu (wgpu) over Mesa lavapipe (core level, shader-f16, timestamp-query, a loop cap)" },
  'dawn-null': { script: 'npm run test:null', what: "Dawn's null backend (validation only: nothing executes)" },
};

function isDeno(): boolean {
  return (globalThis as { Deno?: unknown }).Deno !== undefined;
}

/** The adapter's short name: the CPU rasterizer it is, else its description's first word. */
function adapterShortName(backend: Backend, s: Pick<GpuSummary, 'description' | 'device' | 'vendor'>): string {
  const identity = `${s.description} ${s.device}`;
  // Mesa's Vulkan llvmpipe (lavapipe) calls itself llvmpipe too; its Vulkan vendor id 0x10005 tells it apart.
  if (/llvmpipe/i.test(identity)) return backend === 'vulkan' || (backend === 'navigator' && (s.vendor === '65541' || s.vendor === '0x10005')) ? 'lavapipe' : 'llvmpipe';
  const known = /lavapipe|swiftshader/i.exec(identity)?.[0];
  if (known !== undefined) return known.toLowerCase();
  const word = s.description.split(/[\s(,]/)[0] ?? '';
  return word === '' ? 'unknown' : word.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** `dawn-gl`, `dawn-vulkan`, `dawn-null`, `wgpu` (navigator.gpu in Deno) or `browser`. */
function implementationName(backend: Backend): string {
  if (backend === 'navigator') return isDeno() ? 'wgpu' : 'browser';
  return `dawn-${{ opengl: 'gl', opengles: 'gles', vulkan: 'vulkan', null: 'null' }[backend]}`;
}

/** WGFUSE_CONFIGURATION, or `<implementation>-<adapter>` from what the harness found (`none` without a device). */
export function configurationName(gpu?: { readonly backend: Backend; readonly summary: Pick<GpuSummary, 'description' | 'device' | 'vendor'> }): string {
  const named = process.env['WGFUSE_CONFIGURATION'];
  if (named !== undefined && named !== '') return named;
  if (gpu === undefined) return 'none';
  if (gpu.backend === 'null') return 'dawn-null';
  return `${implementationName(gpu.backend)}-${adapterShortName(gpu.backend, gpu.summary)}`;
}

/** How to run on a configuration that has what `has` says, for skip reasons: `npm run test:wgpu (wgpu-lavapipe)`. */
export function whereToGet(configurations: readonly string[]): string {
  const ways = configurations.map((c) => `\`${CONFIGURATIONS[c]?.script ?? `WGFUSE_CONFIGURATION=${c}`}\` (${c})`);
  return ways.length === 0 ? 'run on an adapter that has it' : `run on ${ways.join(' or ')}`;
}

/** Where each capability a test may need is found among the configurations `npm test` runs (feature names as WebGPU spells them). */
export const FOUND_ON: Readonly<Record<string, readonly string[]>> = {
  execution: ['dawn-gl-llvmpipe', 'dawn-vulkan-swiftshader', 'wgpu-lavapipe'],
  'feature shader-f16': ['wgpu-lavapipe'],
  'feature subgroups': ['dawn-vulkan-swiftshader'],
  'feature subgroup-size-control': ['dawn-vulkan-swiftshader'],
  'feature timestamp-query': ['dawn-vulkan-swiftshader', 'wgpu-lavapipe'],
  'loop cap': ['dawn-gl-llvmpipe', 'wgpu-lavapipe'],
  'llvmpipe adapter': ['dawn-gl-llvmpipe', 'wgpu-lavapipe'],
};

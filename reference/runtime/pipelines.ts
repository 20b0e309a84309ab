import { WgfuseError } from '../../spec/index.js';

// One cache per device, keyed by WGSL text: identical kernels compile once per process ([runtime.cache.1]).
// Bounded, least recently used first out, so a long fuzz campaign does not hold every pipeline it made.
const caches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
export const PIPELINE_CACHE_ENTRIES = 512;

async function build(device: GPUDevice, name: string, wgsl: string): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code: wgsl });
  const info = await module.getCompilationInfo();
  const moduleError = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0 || moduleError !== null) {
    const text = errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n') || `  ${moduleError?.message ?? ''}`;
    throw new WgfuseError('codegen.wgsl.2', `${name}: the device rejected the generated WGSL:\n${text}\n--- WGSL ---\n${wgsl}`);
  }
  try {
    return await device.createComputePipelineAsync({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
  } catch (e) {
    throw new WgfuseError('codegen.wgsl.2', `${name}: pipeline creation failed: ${e instanceof Error ? e.message : String(e)}\n--- WGSL ---\n${wgsl}`);
  }
}

export function getPipeline(device: GPUDevice, name: string, wgsl: string): Promise<GPUComputePipeline> {
  let cache = caches.get(device);
  if (cache === undefined) caches.set(device, (cache = new Map()));
  let pipeline = cache.get(wgsl);
  if (pipeline === undefined) {
    pipeline = build(device, name, wgsl);
    // A failed build must not poison the cache for a later, fixed attempt.
    pipeline.catch(() => cache.delete(wgsl));
    if (cache.size >= PIPELINE_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  } else cache.delete(wgsl);
  // Map keeps insertion order: re-inserting marks the entry as the most recently used.
  cache.set(wgsl, pipeline);
  return pipeline;
}

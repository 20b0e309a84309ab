/**
 * What this machine can run (spec/capabilities.md [harness.caps.*]): the device tier decides which tests
 * execute, which only compile, and which skip. Probed once per process through getGpu().
 */
import { getGpu } from './device.js';
import type { Attempt, Gpu, Tier } from './device.js';
import { configurationName } from './configuration.js';
import { formatLoopCap, loopCapOf } from './loop-cap.js';
import type { LoopCap } from './loop-cap.js';
import { envVar, inNode } from './runtime.js';

/** 'none' when no backend gave a device at all. */
export type CapabilityTier = 'none' | Tier;

export interface Capabilities {
  readonly tier: CapabilityTier;
  readonly gpu: Gpu | undefined;
  /** The backends that were tried and failed, in order, whether or not a later one succeeded. */
  readonly attempts: readonly Attempt[];
  /** The adapter's loop iteration cap ([harness.loopcap.1]); absent when no device executes. */
  readonly loopCap?: LoopCap;
}

export const TIER_MEANINGS: Readonly<Record<CapabilityTier, string>> = {
  none: 'no WebGPU adapter: only CPU tests run (IR, interpreter, generated WGSL text)',
  validation: "Dawn's null backend: WGSL is compiled and pipelines created, nothing executes; compile-only checks",
  software: 'a CPU rasterizer (llvmpipe, lavapipe, SwiftShader): full execution, slowly',
  hardware: 'a GPU: full execution',
};

/** Whether `tier` runs kernels and reads results back. */
export function executes(tier: CapabilityTier): boolean {
  return tier === 'software' || tier === 'hardware';
}

export async function probeCapabilities(): Promise<Capabilities> {
  const acquired = await getGpu();
  if (!acquired.ok) return { tier: 'none', gpu: undefined, attempts: acquired.attempts };
  const gpu = acquired.gpu;
  return { tier: gpu.tier, gpu, attempts: gpu.attempts, ...(executes(gpu.tier) ? { loopCap: await loopCapOf(gpu) } : {}) };
}

/** How to get an executing adapter, judged from why the attempts failed. */
export function executionHint(attempts: readonly Attempt[]): string {
  if (attempts.some((a) => a.message.includes("cannot load the 'webgpu' addon"))) {
    return "reinstall the 'webgpu' package (npm ci) on linux-x64, darwin or win32";
  }
  if (attempts.some((a) => a.message.startsWith('WGFUSE_BACKEND'))) return 'unset WGFUSE_BACKEND or give it a valid value';
  // [harness.browser.1] A page gets the browser's navigator.gpu alone: the browser's flags decide.
  if (!inNode) return "start the browser with WebGPU on (Chromium: --enable-unsafe-webgpu --enable-unsafe-swiftshader --enable-features=Vulkan, as conformance/harness/browser-project.ts does)";
  const chosen = envVar('WGFUSE_BACKEND');
  if (chosen !== undefined && chosen !== '' && chosen !== 'auto') return `WGFUSE_BACKEND=${chosen} limits the search to that backend; unset it to try them all`;
  return (
    'install Mesa EGL: apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri (EGL_PLATFORM=surfaceless is set by the harness); ' +
    'on a GPU host install libvulkan1 and the vendor Vulkan driver'
  );
}

/** `vulkan (why), opengl (why)`: the failed attempts on one line. */
export function formatAttempts(attempts: readonly Attempt[]): string {
  return attempts.length === 0 ? 'no other backend' : attempts.map((a) => `${a.backend} (${a.message})`).join(', ');
}

/** A readable block for the start of a conformance run or for `npm run capabilities`. */
export function formatCapabilityReport(c: Capabilities): string {
  const runs = c.gpu === undefined ? '' : ` (${c.gpu.summary.runtime}, ${c.tier}, ${c.gpu.summary.featureLevel})`;
  const lines = ['WebGPU capabilities', `  configuration: ${configurationName(c.gpu)}${runs}`, `  tier:          ${c.tier}: ${TIER_MEANINGS[c.tier]}`];
  const gpu = c.gpu;
  if (gpu !== undefined) {
    const s = gpu.summary;
    // wgpu reports PCI ids where Dawn reports names: print a bare number as the id it is.
    const id = (what: string, x: string): string => (/^\d+$/.test(x) ? `${what} id 0x${Number(x).toString(16)}` : x);
    const maker = [id('device', s.device), id('vendor', s.vendor), s.architecture].filter((x) => x !== '').join(', ');
    const navigatorOf = 'Deno' in globalThis ? ' (wgpu, in Deno)' : ' (the browser)';
    lines.push(
      `  backend:       ${gpu.backend}${gpu.backend === 'navigator' ? navigatorOf : ' (Dawn)'}`,
      `  adapter:       ${s.description === '' ? '(no description)' : s.description}${maker === '' ? '' : ` [${maker}]`}`,
      `  feature level: ${s.featureLevel}`,
      `  adapter features: ${(s.adapterFeatures ?? []).length === 0 ? '(none)' : (s.adapterFeatures ?? []).join(', ')}`,
      `  device features:  ${s.features.length === 0 ? '(none)' : s.features.join(', ')} (a device has only the features requested of it)`,
      '  limits:',
      ...Object.entries(s.limits).map(([name, value]) => `    ${name.padEnd(36)}${value}`),
    );
    if (c.loopCap !== undefined) lines.push(`  loop cap:      ${formatLoopCap(c.loopCap)}`);
  }
  if (c.attempts.length > 0) {
    lines.push(gpu === undefined ? '  tried:' : '  tried first:');
    for (const a of c.attempts) lines.push(`    ${a.backend.padEnd(10)}${a.message}`);
  }
  if (!executes(c.tier)) lines.push(`  to execute:    ${executionHint(c.attempts)}`);
  lines.push('tiers:');
  for (const [tier, meaning] of Object.entries(TIER_MEANINGS)) lines.push(`  ${tier.padEnd(11)} ${meaning}`);
  return lines.join('\n');
}

/**
 * Capability gates (spec/capabilities.md [harness.gate.*]). A test states what it needs up front; when the
 * machine lacks it the test is skipped with a reason that names the missing thing and how to get it.
 * Under WGFUSE_REQUIRE_ADAPTER=1 a missing executing adapter is a failure instead, so CI on a machine
 * that should have one cannot pass by skipping everything.
 */
import type { Gpu } from './device.js';
import { executes, executionHint, formatAttempts, probeCapabilities } from './capabilities.js';
import type { Capabilities } from './capabilities.js';
import { envVar } from './runtime.js';

export type LimitName = Exclude<keyof GPUSupportedLimits, '__brand'>;

export interface Needs {
  /** A device that executes kernels: tier software or hardware. */
  readonly execution?: boolean;
  /** Any device, the validation-only null backend included. Implied by every other need. */
  readonly device?: boolean;
  /** Features the device must have; the harness requests none, so only default features pass. */
  readonly feature?: GPUFeatureName | readonly GPUFeatureName[];
  /** [name, value]: a max* limit must be at least value, a min* (alignment) limit at most value. */
  readonly limit?: readonly [LimitName, number];
}

/** The part of vitest's TestContext a gate uses (vitest 4: `skip(note?: string): never`). */
export interface SkipContext {
  skip(note?: string): never;
}

export interface UnmetNeed {
  readonly reason: string;
  /** True when what is missing is an executing adapter, which WGFUSE_REQUIRE_ADAPTER=1 turns into a failure. */
  readonly adapterMissing: boolean;
}

export function adapterRequired(): boolean {
  return envVar('WGFUSE_REQUIRE_ADAPTER') === '1';
}

/** Why `c` does not meet `needs`, or undefined when it does. Pure, so the gate's logic is testable without a GPU. */
export function unmetNeed(c: Capabilities, needs: Needs): UnmetNeed | undefined {
  const gpu = c.gpu;
  if (gpu === undefined) {
    return { reason: `no WebGPU adapter: tried ${formatAttempts(c.attempts)}; ${executionHint(c.attempts)}`, adapterMissing: true };
  }
  if (needs.execution === true && !executes(c.tier)) {
    return {
      reason:
        `no executing WebGPU adapter: the device is tier ${c.tier} (${gpu.backend} backend), which runs no kernels; ` +
        `tried before it: ${formatAttempts(c.attempts)}; ${executionHint(c.attempts)}`,
      adapterMissing: true,
    };
  }
  if (gpu.unmetNeeds.length > 0) {
    return { reason: `the implementation under test declares needs this adapter cannot meet: ${gpu.unmetNeeds.join('; ')}`, adapterMissing: false };
  }
  const features = needs.feature === undefined ? [] : typeof needs.feature === 'string' ? [needs.feature] : needs.feature;
  for (const f of features) {
    if (gpu.device.features.has(f)) continue;
    const onAdapter = gpu.adapter.features.has(f)
      ? 'the adapter has it, but the implementation under test does not declare it (needs.features or needs.optionalFeatures)'
      : `adapter '${gpu.summary.description}' (${gpu.backend}) does not support it; run on one that does`;
    return { reason: `device does not have feature '${f}': ${onAdapter}`, adapterMissing: false };
  }
  if (needs.limit !== undefined) {
    const [name, wanted] = needs.limit;
    const have = gpu.device.limits[name];
    const atMost = name.startsWith('min');
    if (have === undefined) return { reason: `device does not report limit ${name}`, adapterMissing: false };
    if (atMost ? have > wanted : have < wanted) {
      const adapterHas = gpu.adapter.limits[name];
      return {
        reason:
          `device limit ${name} is ${have}, the test needs ${atMost ? '<=' : '>='} ${wanted} ` +
          `(the adapter allows ${adapterHas}; the harness requests the limits the implementation under test declares in needs.limits, else the defaults)`,
        adapterMissing: false,
      };
    }
  }
  return undefined;
}

/**
 * Call at the top of a test: returns the shared Gpu when `needs` are met, otherwise skips the test
 * with the reason, or throws it when an executing adapter is missing and WGFUSE_REQUIRE_ADAPTER=1.
 */
export async function gate(ctx: SkipContext, needs: Needs = { device: true }, capabilities?: Capabilities): Promise<Gpu> {
  // `capabilities` lets the harness's own tests play a machine they are not running on.
  const c = capabilities ?? (await probeCapabilities());
  const unmet = unmetNeed(c, needs);
  if (unmet === undefined && c.gpu !== undefined) return c.gpu;
  const reason = unmet?.reason ?? 'no WebGPU device';
  if (adapterRequired() && (unmet?.adapterMissing ?? true)) {
    throw new Error(`[harness.gate.2] WGFUSE_REQUIRE_ADAPTER=1: ${reason}`);
  }
  return ctx.skip(reason);
}

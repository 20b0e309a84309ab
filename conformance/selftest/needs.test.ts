import { describe, expect, test } from 'vitest';
import { declareNeeds, deviceRequest, getGpu } from '../harness/device.js';
import { gate, unmetNeed } from '../harness/gates.js';
import { probeCapabilities } from '../harness/capabilities.js';

// Declared needs ([interface.needs.1]): what an implementation says it needs of the device is requested
// from the adapter when the adapter has it; what it lacks is named, and the judging tests skip with it.
// This file declares needs for its own process only (each test file has its own device).

const adapter = (limits: Record<string, number>, features: string[]): Pick<GPUAdapter, 'limits' | 'features'> => ({
  limits: limits as unknown as GPUSupportedLimits,
  features: new Set(features) as unknown as GPUSupportedFeatures,
});

describe('declared needs', () => {
  test('[interface.needs.1] needs the adapter meets are requested; those it cannot meet are named, limit by limit and feature by feature', () => {
    const a = adapter({ maxComputeInvocationsPerWorkgroup: 1024, minStorageBufferOffsetAlignment: 256 }, ['timestamp-query']);
    const { descriptor, unmet } = deviceRequest(a, {
      limits: { maxComputeInvocationsPerWorkgroup: 256, minStorageBufferOffsetAlignment: 64, maxBufferSize: 1 },
      features: ['timestamp-query', 'shader-f16'],
      optionalFeatures: ['subgroups', 'timestamp-query'],
    });
    expect(descriptor).toEqual({ requiredLimits: { maxComputeInvocationsPerWorkgroup: 256 }, requiredFeatures: ['timestamp-query'] });
    expect(unmet).toEqual([
      'limit minStorageBufferOffsetAlignment <= 64: the adapter allows 256',
      'limit maxBufferSize: the adapter does not report it',
      "feature 'shader-f16': the adapter does not have it",
    ]);
    expect(deviceRequest(a, undefined)).toEqual({ descriptor: { requiredLimits: {}, requiredFeatures: [] }, unmet: [] });
  });

  test('[interface.needs.1] on a device, a declared limit past the default is granted, and an unmet need skips the judging tests with its reason', async (ctx) => {
    const base = await gate(ctx, { execution: true });
    const allowed = base.adapter.limits.maxComputeInvocationsPerWorkgroup;
    const wanted = Math.min(256, allowed);
    declareNeeds({ limits: { maxComputeInvocationsPerWorkgroup: wanted } });
    const granted = await getGpu();
    expect(granted.ok && granted.gpu.device.limits.maxComputeInvocationsPerWorkgroup).toBe(wanted);
    declareNeeds({ features: ['a-feature-no-adapter-has'] });
    const unmet = unmetNeed(await probeCapabilities(), { execution: true });
    expect(unmet).toEqual({ need: 'declared needs', reason: "the implementation under test declares needs this adapter cannot meet: feature 'a-feature-no-adapter-has': the adapter does not have it; run on an adapter that has them (npm run capabilities lists an adapter's features and limits)", adapterMissing: false });
    declareNeeds(undefined);
  });
});

/**
 * Configurations and the gate ledger (spec/capabilities.md [harness.config.*], [harness.ledger.*],
 * [harness.caps.3-4]): the name each verdict carries, the adapter's name and features in reports, and the
 * gate decisions recorded for npm test's summary. Without a device the harness's logic is played with
 * plain objects; on a device the real gate writes the ledger.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Capabilities } from '../harness/capabilities.js';
import { formatCapabilityReport, probeCapabilities } from '../harness/capabilities.js';
import { configurationName } from '../harness/configuration.js';
import { adapterLabel, tierOf } from '../harness/device.js';
import type { Gpu } from '../harness/device.js';
import { gate, gateOn, unmetNeed } from '../harness/gates.js';
import type { LedgerRecord } from '../harness/ledger.js';
import { recordGate } from '../harness/ledger.js';

// wgpu through Deno on Mesa lavapipe, as its adapter info reads (vendor 0x10005 is Mesa's Vulkan vendor id).
const WGPU_LAVAPIPE = { description: 'llvmpipe (LLVM 15.0.6, 256 bits)', device: '0', vendor: '65541', architecture: '', isFallbackAdapter: true };
const DAWN_GL = { description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6', device: 'llvmpipe-llvm-15-0-6-256-bits-', vendor: 'mesa', architecture: '' };
const SWIFTSHADER = { description: 'SwiftShader driver 5.0.0', device: 'swiftshader-device-subzero-', vendor: 'google', architecture: '' };

/** A played machine: a software Gpu with these adapter and device features (only what the gate and report read). */
function played(info: typeof DAWN_GL, backend: Gpu['backend'], adapterFeatures: string[], deviceFeatures: string[]): Capabilities {
  const summary = { ...info, featureLevel: 'core' as const, features: deviceFeatures, adapterFeatures, limits: {} };
  const gpu = { backend, tier: 'software', summary, unmetNeeds: [], device: { features: new Set(deviceFeatures), limits: {} }, adapter: { features: new Set(adapterFeatures), limits: {} } };
  return { tier: 'software', gpu: gpu as unknown as Gpu, attempts: [] };
}

let ledger: string;
const saved = { ...process.env };
beforeEach(() => {
  ledger = mkdtempSync(join(tmpdir(), 'wgfuse-ledger-test-'));
  process.env['WGFUSE_LEDGER_DIR'] = ledger;
});
afterEach(() => {
  rmSync(ledger, { recursive: true, force: true });
  for (const k of ['WGFUSE_LEDGER_DIR', 'WGFUSE_CONFIGURATION']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

function records(): LedgerRecord[] {
  return readdirSync(ledger).flatMap((f) => readFileSync(join(ledger, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerRecord));
}

describe('configurations without a device', () => {
  test('[harness.config.1] a configuration is WGFUSE_CONFIGURATION, else derived from the backend and the adapter', () => {
    delete process.env['WGFUSE_CONFIGURATION'];
    const summary = (info: typeof DAWN_GL) => ({ description: info.description, device: info.device, vendor: info.vendor });
    expect(configurationName({ backend: 'opengl', summary: summary(DAWN_GL) })).toBe('dawn-gl-llvmpipe');
    expect(configurationName({ backend: 'vulkan', summary: summary(SWIFTSHADER) })).toBe('dawn-vulkan-swiftshader');
    // navigator.gpu under Node is a browser's; under Deno (globalThis.Deno) it is wgpu.
    expect(configurationName({ backend: 'navigator', summary: summary(WGPU_LAVAPIPE) })).toBe(`${'Deno' in globalThis ? 'wgpu' : 'browser'}-lavapipe`);
    expect(configurationName({ backend: 'null', summary: { description: 'null backend', device: '', vendor: '' } })).toBe('dawn-null');
    expect(configurationName({ backend: 'vulkan', summary: { description: 'NVIDIA H100 80GB HBM3', device: '', vendor: 'nvidia' } })).toBe('dawn-vulkan-nvidia');
    expect(configurationName(undefined)).toBe('none');
    process.env['WGFUSE_CONFIGURATION'] = 'my-config';
    expect(configurationName({ backend: 'opengl', summary: summary(DAWN_GL) })).toBe('my-config');
  });

  test("[harness.caps.4] wgpu's adapter is named by its description, not its PCI id, and lavapipe is tier software", () => {
    expect(adapterLabel(WGPU_LAVAPIPE)).toBe('llvmpipe (LLVM 15.0.6, 256 bits)');
    expect(adapterLabel(DAWN_GL)).toBe('llvmpipe-llvm-15-0-6-256-bits-');
    expect(adapterLabel({ description: '', device: '0x1234' })).toBe('the adapter');
    expect(adapterLabel({ description: '', device: '', vendor: 'google', architecture: 'swiftshader' })).toBe('google swiftshader');
    expect(tierOf('navigator', WGPU_LAVAPIPE)).toBe('software');
    expect(tierOf('navigator', { ...WGPU_LAVAPIPE, description: 'some GPU', isFallbackAdapter: true })).toBe('software');
  });

  test("[harness.caps.3] the capability report lists the adapter's features and the device's apart, and names the configuration", () => {
    process.env['WGFUSE_CONFIGURATION'] = 'dawn-vulkan-swiftshader';
    const report = formatCapabilityReport(played(SWIFTSHADER, 'vulkan', ['subgroups', 'timestamp-query'], ['core-features-and-limits']));
    expect(report).toContain('configuration: dawn-vulkan-swiftshader');
    expect(report).toContain('adapter features: subgroups, timestamp-query');
    expect(report).toMatch(/device features: {2}core-features-and-limits \(a device has only the features requested of it\)/);
  });

  test("[harness.caps.4] the capability report prints wgpu's PCI ids as ids, and says whose navigator.gpu it is", () => {
    const report = formatCapabilityReport(played(WGPU_LAVAPIPE, 'navigator', [], []));
    expect(report).toContain('adapter:       llvmpipe (LLVM 15.0.6, 256 bits) [device id 0x0, vendor id 0x10005]');
    expect(report).toContain(`backend:       navigator (${'Deno' in globalThis ? 'wgpu, in Deno' : 'the browser'})`);
  });

  test('[harness.ledger.1] a played machine is no configuration: gate() given capabilities records nothing; recordGate writes the decision and the adapter once', async () => {
    const caps = played(WGPU_LAVAPIPE, 'navigator', ['shader-f16'], []);
    const ctx = { task: { name: 'a test', file: { name: 'x.test.ts' } }, skip: (note?: string): never => { throw new Error(`skipped: ${note}`); } };
    await expect(gate(ctx, { feature: 'shader-f16' }, caps)).rejects.toThrow("skipped: device does not have feature 'shader-f16': the adapter has it");
    expect(readdirSync(ledger)).toEqual([]);
    process.env['WGFUSE_CONFIGURATION'] = 'wgpu-lavapipe';
    recordGate(caps, 'x.test.ts > a test', 'feature shader-f16', 'skipped', 'why');
    recordGate(caps, 'x.test.ts > b test', 'execution', 'ran');
    const [adapter, ...gates] = records();
    expect(adapter).toMatchObject({ kind: 'adapter', configuration: 'wgpu-lavapipe', tier: 'software', backend: 'navigator', adapter: 'llvmpipe (LLVM 15.0.6, 256 bits)', adapterFeatures: ['shader-f16'], deviceFeatures: [] });
    expect(gates).toEqual([
      { kind: 'gate', configuration: 'wgpu-lavapipe', test: 'x.test.ts > a test', need: 'feature shader-f16', outcome: 'skipped', reason: 'why' },
      { kind: 'gate', configuration: 'wgpu-lavapipe', test: 'x.test.ts > b test', need: 'execution', outcome: 'ran' },
    ]);
  });

  test('[harness.gate.1] a missing feature names the configuration that has it and its npm script; a missing limit names the limit', () => {
    const unmet = unmetNeed(played(DAWN_GL, 'opengl', [], []), { execution: true, feature: 'shader-f16' });
    expect(unmet).toMatchObject({ need: 'feature shader-f16', adapterMissing: false });
    expect(unmet?.reason).toBe("device does not have feature 'shader-f16': adapter 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' (opengl) does not support it; run on `npm run test:wgpu` (wgpu-lavapipe)");
    expect(unmetNeed(played(DAWN_GL, 'opengl', [], []), { feature: 'subgroups' })?.reason).toContain('`npm run test:swiftshader` (dawn-vulkan-swiftshader)');
  });
});

describe('the ledger on a device', () => {
  test('[harness.ledger.1] gate() and a hand-written gate record each decision under this process configuration', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    await gateOn(ctx, 'a need this test has', undefined);
    const skipped = await gateOn({ ...ctx, skip: (note?: string): never => { throw new Error(`skipped: ${note}`); } }, 'a need this test lacks', 'lacking: run on `npm run test:main`').then(() => 'ran', (e: unknown) => String(e));
    expect(skipped).toBe('Error: skipped: lacking: run on `npm run test:main`');
    const name = `${ctx.task.file.name} > ${ctx.task.name}`;
    const configuration = configurationName(gpu);
    expect(records().filter((r) => r.kind === 'gate')).toEqual([
      { kind: 'gate', configuration, test: name, need: 'device', outcome: 'ran' },
      { kind: 'gate', configuration, test: name, need: 'a need this test has', outcome: 'ran' },
      { kind: 'gate', configuration, test: name, need: 'a need this test lacks', outcome: 'skipped', reason: 'lacking: run on `npm run test:main`' },
    ]);
    expect((await probeCapabilities()).gpu?.summary.adapterFeatures).toEqual([...gpu.adapter.features].map(String).sort());
  });
});

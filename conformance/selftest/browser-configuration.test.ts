/**
 * The browser configuration comes up as what it claims to be, and says what a page cannot do
 * (spec/capabilities.md [harness.browser.*]). Runs only in the chromium-swiftshader project (vitest.config.ts):
 * the harness's device is the page's navigator.gpu in Chromium, executed by SwiftShader at the core level.
 */
import { describe, expect, test } from 'vitest';
import type { Implementation } from '../../spec/implementation.js';
import { formatCapabilityReport, probeCapabilities } from '../harness/capabilities.js';
import { gate } from '../harness/gates.js';
import { runProgram } from '../harness/run-program.js';
import type { ProgramRun, ProgramSuccess } from '../harness/run-program.js';
import { envVar, inNode } from '../harness/runtime.js';
import { DOUBLE, doubleGraph, elementwiseWgsl, tinyImpl } from './fixtures/tiny-programs.js';

const N = 100;
const x = Float32Array.from({ length: N }, (_, i) => i - 50);
const double = (): Implementation => tinyImpl('double', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]);

function succeeded(r: ProgramRun): ProgramSuccess {
  if (!r.ok) throw new Error(`expected success, got ${r.message}`);
  return r;
}

describe('the chromium-swiftshader configuration', () => {
  test('[harness.browser.1] the tests run in a page with no Node, and the run\'s WGFUSE_* settings reach it as the project\'s env', () => {
    expect(inNode).toBe(false);
    expect((globalThis as { process?: unknown }).process).toBeUndefined();
    expect(envVar('WGFUSE_BACKEND')).toBe('navigator');
  });

  test('[harness.browser.3] the device is Chromium\'s navigator.gpu over SwiftShader, core, and the summary says so', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const report = formatCapabilityReport(await probeCapabilities());
    console.log(report);
    expect(gpu.backend).toBe('navigator');
    expect(gpu.tier).toBe('software');
    expect(gpu.summary).toMatchObject({ configuration: 'chromium-swiftshader', runtime: 'browser', featureLevel: 'core', architecture: 'swiftshader' });
    expect(report).toContain('configuration: chromium-swiftshader (browser, software, core)');
  });

  test('[harness.browser.2] without async context the facade still counts a program\'s own work and refuses what it submits after its run resolved', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const run = (impl: Implementation): Promise<ProgramRun> => runProgram(impl, doubleGraph(N), new Map(), [x], gpu, { timeoutMs: 5_000 });
    const first = succeeded(await run(double()));
    expect(first.counts).toMatchObject({ dispatches: 1, distinctPipelines: 1, computeEntryPoints: 1, submits: 1 });
    expect(first.outputs[0]).toEqual(x.map((v) => v * 2));
    const inner = double();
    const late: Implementation = {
      name: 'late',
      compile: async (g, k, device) => {
        const p = await inner.compile(g, k, device);
        // Resolves at once and submits a moment later, as a fire-and-forget promise would.
        return { ...p, run: async (io) => void setTimeout(() => void p.run(io), 0) };
      },
    };
    const r = await run(late);
    expect(r).toMatchObject({ ok: false, rule: 'interface.run.4', stage: 'run' });
    const next = succeeded(await run(double()));
    expect(next.counts).toMatchObject({ dispatches: 1, submits: 1 });
  });
});

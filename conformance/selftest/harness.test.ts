/**
 * The harness checks itself: kernel counting, canaries, failure reporting and capability gating,
 * driven by hand-written tiny implementations (conformance/harness/tiny-programs.ts) whose right
 * answers are known. GPU tests pass through the gate, so they skip with a reason where there is no
 * adapter, and fail under WGFUSE_REQUIRE_ADAPTER=1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Capabilities } from '../harness/capabilities.js';
import { formatCapabilityReport, probeCapabilities } from '../harness/capabilities.js';
import { countComputeEntryPoints } from '../harness/counter.js';
import { deviceFacade } from '../harness/program-device.js';
import { gate, unmetNeed } from '../harness/gates.js';
import { CANARY_BITS, canaryIndices } from '../harness/io.js';
import { runProgram } from '../harness/run-program.js';
import type { ProgramRun, ProgramSuccess } from '../harness/run-program.js';
import { describeError, withTimeout } from '../harness/timeout.js';
import { DOUBLE, PAST_END, SKIPS_3, bindIO, doubleGraph, elementwiseWgsl, failingImpl, tinyImpl } from './fixtures/tiny-programs.js';
import type { Implementation } from '../../spec/implementation.js';
import { acquireGpu, getGpu, tierOf } from '../harness/device.js';
import type { Gpu } from '../harness/device.js';

const N = 100;
const SHORT_MS = 500;
const graph = doubleGraph(N);
const x = Float32Array.from({ length: N }, (_, i) => i - 50);
const noKernels = new Map();

const run = (impl: Implementation, gpu: Gpu, timeoutMs = 5_000): Promise<ProgramRun> => runProgram(impl, graph, noKernels, [x], gpu, { timeoutMs });

function succeeded(r: ProgramRun): ProgramSuccess {
  if (!r.ok) throw new Error(`expected success, got ${r.message}`);
  return r;
}

const noAdapter: Capabilities = {
  tier: 'none',
  gpu: undefined,
  attempts: [
    { backend: 'vulkan', message: "Dawn found no vulkan adapter at feature level 'core'" },
    { backend: 'opengl', message: "Dawn found no opengl adapter at feature level 'compatibility'" },
  ],
};

describe('harness without a GPU', () => {
  // These tests set the environment they describe; the run's own settings come back afterwards.
  const saved = { WGFUSE_REQUIRE_ADAPTER: process.env['WGFUSE_REQUIRE_ADAPTER'], WGFUSE_BACKEND: process.env['WGFUSE_BACKEND'] };
  beforeEach(() => {
    delete process.env['WGFUSE_BACKEND'];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('[harness.timeout.1] withTimeout rejects a promise that never settles, naming what it waited for', async () => {
    const start = performance.now();
    await expect(withTimeout(new Promise(() => undefined), 50, 'the moon')).rejects.toThrow('timed out after 50 ms: the moon');
    expect(performance.now() - start).toBeLessThan(1_000);
    await expect(withTimeout(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeError('plain')).toBe('plain');
  });

  it('[harness.count.3] countComputeEntryPoints counts @compute attributes outside comments', () => {
    expect(countComputeEntryPoints(elementwiseWgsl(4, DOUBLE))).toBe(1);
    expect(countComputeEntryPoints(elementwiseWgsl(4, DOUBLE, ['a', 'b', 'c']))).toBe(3);
    const commented = '// @compute fn a() {}\n/* @compute /* nested @compute */ still comment @compute */\n@ compute @workgroup_size(1) fn b() {}';
    expect(countComputeEntryPoints(commented)).toBe(1);
    expect(countComputeEntryPoints('@computed_not_an_attribute')).toBe(0);
  });

  it('[harness.device.2] tiers: null backend validation, CPU rasterizers software, anything else hardware', () => {
    const info = { description: '', device: '', vendor: '', architecture: '' };
    expect(tierOf('null', info)).toBe('validation');
    expect(tierOf('opengl', { ...info, description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6', device: 'llvmpipe-llvm-15-0-6-256-bits-' })).toBe('software');
    expect(tierOf('navigator', { ...info, description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('software');
    expect(tierOf('vulkan', { ...info, isFallbackAdapter: true })).toBe('software');
    expect(tierOf('vulkan', { ...info, description: 'NVIDIA H100 80GB HBM3', vendor: 'nvidia' })).toBe('hardware');
  });

  it('[harness.device.1] acquisition never throws: a bad WGFUSE_BACKEND is a failed attempt that says why', async () => {
    process.env['WGFUSE_BACKEND'] = 'metal-on-linux';
    const acquired = await acquireGpu();
    expect(acquired).toEqual({ ok: false, attempts: [{ backend: 'auto', message: expect.stringMatching(/^WGFUSE_BACKEND='metal-on-linux' is not one of auto, navigator, vulkan/) }] });
  });

  it('[harness.caps.1] the capability report names the tier, the failed attempts and what each tier means', () => {
    const report = formatCapabilityReport(noAdapter);
    expect(report).toContain('tier:          none');
    expect(report).toContain("vulkan    Dawn found no vulkan adapter at feature level 'core'");
    expect(report).toContain('apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri');
    for (const tier of ['none', 'validation', 'software', 'hardware']) expect(report).toMatch(new RegExp(`^  ${tier} +\\S`, 'm'));
  });

  it('[harness.gate.1] with no adapter the skip reason lists the tried backends and how to get one', async () => {
    delete process.env['WGFUSE_REQUIRE_ADAPTER'];
    const unmet = unmetNeed(noAdapter, { execution: true });
    expect(unmet?.adapterMissing).toBe(true);
    expect(unmet?.reason).toMatch(/^no WebGPU adapter: tried vulkan \(.*\), opengl \(.*\); install Mesa EGL: apt-get install/);
    const skipped: string[] = [];
    const ctx = { skip: (note?: string): never => (skipped.push(note ?? ''), (() => { throw new Error('skipped'); })()) };
    await expect(gate(ctx, { device: true }, noAdapter)).rejects.toThrow('skipped');
    expect(skipped[0]).toBe(unmet?.reason);
  });

  it('[harness.gate.2] under WGFUSE_REQUIRE_ADAPTER=1 a missing adapter fails the test instead of skipping it', async () => {
    process.env['WGFUSE_REQUIRE_ADAPTER'] = '1';
    const ctx = { skip: (): never => { throw new Error('skip must not be called'); } };
    await expect(gate(ctx, { execution: true }, noAdapter)).rejects.toThrow(/^\[harness\.gate\.2\] WGFUSE_REQUIRE_ADAPTER=1: no WebGPU adapter: tried vulkan/);
  });
});

describe('harness on a device', () => {
  it('[harness.caps.2] the probed capabilities name a tier and, with a device, its backend and limits', async (ctx) => {
    const caps = await probeCapabilities();
    const report = formatCapabilityReport(caps);
    expect(report).toContain(`tier:          ${caps.tier}`);
    console.log(report);
    const gpu = await gate(ctx, { device: true });
    expect(report).toContain(`backend:       ${gpu.backend}`);
    expect(report).toMatch(/maxStorageBuffersPerShaderStage +\d+/);
    if (/llvmpipe/.test(gpu.summary.device + gpu.summary.description)) expect(gpu.tier).toBe('software');
  });

  it('[harness.gate.3] a missing feature or limit skips even under WGFUSE_REQUIRE_ADAPTER=1', async (ctx) => {
    const caps = await probeCapabilities();
    await gate(ctx, { device: true });
    const unmet = unmetNeed(caps, { limit: ['maxStorageBuffersPerShaderStage', 1e9] });
    expect(unmet?.adapterMissing).toBe(false);
    expect(unmet?.reason).toMatch(/^device limit maxStorageBuffersPerShaderStage is \d+, the test needs >= 1000000000/);
    // A limit some configuration grants names where to get it ([harness.ledger.2]).
    const core = unmetNeed({ ...caps, gpu: caps.gpu === undefined ? undefined : { ...caps.gpu, device: { ...caps.gpu.device, limits: { ...caps.gpu.device.limits, maxComputeInvocationsPerWorkgroup: 128 } } as GPUDevice } }, { limit: ['maxComputeInvocationsPerWorkgroup', 256] });
    expect(core?.reason).toMatch(/declare it in needs\.limits, or run on `npm run test:swiftshader` \(dawn-vulkan-swiftshader\)/);
    const lacks = unmetNeed(caps, { feature: 'texture-compression-astc-sliced-3d' });
    expect(lacks?.reason).toMatch(/^device does not have feature 'texture-compression-astc-sliced-3d'/);
  });

  it('[harness.count.1] a program that submits no dispatch counts 0 dispatches and 1 submit', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const r = succeeded(await run(tinyImpl('none', N, [], []), gpu));
    expect(r.counts).toEqual({ dispatches: 0, distinctPipelines: 0, computeEntryPoints: 0, pipelinesCreated: 0, modulesCreated: 0, submits: 1 });
    expect(r.executed).toBe(gpu.tier !== 'validation');
  });

  it('[harness.count.2] one dispatch counts 1 dispatch, 1 pipeline and 1 @compute entry point', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const r = succeeded(await run(tinyImpl('one', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), gpu));
    expect(r.counts).toMatchObject({ dispatches: 1, distinctPipelines: 1, computeEntryPoints: 1, submits: 1 });
    expect(r.compileCounts).toMatchObject({ pipelinesCreated: 1, modulesCreated: 1, dispatches: 0 });
  });

  it('[harness.count.4] three dispatches over two pipelines: entry points are summed over distinct pipelines', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const modules = [elementwiseWgsl(N, DOUBLE), elementwiseWgsl(N, DOUBLE, ['first', 'second'])];
    const dispatches = [{ module: 0, entry: 'main' }, { module: 1, entry: 'second' }, { module: 0, entry: 'main' }];
    const r = succeeded(await run(tinyImpl('three', N, modules, dispatches), gpu));
    expect(r.counts).toMatchObject({ dispatches: 3, distinctPipelines: 2, computeEntryPoints: 3, submits: 1 });
  });

  it('[harness.count.5] a program counts only what it submitted inside its window, wherever it was encoded', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const facade = deviceFacade(gpu.device);
    expect(deviceFacade(gpu.device)).toBe(facade);
    const device = facade.device;
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: elementwiseWgsl(4, DOUBLE) }) } });
    const buffer = (label: string): GPUBuffer => device.createBuffer({ label, size: 64, usage: 0x80 });
    const bind = bindIO(device, pipeline, { inputs: [buffer('x')], outputs: [buffer('out')] });
    const encode = (count: number): GPUCommandBuffer => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      for (let k = 0; k < count; k++) pass.dispatchWorkgroups(1);
      pass.end();
      return encoder.finish();
    };
    const early = encode(2);
    device.queue.submit([encode(5)]); // outside any program: the harness's own work, not counted
    const { counts } = await facade.program().within('run', async () => {
      encode(7); // encoded inside, never submitted: not counted
      device.queue.submit([early]);
    });
    expect(counts).toMatchObject({ dispatches: 2, distinctPipelines: 1, computeEntryPoints: 1, submits: 1 });
    await gpu.device.queue.onSubmittedWorkDone();
  });

  it('[harness.count.6] work another program submits while a run is in flight does not change that run\'s counts', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const solo = succeeded(await run(tinyImpl('double', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), gpu));
    // A slow program (its run waits before submitting) beside a busy, unrelated one that submits many times meanwhile.
    const inner = tinyImpl('slow double', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]);
    const slow: Implementation = {
      name: 'slow double',
      compile: async (g, k, device) => {
        const p = await inner.compile(g, k, device);
        return { ...p, run: async (io) => { await new Promise((r) => setTimeout(r, 50)); await p.run(io); } };
      },
    };
    const busy = tinyImpl('busy', N, [elementwiseWgsl(N, DOUBLE)], Array.from({ length: 5 }, () => ({ module: 0, entry: 'main' })));
    const [concurrent] = await Promise.all([run(slow, gpu), run(busy, gpu), run(busy, gpu)]);
    expect(succeeded(concurrent as ProgramRun).counts).toEqual(solo.counts);
  });

  it('[interface.run.4] work a program submits after its run() resolved is its own failure, refused, and never counted for the next program', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const inner = tinyImpl('late', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]);
    const late: Implementation = {
      name: 'late',
      compile: async (g, k, device) => {
        const p = await inner.compile(g, k, device);
        // Resolves at once and submits a moment later, as a fire-and-forget promise would.
        return { ...p, run: async (io) => void setTimeout(() => void p.run(io), 0) };
      },
    };
    const r = await run(late, gpu);
    expect(r).toMatchObject({ ok: false, rule: 'interface.run.4', stage: 'run' });
    expect(r.ok ? '' : r.message).toMatch(/\[interface\.run\.4\] implementation 'late', stage run: submitted work after its run\(\) resolved, which the harness refused: queue\.submit of 1 command buffer\(s\) with 1 dispatch\(es\)/);
    const next = succeeded(await run(tinyImpl('double', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), gpu));
    expect(next.counts).toMatchObject({ dispatches: 1, submits: 1 });
  });

  it('[interface.run.1] a correct program computes the graph in the harness buffers, canaries intact', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const r = succeeded(await run(tinyImpl('double', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), gpu));
    expect(r.executed).toBe(true);
    expect(r.outputs[0]).toEqual(x.map((v) => v * 2));
    expect(r.canaryViolations).toEqual([]);
    expect(r.wgsl).toHaveLength(1);
  });

  it('[interface.buffers.2] a store one element past the tensor is a canary violation', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const r = succeeded(await run(tinyImpl('past-end', N, [elementwiseWgsl(N, PAST_END)], [{ module: 0, entry: 'main' }]), gpu));
    expect(r.canaryViolations).toEqual([{ output: 0, index: N, bits: new Uint32Array(new Float32Array([98]).buffer)[0] }]);
  });

  it('[interface.buffers.3] an output element never stored reads back as the canary', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const r = succeeded(await run(tinyImpl('skips-3', N, [elementwiseWgsl(N, SKIPS_3)], [{ module: 0, entry: 'main' }]), gpu));
    const out = r.outputs[0] as Float32Array;
    expect(canaryIndices(out)).toEqual([3]);
    expect(new Uint32Array(out.buffer)[3]).toBe(CANARY_BITS);
    expect(r.canaryViolations).toEqual([]);
  });

  it('[interface.inputs.1] inputs that do not fit the graph are reported at stage setup, before compile', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const impl: Implementation = { name: 'unreached', compile: () => Promise.reject(new Error('compile must not be called')) };
    const r = await runProgram(impl, graph, noKernels, [new Float32Array(N - 1)], gpu, { timeoutMs: SHORT_MS });
    expect(r).toMatchObject({ ok: false, stage: 'setup' });
    expect(r.ok ? '' : r.message).toBe(`[interface.inputs.1] implementation 'unreached', stage setup: input 0 (%0 [${N}]) needs ${N} elements, got ${N - 1}`);
  });

  it('[interface.compile.1] a compile that throws is reported at stage compile, naming the implementation', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const impl: Implementation = { name: 'throws', compile: () => Promise.reject(new Error('no lowering for op mul')) };
    const r = await run(impl, gpu, SHORT_MS);
    expect(r).toMatchObject({ ok: false, stage: 'compile' });
    expect(r.ok ? '' : r.message).toBe("[interface.compile.1] implementation 'throws', stage compile: compile() threw: no lowering for op mul");
  });

  it('[interface.compile.3] a hanging compile is reported, not waited on', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const start = performance.now();
    const r = await run({ name: 'stuck', compile: () => new Promise(() => undefined) }, gpu, SHORT_MS);
    expect(performance.now() - start).toBeLessThan(SHORT_MS + 1_000);
    expect(r).toMatchObject({ ok: false, stage: 'compile' });
    expect(r.ok ? '' : r.message).toContain(`[interface.compile.3] implementation 'stuck', stage compile: compile() did not settle: timed out after ${SHORT_MS} ms`);
  });

  it('[interface.run.2] a hanging run is reported, not waited on', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const start = performance.now();
    const r = await run(failingImpl('hangs', () => new Promise(() => undefined)), gpu, SHORT_MS);
    expect(performance.now() - start).toBeLessThan(SHORT_MS + 1_000);
    expect(r).toMatchObject({ ok: false, stage: 'run' });
    expect(r.ok ? '' : r.message).toContain(`[interface.run.2] implementation 'hangs', stage run: run() did not settle: timed out after ${SHORT_MS} ms: hangs run()`);
  });

  it('[interface.run.3] a WGSL validation error raised by run is reported at stage validation', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const impl = failingImpl('bad-wgsl', async (device, io) => {
      const module = device.createShaderModule({ code: elementwiseWgsl(N, 'out[i] = undefined_name;') });
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.dispatchWorkgroups(1);
      pass.end();
      device.queue.submit([encoder.finish()]);
      void io;
    });
    const errorsBefore = gpu.uncapturedErrors.length;
    const r = await run(impl, gpu, SHORT_MS);
    expect(r).toMatchObject({ ok: false, stage: 'validation' });
    expect(r.ok ? '' : r.message).toMatch(/^\[interface\.run\.3\] implementation 'bad-wgsl', stage validation: run\(\) raised a WebGPU validation error: .*undefined_name/s);
    expect(gpu.uncapturedErrors.length).toBe(errorsBefore);
  });

  it('[interface.compile.2] a WebGPU validation error raised by compile is reported at stage validation', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const impl: Implementation = {
      name: 'bad-buffer',
      compile: async (_graph, _kernels, device) => {
        // Usage 0 is invalid: a validation error, raised inside compile.
        device.createBuffer({ size: 16, usage: 0 });
        return { wgsl: [], dispose: () => undefined, run: async () => undefined };
      },
    };
    const r = await run(impl, gpu, SHORT_MS);
    expect(r).toMatchObject({ ok: false, stage: 'validation' });
    expect(r.ok ? '' : r.message).toMatch(/^\[interface\.compile\.2\] implementation 'bad-buffer', stage validation: compile\(\) raised a WebGPU validation error/);
  });

  it('[interface.device.2] an error the implementation causes after run() resolves is blamed on it, not on the next program', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    // The error comes from a timer, so it lands either in the harness's error scope around run() or,
    // once that is closed, in the device's uncaptured-error handler; runProgram settles before it
    // returns, so either way this run reports it and the next run starts clean.
    const impl = failingImpl('late-error', async (device) => {
      setTimeout(() => device.createBuffer({ size: 16, usage: 0 }), 0);
    });
    const r = await run(impl, gpu, SHORT_MS);
    expect(r).toMatchObject({ ok: false, stage: 'validation' });
    expect(r.ok ? '' : r.message).toMatch(/^\[interface\.(device\.2|run\.3)\] implementation 'late-error', stage validation: /);
    const next = await run(tinyImpl('clean', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), gpu, SHORT_MS);
    expect(next.ok, next.ok ? '' : next.message).toBe(true);
  });

  // Last in the file: it destroys the shared device, and getGpu() must replace it for whoever comes next.
  it('[interface.device.1] a device lost during run is reported at stage device-lost, and the next acquisition is fresh', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    const r = await run(failingImpl('destroys', async (device) => device.destroy()), gpu, SHORT_MS);
    expect(r).toMatchObject({ ok: false, stage: 'device-lost' });
    expect(r.ok ? '' : r.message).toMatch(/^\[interface\.device\.1\] implementation 'destroys', stage device-lost: the device was lost/);
    const next = await getGpu();
    expect(next.ok && next.gpu.device !== gpu.device && next.gpu.lostInfo === undefined).toBe(true);
    const again = await gate(ctx, { device: true });
    const ok = succeeded(await run(tinyImpl('after-loss', N, [elementwiseWgsl(N, DOUBLE)], [{ module: 0, entry: 'main' }]), again));
    expect(ok.counts.dispatches).toBe(1);
  });
});

/**
 * Kernel time of the reference's fused matmul, relu(a·b + bias), for several configs [BM, BN, BK] on a
 * GPU (`npx tsx scripts/matmul-bench.ts [--size 2048] [--configs 16,16,16:128,128,8]`, WGFUSE_BACKEND=vulkan
 * as scripts/gpu-bench.sh sets it): the device of scripts/lib/bench-kernel.ts (the adapter's own workgroup
 * limits, so 256 lanes where it grants them), ~0.5 s of back-to-back dispatches to raise the clock, then the
 * wall time of many dispatches in one pass, divided, per round; median and lowest of 5 rounds. Each config's
 * output is checked against the CPU at 256 sampled elements. Reports ms and TFLOP/s (2·M·N·K per kernel).
 */
import { generateProgram, lowerGraph, matmul, registerTile, TEMPLATES, createRegistry, trace } from '../reference/index.js';
import type { CodegenLimits, Tensor } from '../reference/index.js';
import { openBenchDevice } from './lib/bench-kernel.js';

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function data(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround((a / 2 ** 32) * 2 - 1);
  }
  return out;
}

const size = Number(arg('size', '2048'));
const configs = arg('configs', '16,16,16:64,64,8:128,128,8:128,64,8:64,64,16:128,128,16:128,64,16').split(':').map((c) => c.split(',').map(Number));
const bench = await openBenchDevice('vulkan');
const { device } = bench;
const limits = device.limits as unknown as CodegenLimits;
const lanes = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
console.log(`adapter: ${bench.adapter}; ${size}³ f32, relu(a·b + bias), lanes ${lanes}`);
const [m, k, n] = [size, size, size];
const host = { a: data(m * k, 1), b: data(k * n, 2), bias: data(n, 3) };
const buffer = (values: Float32Array): GPUBuffer => {
  const b = device.createBuffer({ size: values.byteLength, usage: STORAGE | COPY_DST | COPY_SRC });
  device.queue.writeBuffer(b, 0, values);
  return b;
};
const inputs = { a: buffer(host.a), b: buffer(host.b), bias: buffer(host.bias) };
const out = device.createBuffer({ size: m * n * 4, usage: STORAGE | COPY_SRC });
const readback = device.createBuffer({ size: m * n * 4, usage: MAP_READ | COPY_DST });

async function wall(pipeline: GPUComputePipeline, group: GPUBindGroup, grid: readonly [number, number, number], count: number): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  for (let i = 0; i < count; i++) pass.dispatchWorkgroups(...grid);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / count;
}

for (const blockSizes of configs) {
  const registry = createRegistry();
  const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes } } });
  const graph = trace((x: Tensor, y: Tensor, z: Tensor) => mm(x, y).add(z).relu(), { a: [m, k], b: [k, n], bias: [n] });
  let source;
  try {
    [source] = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, limits);
  } catch (e) {
    console.log(`[${blockSizes.join(',')}]: ${(e as Error).message}`);
    continue;
  }
  if (source === undefined) continue;
  const byId = new Map<number, GPUBuffer>(graph.inputs.map((id, j) => [id, [inputs.a, inputs.b, inputs.bias][j] as GPUBuffer]));
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: source.wgsl }), entryPoint: 'main' } });
  const entries = [...source.reads.map((id) => byId.get(id) as GPUBuffer), out].map((b, binding) => ({ binding, resource: { buffer: b } }));
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const first = await wall(pipeline, group, source.grid, 1);
  const per = Math.max(3, Math.min(200, Math.ceil(500 / Math.max(first, 0.05))));
  await wall(pipeline, group, source.grid, per);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) rounds.push(await wall(pipeline, group, source.grid, per));
  rounds.sort((x, y) => x - y);
  const median = rounds[2] as number;
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(out, 0, readback, 0, m * n * 4);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(MAP_READ);
  const got = new Float32Array(readback.getMappedRange().slice(0));
  readback.unmap();
  let worst = 0;
  for (let s = 0; s < 256; s++) {
    const [i, j] = [(s * 7919) % m, (s * 104729) % n];
    let sum = 0;
    for (let t = 0; t < k; t++) sum += (host.a[i * k + t] as number) * (host.b[t * n + j] as number);
    const want = Math.max(0, sum + (host.bias[j] as number));
    worst = Math.max(worst, Math.abs((got[i * n + j] as number) - want));
  }
  const { tm, tn, threads } = registerTile(blockSizes, lanes);
  const tflops = (2 * m * n * k) / (median * 1e-3) / 1e12;
  console.log(
    `[${blockSizes.join(',')}] ${threads} invocations of ${tm}x${tn}: ${median.toFixed(3)} ms median (${(rounds[0] as number).toFixed(3)} lowest), ` +
      `${tflops.toFixed(1)} TFLOP/s, ${per} dispatches a round; max |err| ${worst.toExponential(2)}`,
  );
}
device.destroy();

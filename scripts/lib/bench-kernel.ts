/**
 * Kernel time of the seed chain's fused kernel, measured the way issue 11 asks (`npm run bench -- --parts
 * kernel`): a device of its own, opened with Dawn's timestamp quantization off and the adapter's buffer
 * limits, so 2^26 f32 tensors bind; each kernel run ~1 s back to back first, so the GPU's clock is up; then
 * pass timestamps around each dispatch (or, without `timestamp-query`, the wall time of many dispatches
 * in one pass), several rounds, median and spread. Beside each variant of the reference, a plain vec4 copy
 * kernel in the same run is the bandwidth ceiling; the host round trip of `run()` is reported apart.
 */
import { dawnInstance } from '../../conformance/harness/dawn.js';
import { SWIFTSHADER_ICD } from '../../conformance/harness/device.js';
import { generateProgram, lowerGraph, TEMPLATES, trace } from '../../reference/index.js';
import type { CodegenLimits, KernelSource, Tensor } from '../../reference/index.js';
import { fusedReference } from '../../reference/implementation.js';
import { chainOnCpu, pseudoRandom, seedChain, spread } from './bench-measure.js';

export interface KernelBenchDevice {
  readonly device: GPUDevice;
  readonly adapter: string;
  readonly backend: string;
  readonly timestamps: boolean;
}

/** Dawn's quantization rounds timestamps to 65.536 µs steps on NVIDIA; off, they are the GPU's own. */
const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

/** A device with timestamp-query where the adapter has it and the adapter's own buffer and workgroup limits. */
export async function openBenchDevice(backend: 'vulkan' | 'opengl' | 'opengles', flags: readonly string[] = []): Promise<KernelBenchDevice> {
  const instance = await dawnInstance(backend, SWIFTSHADER_ICD, [...DAWN_FLAGS, ...flags]);
  const adapter = (await instance.requestAdapter({ powerPreference: 'high-performance' })) ?? (await instance.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
  if (adapter === null) throw new Error(`bench: no ${backend} adapter`);
  const timestamps = adapter.features.has('timestamp-query');
  const wanted = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage'] as const;
  const requiredLimits: Record<string, number> = {};
  for (const name of wanted) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredFeatures: timestamps ? ['timestamp-query'] : [], requiredLimits });
  const info = adapter.info;
  return { device, adapter: [info.vendor, info.architecture, info.device, info.description].filter((x) => x !== '').join(' '), backend, timestamps };
}

/** One kernel to time: its WGSL, grid, and each binding's buffer range. */
export interface Launch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly grid: readonly [number, number, number];
}

export interface KernelRow {
  readonly variant: string;
  readonly n: number;
  /** Bytes moved per run: the chain reads x and y and writes out (3·4·N); the copy 2·4·N. */
  readonly bytes: number;
  readonly grid: readonly [number, number, number];
  /** ms per kernel: the median over rounds of each round's median, and the lowest and highest round medians. */
  readonly median: number;
  readonly low: number;
  readonly high: number;
  readonly gbps: number;
  /** ms per kernel run back to back in one pass (timeLaunch's backToBack), the median over rounds. */
  readonly backToBack: number;
  /** Largest |out − CPU| after timing (NaN for the copy, checked exactly instead: 0 or Infinity). */
  readonly maxAbsError: number;
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const QUERY_RESOLVE = 0x200;

export function launchOf(device: GPUDevice, wgsl: string, grid: readonly [number, number, number], entries: { buffer: GPUBuffer; offset?: number; size?: number }[]): Launch {
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: wgsl }), entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: entries.map((resource, binding) => ({ binding, resource })) });
  return { pipeline, bindGroup, grid };
}

/** n f32 of a storage buffer from byte `offset`, copied back. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, n: number, offset = 0): Promise<Float32Array> {
  const r = device.createBuffer({ size: 4 * n, usage: MAP_READ | COPY_DST });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(buffer, offset, r, 0, 4 * n);
  device.queue.submit([e.finish()]);
  await r.mapAsync(MAP_READ);
  const v = new Float32Array(r.getMappedRange().slice(0));
  r.unmap();
  r.destroy();
  return v;
}

/** The device's limits codegen reads, as a plain object: GPUSupportedLimits keeps its fields on the prototype, where a spread does not see them. */
export function limitsOf(device: GPUDevice): CodegenLimits {
  const d = device.limits;
  return {
    maxComputeInvocationsPerWorkgroup: d.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: d.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: d.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupSizeZ: d.maxComputeWorkgroupSizeZ,
    maxComputeWorkgroupsPerDimension: d.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: d.maxStorageBuffersPerShaderStage,
    maxStorageBufferBindingSize: d.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: d.maxComputeWorkgroupStorageSize,
  };
}

/** A reference kernel bound as the executor binds it (views of a vec4 kernel included), `buffers` its reads then its store. */
export function referenceLaunch(device: GPUDevice, source: KernelSource, buffers: readonly GPUBuffer[]): Launch {
  const views = source.views ?? buffers.map((_, of) => ({ of, offset: 0, size: undefined }));
  return launchOf(device, source.wgsl, source.grid, views.map((v) => ({ buffer: buffers[v.of] as GPUBuffer, offset: v.offset, ...(v.size === undefined ? {} : { size: v.size }) })));
}

/** `dst = src` over N f32 as vec4f, 256 lanes (or the device's limit), the grid folded as the reference folds it. */
function copyWgsl(n: number, lanes: number, gx: number): string {
  return [
    '@group(0) @binding(0) var<storage, read> src: array<vec4f>;',
    '@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;',
    `@compute @workgroup_size(${lanes})`,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
    `  let i = (wg.x + wg.y * ${gx}u) * ${lanes}u + lid.x;`,
    `  if (i >= ${n / 4}u) { return; }`,
    '  dst[i] = src[i];',
    '}',
  ].join('\n');
}

/** The fold the reference used before issue 11: [min(T, 65535), ⌈T/65535⌉], up to 65534 idle workgroups. */
function oldFold(source: KernelSource, perDim: number): KernelSource {
  const tiles = Number(/if \(tile >= (\d+)u\)/.exec(source.wgsl)?.[1] ?? '0');
  const gx = Math.min(tiles, perDim);
  const wgsl = source.wgsl.replace(/let tile = wg\.x \+ wg\.y \* \d+u;/, `let tile = wg.x + wg.y * ${gx}u;`);
  return { ...source, wgsl, grid: [gx, Math.ceil(tiles / gx), 1] };
}

/**
 * `count` dispatches of `l`: each in a pass of its own whose timestamps bracket it, or (`together`, or
 * without a query set) all in one pass, timestamps at its start and end where there is a query set.
 */
function encodeDispatches(device: GPUDevice, l: Launch, count: number, timestamps: GPUQuerySet | undefined, together = false): GPUCommandEncoder {
  const encoder = device.createCommandEncoder();
  if (timestamps === undefined || together) {
    const pass = encoder.beginComputePass(timestamps === undefined ? {} : { timestampWrites: { querySet: timestamps, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(l.pipeline);
    pass.setBindGroup(0, l.bindGroup);
    for (let k = 0; k < count; k++) pass.dispatchWorkgroups(...l.grid);
    pass.end();
    return encoder;
  }
  for (let k = 0; k < count; k++) {
    const pass = encoder.beginComputePass({ timestampWrites: { querySet: timestamps, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } });
    pass.setPipeline(l.pipeline);
    pass.setBindGroup(0, l.bindGroup);
    pass.dispatchWorkgroups(...l.grid);
    pass.end();
  }
  return encoder;
}

export interface KernelTimingOptions {
  readonly rounds: number;
  /** Dispatches per round. */
  readonly dispatches: number;
  /** Wall ms of back-to-back dispatches before each kernel's rounds, to bring the GPU's clock up. */
  readonly warmMs: number;
}

/**
 * ms per kernel of each round, two ways. `each`: timestamps of each dispatch's own pass, the round's median
 * (else wall time / count). `backToBack`: one pass of the round's dispatches, (end − start) / count, the
 * barriers Dawn puts between dispatches included, as a CUDA graph's replay counts the gaps between its
 * kernels (else the same as `each`).
 */
export async function timeLaunch(bench: KernelBenchDevice, l: Launch, o: KernelTimingOptions): Promise<{ each: number[]; backToBack: number[] }> {
  const { device } = bench;
  const warmStart = performance.now();
  while (performance.now() - warmStart < o.warmMs) {
    device.queue.submit([encodeDispatches(device, l, 20, undefined).finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  const rounds: number[] = [];
  const backToBack: number[] = [];
  const querySet = bench.timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 * o.dispatches }) : undefined;
  const resolve = device.createBuffer({ size: 16 * o.dispatches, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: 16 * o.dispatches, usage: MAP_READ | COPY_DST });
  try {
    for (let r = 0; r < o.rounds; r++) {
      const encoder = encodeDispatches(device, l, o.dispatches, querySet);
      if (querySet === undefined) {
        const t0 = performance.now();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        rounds.push((performance.now() - t0) / o.dispatches);
        continue;
      }
      encoder.resolveQuerySet(querySet, 0, 2 * o.dispatches, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * o.dispatches);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(MAP_READ);
      const ticks = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      const each = Array.from({ length: o.dispatches }, (_, k) => Number((ticks[2 * k + 1] as bigint) - (ticks[2 * k] as bigint)) / 1e6);
      rounds.push(spread(each).median);
      const together = encodeDispatches(device, l, o.dispatches, querySet, true);
      together.resolveQuerySet(querySet, 0, 2, resolve, 0);
      together.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([together.finish()]);
      await read.mapAsync(MAP_READ);
      const [start, end] = new BigInt64Array(read.getMappedRange().slice(0, 16));
      read.unmap();
      backToBack.push(Number((end as bigint) - (start as bigint)) / 1e6 / o.dispatches);
    }
  } finally {
    querySet?.destroy();
    resolve.destroy();
    read.destroy();
  }
  return { each: rounds, backToBack: querySet === undefined ? rounds : backToBack };
}

/**
 * The row of an empty dispatch (one invocation, no memory): its `median` is the fixed cost pass timestamps
 * put around any dispatch, its `backToBack` what a dispatch costs in a run of them.
 */
export const EMPTY_PASS = 'empty dispatch, one invocation (the fixed cost)';

/** The row of the vec4 copy kernel, the bandwidth ceiling. */
export const COPY_CEILING = 'copy, vec4 (ceiling)';

/** The row length of the bias chain, relu(x·2 + b) with b [1024] broadcast along rows. */
const BIAS_ROW = 1024;
/** The bias chain's rows: scalar loads, and b read in quads ([codegen.vec4.3]). */
export const BIAS_SCALAR = 'bias chain relu(x*2 + b[1024]), scalar';
export const BIAS_VEC4 = 'bias chain relu(x*2 + b[1024]), b in quads';

/** The variants of the reference timed at each N, named by what differs from the default (the last). */
export interface Variant {
  readonly name: string;
  readonly blockSizes: [number, number];
  readonly vec4: boolean;
  /** Codegen sees at most this many invocations per workgroup: 16 runs the [4, 4] blocks unpacked, as before. */
  readonly lanes?: number;
  readonly oldFold?: boolean;
  /** Quads per invocation ([codegen.vec4.2]); absent, one. */
  readonly quadsPerLane?: 1 | 2 | 4 | 8;
}

export const VARIANTS: readonly Variant[] = [
  { name: '[4,4] as before: 16 lanes, scalar, old fold', blockSizes: [4, 4], vec4: false, lanes: 16, oldFold: true },
  { name: '[4,4] 16 lanes, scalar, exact fold', blockSizes: [4, 4], vec4: false, lanes: 16 },
  { name: '[4,4] packed lanes, scalar, old fold', blockSizes: [4, 4], vec4: false, oldFold: true },
  { name: '[4,4] packed lanes, scalar, exact fold', blockSizes: [4, 4], vec4: false },
  { name: '[8,16] packed, vec4, exact fold', blockSizes: [8, 16], vec4: true },
  { name: '[4,4] packed, vec4, exact fold, 2 quads a lane', blockSizes: [4, 4], vec4: true, quadsPerLane: 2 },
  { name: '[4,4] packed, vec4, exact fold, 4 quads a lane', blockSizes: [4, 4], vec4: true, quadsPerLane: 4 },
  { name: '[4,4] packed, vec4, exact fold, 8 quads a lane', blockSizes: [4, 4], vec4: true, quadsPerLane: 8 },
  { name: '[4,4] vec4, exact fold, 128 lanes', blockSizes: [4, 4], vec4: true, lanes: 128 },
  { name: '[4,4] packed, vec4, exact fold, 1 quad a lane (default)', blockSizes: [4, 4], vec4: true },
];

/** timeLaunch's rounds as a row's figures: the median, lowest and highest of `each`, and `backToBack`'s median. */
export function summarize(ms: { each: number[]; backToBack: number[] }): { median: number; low: number; high: number; backToBack: number } {
  const s = spread(ms.each);
  return { median: s.median, low: s.min, high: Math.max(...ms.each), backToBack: spread(ms.backToBack).median };
}

/** The seed chain's operands at N (x, y and the CPU's result) and storage buffers x, y, out holding them. */
export function chainBuffers(device: GPUDevice, n: number): { x: Float32Array; y: Float32Array; want: Float32Array; bx: GPUBuffer; by: GPUBuffer; out: GPUBuffer; destroy: () => void } {
  const x = pseudoRandom(n, 1);
  const y = pseudoRandom(n, 2);
  const make = (data: Float32Array | undefined): GPUBuffer => {
    const b = device.createBuffer({ size: 4 * n, usage: STORAGE | COPY_SRC | COPY_DST });
    if (data !== undefined) device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const [bx, by, out] = [make(x), make(y), make(undefined)];
  return { x, y, want: chainOnCpu(x, y), bx, by, out, destroy: () => [bx, by, out].forEach((b) => b.destroy()) };
}

/** Times every variant and the copy kernel at N, and the host round trip of the default variant's `run()`. */
export async function timeKernels(bench: KernelBenchDevice, n: number, o: KernelTimingOptions, say: (s: string) => void): Promise<{ rows: KernelRow[]; hostMs: { median: number; min: number } }> {
  const { device } = bench;
  const buffers = chainBuffers(device, n);
  const { x, want, bx, by, out } = buffers;
  const readBack = (): Promise<Float32Array> => readBuffer(device, out, n);
  const rows: KernelRow[] = [];
  const record = (variant: string, bytes: number, grid: readonly [number, number, number], ms: { each: number[]; backToBack: number[] }, maxAbsError: number): void => {
    const s = summarize(ms);
    const row = { variant, n, bytes, grid, ...s, gbps: bytes / (s.median * 1e6), maxAbsError };
    rows.push(row);
    say(`   N=2^${Math.log2(n)} ${variant}: ${row.median.toFixed(4)} ms (${row.low.toFixed(4)}…${row.high.toFixed(4)}), ${row.gbps.toFixed(0)} GB/s, grid ${grid.join('x')}, max |err| ${maxAbsError}`);
  };
  try {
    const limits = limitsOf(device);
    const lanes = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
    const copyTiles = Math.ceil(n / 4 / lanes);
    const gy = Math.ceil(copyTiles / limits.maxComputeWorkgroupsPerDimension);
    const copyGrid: [number, number, number] = [Math.ceil(copyTiles / gy), gy, 1];
    // What a timestamped pass costs with no work in it: one workgroup of one invocation that touches nothing.
    const empty = launchOf(device, '@compute @workgroup_size(1) fn main() {}', [1, 1, 1], []);
    record(EMPTY_PASS, 0, [1, 1, 1], await timeLaunch(bench, empty, o), 0);
    const copy = launchOf(device, copyWgsl(n, lanes, copyGrid[0]), copyGrid, [{ buffer: bx }, { buffer: out }]);
    const copyMs = await timeLaunch(bench, copy, o);
    const copied = await readBack();
    record(COPY_CEILING, 2 * 4 * n, copyGrid, copyMs, copied.every((v, i) => Object.is(v, x[i])) ? 0 : Number.POSITIVE_INFINITY);
    for (const v of VARIANTS) {
      const chain = seedChain([n], v.blockSizes);
      const seen = v.lanes === undefined ? limits : { ...limits, maxComputeInvocationsPerWorkgroup: v.lanes };
      const [source] = generateProgram(lowerGraph(chain.graph, TEMPLATES), TEMPLATES, seen, { vec4: v.vec4, ...(v.quadsPerLane === undefined ? {} : { quadsPerLane: v.quadsPerLane }) });
      if (source === undefined) throw new Error('bench: the chain compiled to no kernel');
      const timed = v.oldFold === true ? oldFold(source, limits.maxComputeWorkgroupsPerDimension) : source;
      device.queue.writeBuffer(out, 0, new Float32Array(n));
      const ms = await timeLaunch(bench, referenceLaunch(device, timed, [bx, by, out]), o);
      const got = await readBack();
      let err = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs((got[i] as number) - (want[i] as number));
        err = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(err, d);
      }
      record(v.name, 3 * 4 * n, timed.grid, ms, err);
    }
    // A bias broadcast along rows ([codegen.vec4.3]): relu(x·2 + b), x as [N/1024, 1024], b the first 1024 of y.
    if (n % BIAS_ROW === 0) {
      const bias = trace((t: Tensor, b: Tensor) => t.mul(2).add(b).relu(), { x: [n / BIAS_ROW, BIAS_ROW], b: [BIAS_ROW] });
      const y = pseudoRandom(BIAS_ROW, 2);
      for (const vec4 of [false, true]) {
        const [source] = generateProgram(lowerGraph(bias, TEMPLATES), TEMPLATES, limits, { vec4 });
        if (source === undefined) throw new Error('bench: the bias chain compiled to no kernel');
        device.queue.writeBuffer(out, 0, new Float32Array(n));
        const ms = await timeLaunch(bench, referenceLaunch(device, source, [bx, by, out]), o);
        const got = await readBack();
        let err = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.abs((got[i] as number) - Math.max(0, Math.fround(2 * (x[i] as number) + (y[i % BIAS_ROW] as number))));
          err = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(err, d);
        }
        record(vec4 ? BIAS_VEC4 : BIAS_SCALAR, 2 * 4 * n, source.grid, ms, err);
      }
    }
    // The host round trip: the compiled program's run() and onSubmittedWorkDone, GPU time included.
    const chain = seedChain([n], [4, 4]);
    const program = await fusedReference.compile(chain.graph, chain.kernels, device);
    const host: number[] = [];
    for (let k = 0; k < 3 * o.rounds; k++) {
      const t0 = performance.now();
      await program.run({ inputs: [bx, by], outputs: [out] });
      await device.queue.onSubmittedWorkDone();
      host.push(performance.now() - t0);
    }
    program.dispose();
    return { rows, hostMs: spread(host) };
  } finally {
    buffers.destroy();
  }
}

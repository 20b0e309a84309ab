import { TEMPLATES } from '../../conformance/reference-door.js';
/**
 * Measurements behind `npm run bench`, on the seed chain `relu(add(x*2, y+1))` (the registry's add
 * kernel with a prologue on each input and an epilogue): run time fused vs eager, intermediate buffer
 * memory, and compile cost with and without the pipeline cache.
 */
import { createIO } from '../../conformance/harness/io.js';
import { createRegistry, elementwiseAdd, generateProgram, lowerGraph, trace } from '../../reference/index.js';
import type { Graph, KernelCatalog, Shape } from '../../reference/index.js';
import { eagerReference, fusedReference } from '../../reference/implementation.js';
import type { Gpu } from '../../conformance/harness/device.js';
import type { CompiledProgram, Implementation } from '../../spec/implementation.js';

/** The add kernel's blocks: 128 invocations, the compatibility-mode limit. */
export const BLOCK_SIZES = [8, 16] as const;
/** Columns of the 2-D view of an N-element tensor, so every tile of [8, 16] is full. */
export const COLUMNS = 256;

export interface Chain {
  readonly shape: Shape;
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
}

/** `relu(add(x*2, y+1))` on tensors of `shape`, with a fresh registry holding the add kernel. */
export function seedChain(shape: Shape, blockSizes: readonly number[] = BLOCK_SIZES): Chain {
  const registry = createRegistry();
  const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [...blockSizes] } } });
  const graph = trace((x, y) => add(x.mul(2), y.add(1)).relu(), { x: shape, y: shape });
  return { shape, graph, kernels: registry.kernels };
}

/** N elements as [N / 256, 256] (N a multiple of 256), else [1, N]. */
export function chainShape(n: number): Shape {
  return n % COLUMNS === 0 ? [n / COLUMNS, COLUMNS] : [1, n];
}

/** What the chain computes, on the CPU in f32, to check a timed program's output once. */
export function chainOnCpu(x: Float32Array, y: Float32Array): Float32Array {
  return x.map((v, i) => Math.max(0, Math.fround(Math.fround(v * 2) + Math.fround((y[i] ?? 0) + 1))));
}

export interface Spread {
  readonly median: number;
  readonly min: number;
}

export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? Number.NaN };
}

export interface BufferCount {
  count: number;
  bytes: number;
}

/**
 * Counts device.createBuffer calls made while `fn` runs by patching the device instance (the harness
 * counter counts pipelines and dispatches, not buffers), then restores it.
 */
export async function countBuffers<T>(device: GPUDevice, fn: () => Promise<T>): Promise<{ result: T; buffers: BufferCount }> {
  const own = Object.getOwnPropertyDescriptor(device, 'createBuffer');
  const original = device.createBuffer;
  const buffers: BufferCount = { count: 0, bytes: 0 };
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    buffers.count++;
    buffers.bytes += descriptor.size;
    return original.call(device, descriptor);
  };
  try {
    return { result: await fn(), buffers };
  } finally {
    if (own === undefined) delete (device as { createBuffer?: unknown }).createBuffer;
    else Object.defineProperty(device, 'createBuffer', own);
  }
}

export interface TimingRow {
  readonly n: number;
  readonly reps: number;
  readonly fused: Spread;
  readonly eager: Spread;
  /** 3·4·N bytes (two reads, one write) over the fused median. */
  readonly fusedGBps: number;
  /** eager median / fused median. */
  readonly speedup: number;
  readonly fusedKernels: number;
  readonly eagerKernels: number;
  /** Largest |fused − CPU| over the output, checked once after timing. */
  readonly maxAbsError: number;
}

/** n f32 in [-2, 2) from a linear congruential generator: the benches' data, the same for the same seed. */
export function pseudoRandom(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround((a / 2 ** 32) * 4 - 2);
  }
  return out;
}

async function runOnce(device: GPUDevice, program: CompiledProgram, io: Parameters<CompiledProgram['run']>[0]): Promise<number> {
  const t0 = performance.now();
  await program.run(io);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/**
 * Compiles the chain fused and eager once, then times run() + onSubmittedWorkDone() alternately:
 * two warm-up runs each, then as many repetitions as fit `budgetMs` (at least 3, at most `maxReps`).
 */
export async function timeChain(gpu: Gpu, n: number, maxReps: number, budgetMs: number): Promise<TimingRow> {
  const { device } = gpu;
  const chain = seedChain(chainShape(n));
  const x = pseudoRandom(n, 1);
  const y = pseudoRandom(n, 2);
  const fused = await fusedReference.compile(chain.graph, chain.kernels, device);
  const eager = await eagerReference.compile(chain.graph, chain.kernels, device);
  const io = createIO(device, [x, y], [n]);
  try {
    let warm = 0;
    for (let k = 0; k < 2; k++) warm = (await runOnce(device, fused, io.io)) + (await runOnce(device, eager, io.io));
    const reps = Math.max(3, Math.min(maxReps, Math.floor(budgetMs / Math.max(warm, 1e-3))));
    const times = { fused: [] as number[], eager: [] as number[] };
    for (let k = 0; k < reps; k++) {
      times.fused.push(await runOnce(device, fused, io.io));
      times.eager.push(await runOnce(device, eager, io.io));
    }
    // The eager program ran last; run the fused one again so the output checked is its own.
    await runOnce(device, fused, io.io);
    const [out] = (await io.readBack(60_000)).outputs;
    const want = chainOnCpu(x, y);
    let maxAbsError = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs((out?.[i] ?? Number.NaN) - (want[i] ?? Number.NaN));
      // A NaN (or a missing output) is as wrong as it gets.
      maxAbsError = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbsError, d);
    }
    const f = spread(times.fused);
    const e = spread(times.eager);
    return {
      n,
      reps,
      fused: f,
      eager: e,
      fusedGBps: (3 * 4 * n) / (f.median * 1e6),
      speedup: e.median / f.median,
      fusedKernels: fused.wgsl.length,
      eagerKernels: eager.wgsl.length,
      maxAbsError,
    };
  } finally {
    io.destroy();
    fused.dispose();
    eager.dispose();
  }
}

export interface MemoryRow {
  readonly n: number;
  /** Inputs and output, owned by the caller: the same for both. */
  readonly ioBytes: number;
  readonly fused: BufferCount;
  readonly eager: BufferCount;
}

/** Buffers each implementation allocates in compile() for the chain at N: its intermediates. */
export async function chainMemory(gpu: Gpu, n: number): Promise<MemoryRow> {
  const chain = seedChain(chainShape(n));
  const measure = async (impl: Implementation): Promise<BufferCount> => {
    const { result, buffers } = await countBuffers(gpu.device, () => impl.compile(chain.graph, chain.kernels, gpu.device));
    result.dispose();
    return buffers;
  };
  return { n, ioBytes: 3 * 4 * n, fused: await measure(fusedReference), eager: await measure(eagerReference) };
}

export interface CompileCost {
  readonly shapes: number;
  /** lowerGraph + generateProgram only: no device work. */
  readonly codegen: Spread;
  readonly fusedMiss: Spread;
  readonly fusedHit: Spread;
  readonly eagerMiss: Spread;
  readonly eagerHit: Spread;
}

async function timeCompile(impl: Implementation, chain: Chain, device: GPUDevice): Promise<number> {
  const t0 = performance.now();
  const program = await impl.compile(chain.graph, chain.kernels, device);
  const ms = performance.now() - t0;
  program.dispose();
  return ms;
}

/**
 * Compile time for `shapes` shapes not compiled before in this process (shapes are baked into the
 * WGSL, so every pipeline is a cache miss), then again for the same shape (every pipeline a hit).
 */
export async function compileCost(gpu: Gpu, shapes: number): Promise<CompileCost> {
  const t = { codegen: [] as number[], fusedMiss: [] as number[], fusedHit: [] as number[], eagerMiss: [] as number[], eagerHit: [] as number[] };
  for (let k = 0; k < shapes; k++) {
    // Odd column counts no other part of the bench uses.
    const chain = seedChain([24, 1001 + 2 * k]);
    const t0 = performance.now();
    generateProgram(lowerGraph(chain.graph, TEMPLATES), TEMPLATES, gpu.device.limits);
    t.codegen.push(performance.now() - t0);
    t.fusedMiss.push(await timeCompile(fusedReference, chain, gpu.device));
    t.fusedHit.push(await timeCompile(fusedReference, chain, gpu.device));
    t.eagerMiss.push(await timeCompile(eagerReference, chain, gpu.device));
    t.eagerHit.push(await timeCompile(eagerReference, chain, gpu.device));
  }
  return {
    shapes,
    codegen: spread(t.codegen),
    fusedMiss: spread(t.fusedMiss),
    fusedHit: spread(t.fusedHit),
    eagerMiss: spread(t.eagerMiss),
    eagerHit: spread(t.eagerHit),
  };
}

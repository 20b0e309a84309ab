import type { CompiledProgram } from '../spec/implementation.js';
import { createReferenceImplementation } from './implementation.js';
import { checkInputs, decodeElements, encodeElements, numel, WgfuseError } from '../spec/index.js';
import { bufferBytes } from './runtime/executor.js';
import type { Graph } from '../spec/index.js';
import type { Registry } from './registry/registry.js';
import { trace } from './tracer/index.js';
import type { InputDecl, Tensor, TraceOutput } from './tracer/index.js';

export interface CompileOptions {
  /** 'fused': prologues and epilogues spliced into kernels; 'eager': one dispatch per op. */
  readonly backend: 'fused' | 'eager';
  /** Input names and shapes (f32) or `{ shape, dtype }`, in the order `fn` takes them. */
  readonly inputs: Readonly<Record<string, InputDecl>>;
  readonly registry: Registry;
  /** The WebGPU device to run on; the caller owns it (in Node, e.g. from the `webgpu` package). */
  readonly device: GPUDevice;
}

export interface CompiledFunction {
  readonly graph: Graph;
  /** Runs on the device given at compile and returns the outputs. */
  run(...inputs: Float32Array[]): Promise<Float32Array[]>;
  /** The WGSL of every kernel, available after the first run. */
  wgsl(): readonly string[];
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

/**
 * Traces `fn` and compiles it with the reference: the convenience entry point for users of the
 * reference; the conformance suite drives implementations through spec/implementation.ts instead.
 */
export function compile(fn: (...inputs: Tensor[]) => TraceOutput, options: CompileOptions): CompiledFunction {
  const graph = trace(fn, options.inputs);
  if (options.backend !== 'fused' && options.backend !== 'eager') {
    throw new WgfuseError('api.compile.1', `backend '${String(options.backend)}' is neither 'fused' nor 'eager'`);
  }
  const impl = createReferenceImplementation({ name: `wgfuse reference (${options.backend})`, fuse: options.backend === 'fused', templates: options.registry.templates });
  let program: { device: GPUDevice; program: CompiledProgram } | undefined;
  return {
    graph,
    wgsl: () => program?.program.wgsl ?? [],
    async run(...inputs: Float32Array[]): Promise<Float32Array[]> {
      if (program === undefined) {
        const device = options.device;
        program = { device, program: await impl.compile(graph, options.registry.kernels, device) };
      }
      const { device } = program;
      checkInputs(graph, inputs);
      const sizes = graph.outputs.map((id) => bufferBytes(graph.nodes[id]));
      const ins = inputs.map((data, k) => {
        const node = graph.nodes[graph.inputs[k] as number];
        const buffer = device.createBuffer({ size: bufferBytes(node), usage: STORAGE | COPY_DST });
        const bytes = encodeElements(data, node?.dtype ?? 'f32');
        // writeBuffer takes whole words: an odd number of f16 elements is padded.
        const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
        padded.set(bytes);
        device.queue.writeBuffer(buffer, 0, padded);
        return buffer;
      });
      const outs = sizes.map((size) => device.createBuffer({ size, usage: STORAGE | COPY_SRC }));
      const staging = sizes.map((size) => device.createBuffer({ size, usage: MAP_READ | COPY_DST }));
      try {
        await program.program.run({ inputs: ins, outputs: outs });
        const encoder = device.createCommandEncoder();
        outs.forEach((out, k) => encoder.copyBufferToBuffer(out, 0, staging[k] as GPUBuffer, 0, sizes[k] as number));
        device.queue.submit([encoder.finish()]);
        await Promise.all(staging.map((s) => s.mapAsync(MAP_READ)));
        return staging.map((s, k) => {
          const node = graph.nodes[graph.outputs[k] as number];
          return decodeElements(s.getMappedRange().slice(0), node?.dtype ?? 'f32', numel(node?.shape ?? []));
        });
      } finally {
        for (const b of [...ins, ...outs, ...staging]) b.destroy();
      }
    },
  };
}

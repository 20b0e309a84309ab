import { bytesPerElement, numel, WgfuseError } from '../../spec/index.js';
import type { Node, NodeId } from '../../spec/index.js';
import type { KernelSource } from '../codegen/kernel.js';
import type { Schedule } from '../fusion/schedule.js';
import type { CompiledProgram, ProgramIO } from '../../spec/implementation.js';
import { getPipeline } from './pipelines.js';

// GPUBufferUsage flags, spelled out so this file needs no WebGPU globals at import.
const STORAGE = 0x80;
const UNIFORM = 0x40;
const COPY_DST = 0x08;

/** Bytes of a node's buffer: its elements, rounded up to 4 (copies and bindings come in whole words). */
export function bufferBytes(node: Node | undefined): number {
  return Math.max(4, Math.ceil((numel(node?.shape ?? []) * bytesPerElement(node?.dtype ?? 'f32')) / 4) * 4);
}

/**
 * Makes a schedule runnable on a device: pipelines for every kernel and a buffer for every node that is
 * materialized but neither a graph input nor an output. One compute pass, one dispatch per kernel.
 */
export async function createProgram(device: GPUDevice, schedule: Schedule, sources: readonly KernelSource[]): Promise<CompiledProgram> {
  const { graph } = schedule;
  const pipelines = await Promise.all(sources.map((s) => getPipeline(device, s.name, s.wgsl)));
  const external = new Set<NodeId>([...graph.inputs, ...graph.outputs]);
  const scratch = new Map<NodeId, GPUBuffer>();
  for (const id of sources.flatMap((s) => [s.writes, ...s.alsoWrites])) {
    if (!external.has(id)) {
      const size = bufferBytes(graph.nodes[id]);
      scratch.set(id, device.createBuffer({ label: `t${id}`, size, usage: STORAGE }));
    }
  }

  // Each dynamic-shape kernel gets its extents for this graph in a uniform of its own ([shapes.dynamic.1]).
  const uniforms = sources.map((s) => {
    if (s.sizes.length === 0) return undefined;
    const buffer = device.createBuffer({ label: `${s.name} sizes`, size: s.sizes.byteLength, usage: UNIFORM | COPY_DST });
    device.queue.writeBuffer(buffer, 0, s.sizes);
    return buffer;
  });

  return {
    wgsl: sources.map((s) => s.wgsl),
    async run(io: ProgramIO): Promise<void> {
      if (io.inputs.length !== graph.inputs.length || io.outputs.length !== graph.outputs.length) {
        throw new WgfuseError(
          'interface.run.1',
          `expected ${graph.inputs.length} input and ${graph.outputs.length} output buffer(s), got ${io.inputs.length} and ${io.outputs.length}`,
        );
      }
      // A kernel stores into the output buffer of its root if the root is an output, else into scratch.
      const stored = (id: NodeId): GPUBuffer | undefined => {
        const k = graph.outputs.indexOf(id);
        return k >= 0 ? io.outputs[k] : scratch.get(id);
      };
      const read = (id: NodeId): GPUBuffer | undefined => {
        const k = graph.inputs.indexOf(id);
        return k >= 0 ? io.inputs[k] : stored(id);
      };
      const encoder = device.createCommandEncoder({ label: 'wgfuse program' });
      const pass = encoder.beginComputePass();
      sources.forEach((s, k) => {
        const pipeline = pipelines[k] as GPUComputePipeline;
        const uniform = uniforms[k];
        const buffers = [...s.reads.map(read), stored(s.writes), ...s.alsoWrites.map(stored)];
        // A vec4 kernel binds byte ranges of its buffers: the vec4 part, then the scalar tail ([codegen.vec4.1]).
        const views = s.views ?? buffers.map((_, of) => ({ of, offset: 0, size: undefined }));
        const entries = [...views.map((v) => ({ buffer: buffers[v.of], offset: v.offset, size: v.size })), ...(uniform === undefined ? [] : [{ buffer: uniform, offset: 0, size: undefined }])].map(({ buffer, offset, size }, binding) => {
          if (buffer === undefined) throw new WgfuseError('runtime.internal', `${s.name}: binding ${binding} has no buffer`);
          return { binding, resource: size === undefined ? { buffer } : { buffer, offset, size } };
        });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
        pass.dispatchWorkgroups(...s.grid);
      });
      pass.end();
      // A node returned more than once is stored once and copied into its other output buffers.
      graph.outputs.forEach((id, k) => {
        const first = graph.outputs.indexOf(id);
        if (first !== k) encoder.copyBufferToBuffer(io.outputs[first] as GPUBuffer, 0, io.outputs[k] as GPUBuffer, 0, bufferBytes(graph.nodes[id]));
      });
      device.queue.submit([encoder.finish()]);
    },
    dispose(): void {
      for (const b of scratch.values()) b.destroy();
      for (const b of uniforms) b?.destroy();
    },
  };
}

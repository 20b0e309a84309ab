import type { CompiledProgram, Implementation } from '../spec/implementation.js';
import { generateProgram } from './codegen/kernel.js';
import type { GenerateOptions, KernelSource } from './codegen/kernel.js';
import { lowerGraph } from './fusion/lower.js';
import type { Schedule } from './fusion/schedule.js';
import type { Graph, KernelCatalog } from '../spec/index.js';
import { TEMPLATES } from './kernels/index.js';
import type { TemplateTable } from './kernels/index.js';
import { createProgram } from './runtime/executor.js';

export interface ReferenceOptions {
  readonly name: string;
  /** false gives the eager executor: one dispatch per op and per kernel call, nothing spliced. */
  readonly fuse: boolean;
  /** Stage hooks, for building deliberately broken variants in the meta-tests. */
  readonly editSchedule?: (schedule: Schedule) => Schedule;
  readonly editSources?: (sources: KernelSource[]) => KernelSource[];
  /** The templates calls are emitted with; default the reference's own (spec kernels by semantic id). */
  readonly templates?: TemplateTable;
  /** Code generation choices the suite varies: the square fold that exercises 2-D grids ([codegen.grid.2]), vec4 off. */
  readonly codegen?: Pick<GenerateOptions, 'squareGrid' | 'vec4' | 'quadsPerLane'>;
}

/** The reference pipeline as an Implementation: lower → generate WGSL → pipelines and buffers. */
export function createReferenceImplementation(options: ReferenceOptions): Implementation {
  return {
    name: options.name,
    // f16 tensors need shader-f16 ([codegen.f16.1]); asked for where the adapter has it, f32 runs without.
    needs: { optionalFeatures: ['shader-f16'] },
    // The catalog's configs are hints; the reference uses the config each call node carries.
    async compile(graph: Graph, _kernels: KernelCatalog, device: GPUDevice): Promise<CompiledProgram> {
      const templates = options.templates ?? TEMPLATES;
      let schedule = lowerGraph(graph, templates, { fuse: options.fuse });
      if (options.editSchedule) schedule = options.editSchedule(schedule);
      // The eager executor's kernels are canonical: one pipeline per op and operand pattern, in any graph.
      let sources = generateProgram(schedule, templates, device.limits, { ...options.codegen, canonical: !options.fuse, f16: device.features.has('shader-f16') });
      if (options.editSources) sources = options.editSources(sources);
      return createProgram(device, schedule, sources);
    },
  };
}

export const fusedReference = createReferenceImplementation({ name: 'wgfuse reference (fused)', fuse: true });
export const eagerReference = createReferenceImplementation({ name: 'wgfuse reference (eager)', fuse: false });

/** What `WGFUSE_IMPL` loads when it names this module. */
export const implementation = fusedReference;

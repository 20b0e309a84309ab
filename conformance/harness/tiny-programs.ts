/**
 * Hand-written Implementations for testing the harness itself: each is a few lines of WGSL with a
 * known number of dispatches or a known defect, so the harness's verdicts can be checked exactly.
 */
import type { CompiledProgram, Graph, Implementation, ProgramIO } from '../../spec/implementation.js';
import { GraphBuilder } from '../../reference/ir/index.js';

export const WORKGROUP = 64;

/** `out = x * 2` on `n` elements: the graph the tiny programs pretend to compile. */
export function doubleGraph(n: number): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', [n]);
  return b.build([b.op('mul', [x, b.constant(2)])]);
}

/**
 * A module reading binding 0 (`x`) and writing binding 1 (`out`), with one `@compute` function per
 * entry name, each running `body` with `i` the invocation index and `N` the element count.
 */
export function elementwiseWgsl(n: number, body: string, entries: readonly string[] = ['main']): string {
  const fns = entries.map(
    (e) => `@compute @workgroup_size(${WORKGROUP})\nfn ${e}(@builtin(global_invocation_id) g: vec3u) {\n  let i = g.x;\n  ${body}\n}`,
  );
  return [
    '@group(0) @binding(0) var<storage, read> x: array<f32>;',
    '@group(0) @binding(1) var<storage, read_write> out: array<f32>;',
    `const N = ${n}u;`,
    ...fns,
  ].join('\n');
}

export const DOUBLE = 'if (i < N) { out[i] = x[i] * 2.0; }';
/** Stores one element past the tensor: into the harness's canary padding. */
export const PAST_END = 'if (i <= N) { out[i] = x[min(i, N - 1u)] * 2.0; }';
/** Never stores element 3. */
export const SKIPS_3 = 'if (i < N && i != 3u) { out[i] = x[i] * 2.0; }';

/** One dispatch of entry `entry` of module `module`. */
export interface Dispatch {
  readonly module: number;
  readonly entry: string;
}

/** Compiles `modules` to one pipeline per distinct (module, entry) and runs `dispatches` in one submit. */
export function tinyImpl(name: string, n: number, modules: readonly string[], dispatches: readonly Dispatch[]): Implementation {
  return {
    name,
    async compile(_graph, _kernels, device): Promise<CompiledProgram> {
      const shaderModules = modules.map((code) => device.createShaderModule({ code }));
      const pipelines = new Map<string, GPUComputePipeline>();
      for (const d of dispatches) {
        const key = `${d.module}:${d.entry}`;
        const module = shaderModules[d.module];
        if (module === undefined) throw new Error(`${name}: no module ${d.module}`);
        if (!pipelines.has(key)) pipelines.set(key, await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: d.entry } }));
      }
      return {
        wgsl: modules,
        dispose: () => undefined,
        async run(io: ProgramIO): Promise<void> {
          const encoder = device.createCommandEncoder();
          for (const d of dispatches) {
            const pipeline = pipelines.get(`${d.module}:${d.entry}`) as GPUComputePipeline;
            const pass = encoder.beginComputePass();
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindIO(device, pipeline, io));
            pass.dispatchWorkgroups(Math.ceil((n + 1) / WORKGROUP));
            pass.end();
          }
          device.queue.submit([encoder.finish()]);
        },
      };
    },
  };
}

export function bindIO(device: GPUDevice, pipeline: GPUComputePipeline, io: ProgramIO): GPUBindGroup {
  const [x, out] = [io.inputs[0], io.outputs[0]];
  if (x === undefined || out === undefined) throw new Error('tiny programs take one input and one output');
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: x } },
      { binding: 1, resource: { buffer: out } },
    ],
  });
}

/** An Implementation whose compiled program's run() is `run`, for failure cases. */
export function failingImpl(name: string, run: (device: GPUDevice, io: ProgramIO) => Promise<void>): Implementation {
  return {
    name,
    compile: async (_graph, _kernels, device) => ({ wgsl: [], dispose: () => undefined, run: (io) => run(device, io) }),
  };
}

/**
 * Kernel counting owned by the harness (spec/implementation.md [harness.count.*]). The implementation's own
 * reports are never trusted: the device instance is patched so that every pipeline creation, every
 * dispatch and every submit passes through here. Dispatches are tied to command buffers at finish()
 * and counted when those buffers are submitted, because only submitted work runs.
 */

export interface KernelCounts {
  /** dispatchWorkgroups and dispatchWorkgroupsIndirect calls in command buffers submitted in the window. */
  readonly dispatches: number;
  /** Distinct pipeline objects among those dispatches. */
  readonly distinctPipelines: number;
  /** Sum over the distinct dispatched pipelines of the `@compute` entry points in their module's WGSL. */
  readonly computeEntryPoints: number;
  /** Compute pipelines created in the window (sync or async). */
  readonly pipelinesCreated: number;
  readonly modulesCreated: number;
  /** queue.submit calls in the window. */
  readonly submits: number;
}

export interface DeviceCounter {
  /** Runs `fn` with a measurement window open; windows may overlap and each sees everything in it. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; counts: KernelCounts }>;
}

/** Removes WGSL comments: `//` to end of line, and `/* *\/` blocks, which nest in WGSL. */
export function stripWgslComments(wgsl: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < wgsl.length; i++) {
    const two = wgsl.slice(i, i + 2);
    if (two === '/*') {
      depth++;
      i++;
    } else if (depth > 0 && two === '*/') {
      depth--;
      i++;
      out += ' ';
    } else if (depth === 0 && two === '//') {
      while (i < wgsl.length && wgsl[i] !== '\n' && wgsl[i] !== '\r') i++;
      out += '\n';
    } else if (depth === 0) {
      out += wgsl[i];
    }
  }
  return out;
}

/** The number of `@compute` attributes outside comments ([harness.count.3]). WGSL has no string literals to skip. */
export function countComputeEntryPoints(wgsl: string): number {
  return stripWgslComments(wgsl).match(/@\s*compute\b/g)?.length ?? 0;
}

interface Window {
  dispatches: number;
  pipelines: Set<GPUComputePipeline>;
  pipelinesCreated: number;
  modulesCreated: number;
  submits: number;
}

// One counter per device: instrumenting twice must not count everything twice.
const counters = new WeakMap<GPUDevice, DeviceCounter>();

/** Patches `device` (its instance, not the prototype) and returns its counter; idempotent. */
export function instrumentDevice(device: GPUDevice): DeviceCounter {
  const existing = counters.get(device);
  if (existing !== undefined) return existing;

  const moduleCode = new WeakMap<GPUShaderModule, string>();
  const pipelineCode = new WeakMap<GPUComputePipeline, string>();
  const bufferDispatches = new WeakMap<GPUCommandBuffer, GPUComputePipeline[]>();
  const open = new Set<Window>();
  const each = (f: (w: Window) => void): void => open.forEach(f);

  const createShaderModule = device.createShaderModule.bind(device);
  device.createShaderModule = (descriptor) => {
    const module = createShaderModule(descriptor);
    moduleCode.set(module, descriptor.code);
    each((w) => w.modulesCreated++);
    return module;
  };

  const remember = (pipeline: GPUComputePipeline, descriptor: GPUComputePipelineDescriptor): GPUComputePipeline => {
    pipelineCode.set(pipeline, moduleCode.get(descriptor.compute.module) ?? '');
    each((w) => w.pipelinesCreated++);
    return pipeline;
  };
  const createComputePipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = (descriptor) => remember(createComputePipeline(descriptor), descriptor);
  const createComputePipelineAsync = device.createComputePipelineAsync.bind(device);
  device.createComputePipelineAsync = async (descriptor) => remember(await createComputePipelineAsync(descriptor), descriptor);

  const createCommandEncoder = device.createCommandEncoder.bind(device);
  device.createCommandEncoder = (descriptor) => {
    const encoder = createCommandEncoder(descriptor);
    // The pipelines of this encoder's dispatches, in order; handed to the command buffer at finish().
    const dispatched: GPUComputePipeline[] = [];
    const beginComputePass = encoder.beginComputePass.bind(encoder);
    encoder.beginComputePass = (passDescriptor) => {
      const pass = beginComputePass(passDescriptor);
      let current: GPUComputePipeline | undefined;
      const setPipeline = pass.setPipeline.bind(pass);
      pass.setPipeline = (pipeline) => {
        current = pipeline;
        setPipeline(pipeline);
      };
      // A dispatch with no pipeline set is a validation error, so it never runs and is not recorded.
      const dispatchWorkgroups = pass.dispatchWorkgroups.bind(pass);
      pass.dispatchWorkgroups = (x, y, z) => {
        if (current !== undefined) dispatched.push(current);
        dispatchWorkgroups(x, y, z);
      };
      const dispatchWorkgroupsIndirect = pass.dispatchWorkgroupsIndirect.bind(pass);
      pass.dispatchWorkgroupsIndirect = (buffer, offset) => {
        if (current !== undefined) dispatched.push(current);
        dispatchWorkgroupsIndirect(buffer, offset);
      };
      return pass;
    };
    const finish = encoder.finish.bind(encoder);
    encoder.finish = (finishDescriptor) => {
      const commandBuffer = finish(finishDescriptor);
      bufferDispatches.set(commandBuffer, [...dispatched]);
      return commandBuffer;
    };
    return encoder;
  };

  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (commandBuffers) => {
    const buffers = [...commandBuffers];
    each((w) => {
      w.submits++;
      for (const cb of buffers) {
        for (const pipeline of bufferDispatches.get(cb) ?? []) {
          w.dispatches++;
          w.pipelines.add(pipeline);
        }
      }
    });
    submit(buffers);
  };

  const counter: DeviceCounter = {
    async measure<T>(fn: () => Promise<T>): Promise<{ result: T; counts: KernelCounts }> {
      const w: Window = { dispatches: 0, pipelines: new Set(), pipelinesCreated: 0, modulesCreated: 0, submits: 0 };
      open.add(w);
      try {
        const result = await fn();
        let computeEntryPoints = 0;
        for (const p of w.pipelines) computeEntryPoints += countComputeEntryPoints(pipelineCode.get(p) ?? '');
        const counts: KernelCounts = {
          dispatches: w.dispatches,
          distinctPipelines: w.pipelines.size,
          computeEntryPoints,
          pipelinesCreated: w.pipelinesCreated,
          modulesCreated: w.modulesCreated,
          submits: w.submits,
        };
        return { result, counts };
      } finally {
        open.delete(w);
      }
    },
  };
  counters.set(device, counter);
  return counter;
}

/**
 * The device programs are handed: a facade over the harness's GPUDevice through which every pipeline
 * creation, dispatch and submit passes, and is counted for the program whose code made the call
 * ([harness.count.1], [harness.count.4]). Which program that is comes from the async context the harness
 * called compile() or run() in (AsyncLocalStorage): a promise or timer a program started carries its
 * program with it, so work from another program, another test or a leftover promise never reaches these
 * counts. The implementation's own reports are never trusted. Dispatches are tied to command buffers at
 * finish() and counted at submit, because only submitted work runs.
 *
 * The harness opens a window per stage (compile, each run). Work a program submits or writes while its
 * window is closed (after its run() resolved) is refused, not forwarded to the device, and recorded as
 * late work: the program's own failure ([interface.run.4]), never the next program's. One facade serves
 * every program on a device, so an implementation's caches keyed by the device keep working.
 */
import { countComputeEntryPoints } from './counter.js';
import { inNode, nodeBuiltin } from './runtime.js';
import type { KernelCounts } from './counter.js';

export type ProgramStage = 'compile' | 'run';

interface Tally {
  dispatches: number;
  pipelines: Set<GPUComputePipeline>;
  pipelinesCreated: number;
  modulesCreated: number;
  submits: number;
}

/** One program's side of the facade: its stage windows and its late work. */
export interface ProgramScope {
  /** Runs `f` as this program's `stage`, counting what it (and anything it starts) encodes and submits. */
  within<T>(stage: ProgramStage, f: () => Promise<T>): Promise<{ result: T; counts: KernelCounts }>;
  /** Submits and queue writes this program attempted outside its windows, described; each was refused. */
  readonly late: readonly string[];
}

export interface DeviceFacade {
  /** What programs are given in place of the device. */
  readonly device: GPUDevice;
  /** A new program's scope. */
  program(): ProgramScope;
}

interface Scope {
  window: Tally | undefined;
  readonly late: string[];
}

const newTally = (): Tally => ({ dispatches: 0, pipelines: new Set(), pipelinesCreated: 0, modulesCreated: 0, submits: 0 });

/** Every property of `target` as the facade shows it: methods bound to the real object, the rest as they are. */
function forward<T extends object>(target: T, overrides: Partial<Record<PropertyKey, unknown>>): T {
  const own = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      if (own.has(prop)) return own.get(prop);
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
    // Handlers a program sets (onuncapturederror, say) stay on its facade: the harness's own handlers on the
    // real device keep reporting to the harness.
    set(_t, prop, value) {
      own.set(prop, value);
      return true;
    },
  });
}

const facades = new WeakMap<GPUDevice, DeviceFacade>();
/** The part of AsyncLocalStorage the facade uses: which program's async context a call was made in. */
export interface ProgramContext<S = Scope> {
  run<T>(scope: S, f: () => Promise<T>): Promise<T>;
  getStore(): S | undefined;
}

/**
 * A browser has no async context ([harness.browser.2]): a call belongs to the program whose stage window is
 * open, else to the last program that had one (so its late work is still refused). The harness drives one
 * stage at a time, so this differs from Node only for work a program leaves running into another's window.
 */
export function windowContext<S>(): ProgramContext<S> {
  let open: S | undefined;
  let last: S | undefined;
  return {
    async run(scope, f) {
      open = last = scope;
      try {
        return await f();
      } finally {
        if (open === scope) open = undefined;
      }
    },
    getStore: () => open ?? last,
  };
}

function asyncContext(): ProgramContext {
  const { AsyncLocalStorage } = nodeBuiltin('node:async_hooks', 'counting kernels per program');
  return new AsyncLocalStorage<Scope>();
}

const current: ProgramContext = inNode ? asyncContext() : windowContext<Scope>();

/** The facade over `real`, made once per device. */
export function deviceFacade(real: GPUDevice): DeviceFacade {
  const existing = facades.get(real);
  if (existing !== undefined) return existing;
  const facade = makeFacade(real);
  facades.set(real, facade);
  return facade;
}

function makeFacade(real: GPUDevice): DeviceFacade {
  const moduleCode = new WeakMap<GPUShaderModule, string>();
  const pipelineCode = new WeakMap<GPUComputePipeline, string>();
  const bufferDispatches = new WeakMap<GPUCommandBuffer, GPUComputePipeline[]>();
  // Calls outside any program (the harness's own work) are neither counted nor refused.
  const tally = (f: (t: Tally) => void): void => {
    const w = current.getStore()?.window;
    if (w !== undefined) f(w);
  };

  const remember = (pipeline: GPUComputePipeline, descriptor: GPUComputePipelineDescriptor): GPUComputePipeline => {
    pipelineCode.set(pipeline, moduleCode.get(descriptor.compute.module) ?? '');
    tally((t) => t.pipelinesCreated++);
    return pipeline;
  };

  const encoderFacade = (encoder: GPUCommandEncoder): GPUCommandEncoder => {
    // The pipelines of this encoder's dispatches, in order; handed to the command buffer at finish().
    const dispatched: GPUComputePipeline[] = [];
    return forward(encoder, {
      beginComputePass: (passDescriptor?: GPUComputePassDescriptor) => {
        const pass = encoder.beginComputePass(passDescriptor);
        let current: GPUComputePipeline | undefined;
        return forward(pass, {
          setPipeline: (pipeline: GPUComputePipeline) => {
            current = pipeline;
            pass.setPipeline(pipeline);
          },
          // A dispatch with no pipeline set is a validation error, so it never runs and is not recorded.
          dispatchWorkgroups: (x: number, y?: number, z?: number) => {
            if (current !== undefined) dispatched.push(current);
            pass.dispatchWorkgroups(x, y, z);
          },
          dispatchWorkgroupsIndirect: (buffer: GPUBuffer, offset: number) => {
            if (current !== undefined) dispatched.push(current);
            pass.dispatchWorkgroupsIndirect(buffer, offset);
          },
        });
      },
      finish: (descriptor?: GPUCommandBufferDescriptor) => {
        const commandBuffer = encoder.finish(descriptor);
        bufferDispatches.set(commandBuffer, [...dispatched]);
        return commandBuffer;
      },
    });
  };

  const queue = real.queue;
  const refusedWhenClosed = (what: string): boolean => {
    const scope = current.getStore();
    if (scope === undefined || scope.window !== undefined) return false;
    scope.late.push(what);
    return true;
  };
  const queueFacade = forward(queue, {
    submit: (commandBuffers: Iterable<GPUCommandBuffer>) => {
      const buffers = [...commandBuffers];
      const dispatches = buffers.reduce((n, cb) => n + (bufferDispatches.get(cb)?.length ?? 0), 0);
      if (refusedWhenClosed(`queue.submit of ${buffers.length} command buffer(s) with ${dispatches} dispatch(es)`)) return;
      tally((t) => {
        t.submits++;
        for (const cb of buffers) {
          for (const pipeline of bufferDispatches.get(cb) ?? []) {
            t.dispatches++;
            t.pipelines.add(pipeline);
          }
        }
      });
      queue.submit(buffers);
    },
    writeBuffer: (...args: Parameters<GPUQueue['writeBuffer']>) => {
      if (refusedWhenClosed('queue.writeBuffer')) return;
      queue.writeBuffer(...args);
    },
  });

  const device = forward(real, {
    queue: queueFacade,
    createShaderModule: (descriptor: GPUShaderModuleDescriptor) => {
      const module = real.createShaderModule(descriptor);
      moduleCode.set(module, descriptor.code);
      tally((t) => t.modulesCreated++);
      return module;
    },
    createComputePipeline: (descriptor: GPUComputePipelineDescriptor) => remember(real.createComputePipeline(descriptor), descriptor),
    createComputePipelineAsync: async (descriptor: GPUComputePipelineDescriptor) => remember(await real.createComputePipelineAsync(descriptor), descriptor),
    createCommandEncoder: (descriptor?: GPUCommandEncoderDescriptor) => encoderFacade(real.createCommandEncoder(descriptor)),
  });

  return {
    device,
    program(): ProgramScope {
      const scope: Scope = { window: undefined, late: [] };
      return {
        late: scope.late,
        async within(_stage, f) {
          const window = newTally();
          scope.window = window;
          try {
            const result = await current.run(scope, f);
            return { result, counts: countsOf(window, pipelineCode) };
          } finally {
            scope.window = undefined;
          }
        },
      };
    },
  };
}

function countsOf(t: Tally, pipelineCode: WeakMap<GPUComputePipeline, string>): KernelCounts {
  let computeEntryPoints = 0;
  for (const p of t.pipelines) computeEntryPoints += countComputeEntryPoints(pipelineCode.get(p) ?? '');
  return {
    dispatches: t.dispatches,
    distinctPipelines: t.pipelines.size,
    computeEntryPoints,
    pipelinesCreated: t.pipelinesCreated,
    modulesCreated: t.modulesCreated,
    submits: t.submits,
  };
}

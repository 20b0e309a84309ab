/**
 * ONNX Runtime Web 1.30's WebGPU execution provider as a wgfuse implementation, through its public API only:
 *
 *   npm run conformance -- --impl ./adapters/onnxruntime-web/adapter.ts --expect ./adapters/onnxruntime-web/expectations.json
 *
 * compile() encodes the graph as an ONNX model (onnx-model.ts) and creates an InferenceSession on the device
 * the harness hands over (`executionProviders: [{ name: 'webgpu', device }]`, every graph optimization on);
 * run() feeds the harness's input buffers without a copy (`Tensor.fromGpuBuffer`), keeps the outputs on the
 * GPU (`preferredOutputLocation: 'gpu-buffer'`) and copies exactly each tensor's bytes into the harness's
 * output buffer (a copy is no dispatch). ORT decides what it fuses; the harness counts it.
 *
 * ORT has no graph builder, so the IR is encoded as an ONNX ModelProto with `onnx-proto`'s protobufjs classes,
 * generated from onnx.proto: the wire format is then the schema's, not a hand-written encoder's to get wrong.
 * Sessions are not cached across compiles: a session is one compile() and the harness rarely compiles one graph
 * twice, and ORT builds pipelines per shape anyway.
 */
import { setFlagsFromString } from 'node:v8';
import * as ort from 'onnxruntime-web/webgpu';
import type { CompiledProgram, Implementation, ProgramIO } from '../../spec/implementation.js';
import { numel } from '../../spec/ir/types.js';
import type { Graph, Node } from '../../spec/ir/types.js';
import { onnxModel } from './onnx-model.js';
import type { OnnxModel } from './onnx-model.js';

let started = false;

/**
 * What ORT needs of the process before its first session: one wasm thread, and `navigator.gpu` with an
 * adapter in `ort.env.webgpu.adapter`. Handed a device, ORT only checks the adapter's shape (limits, features,
 * requestDevice) and never asks it for anything; Node has no navigator, so stand-ins built from the device say so.
 */
function start(device: GPUDevice): void {
  if (started) return;
  started = true;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...g.navigator, userAgent: 'node', gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
  }
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  // ORT's wasm (26 MB) is compiled by V8's baseline compiler at session creation, then optimized again in the
  // background: about 50 CPU-seconds per process on the CPU machine, for code that only schedules kernels here.
  // Baseline code alone runs the same sessions as fast (0.05 s for the seed's first run either way).
  setFlagsFromString('--liftoff-only');
  const adapter = { limits: device.limits, features: device.features, info: device.adapterInfo, requestDevice: async () => device };
  (ort.env.webgpu as { adapter?: unknown }).adapter = adapter;
}

// The WGSL of the modules ORT creates while a program's session is created or run lands in that program's list.
let recording: string[] | undefined;

/**
 * The device as ORT is given it: the same device, except that `queue.writeBuffer` copies a view of a
 * SharedArrayBuffer (ORT's wasm heap is one) into a plain array first, since Dawn for Node refuses shared views,
 * and that the WGSL of each shader module is kept for the report.
 */
function forOrt(device: GPUDevice): GPUDevice {
  const queue = device.queue;
  const writeBuffer = (buffer: GPUBuffer, offset: number, data: GPUAllowSharedBufferSource, dataOffset?: number, size?: number): void => {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const unit = 'BYTES_PER_ELEMENT' in data ? (data.BYTES_PER_ELEMENT as number) : 1;
      const start = data.byteOffset + (dataOffset ?? 0) * unit;
      const bytes = size !== undefined ? size * unit : data.byteLength - (dataOffset ?? 0) * unit;
      queue.writeBuffer(buffer, offset, new Uint8Array(data.buffer, start, bytes).slice());
    } else if (data instanceof SharedArrayBuffer) {
      const start = dataOffset ?? 0;
      queue.writeBuffer(buffer, offset, new Uint8Array(data, start, size ?? data.byteLength - start).slice());
    } else {
      queue.writeBuffer(buffer, offset, data, dataOffset, size);
    }
  };
  const queueForOrt = new Proxy(queue, { get: (q, prop) => (prop === 'writeBuffer' ? writeBuffer : bound(q, prop)) });
  const createShaderModule = (descriptor: GPUShaderModuleDescriptor): GPUShaderModule => {
    recording?.push(descriptor.code);
    return device.createShaderModule(descriptor);
  };
  const overrides: Partial<Record<PropertyKey, unknown>> = { queue: queueForOrt, createShaderModule };
  return new Proxy(device, { get: (d, prop) => (Object.hasOwn(overrides, prop) ? overrides[prop] : bound(d, prop)) });
}

function bound(target: object, prop: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/**
 * Runs ORT's work `f`, keeping the WGSL it creates in `wgsl`, with a live timer. Dawn for Node does not keep the event loop alive while an async pipeline is
 * pending; when nothing else does, Node waits for all its background tasks before going on, and V8's background
 * optimization of ORT's wasm was one (without --liftoff-only): the first run then took 30 s to 300 s on the CPU
 * machine, idle in NodePlatform::DrainTasks, though its 4 pipelines were ready in milliseconds.
 */
async function ortWork<T>(wgsl: string[], f: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 1000);
  recording = wgsl;
  try {
    return await f();
  } finally {
    recording = undefined;
    clearInterval(timer);
  }
}

const ortDevices = new WeakMap<GPUDevice, GPUDevice>();

async function createSession(model: OnnxModel, device: GPUDevice): Promise<ort.InferenceSession> {
  let wrapped = ortDevices.get(device);
  if (wrapped === undefined) ortDevices.set(device, (wrapped = forOrt(device)));
  const webgpu = { name: 'webgpu', device: wrapped } as unknown as ort.InferenceSession.WebGpuExecutionProviderOption;
  return ort.InferenceSession.create(model.bytes, { executionProviders: [webgpu], graphOptimizationLevel: 'all', preferredOutputLocation: 'gpu-buffer' });
}

/** Runs the session on the harness's buffers and copies each output into place. */
async function runSession(session: ort.InferenceSession | undefined, model: OnnxModel, graph: Graph, device: GPUDevice, io: ProgramIO): Promise<void> {
  const feeds: Record<string, ort.Tensor> = {};
  graph.inputs.forEach((id, k) => {
    const name = model.inputNames[k] as string;
    if (session === undefined || !session.inputNames.includes(name)) return;
    const dims = [...(graph.nodes[id] as Node).shape];
    feeds[name] = ort.Tensor.fromGpuBuffer(io.inputs[k] as GPUBuffer as never, { dataType: 'float32', dims });
  });
  const results = session !== undefined ? await session.run(feeds) : {};
  const encoder = device.createCommandEncoder({ label: 'onnxruntime-web outputs' });
  graph.outputs.forEach((id, k) => {
    const node = graph.nodes[id] as Node;
    const bytes = numel(node.shape) * 4;
    const out = io.outputs[k] as GPUBuffer;
    if (bytes === 0) return;
    const name = model.outputNames[k];
    const t = name === undefined ? undefined : results[name];
    if (t !== undefined && t.location === 'gpu-buffer') {
      encoder.copyBufferToBuffer(t.gpuBuffer as GPUBuffer, 0, out, 0, bytes);
    } else if (t !== undefined) {
      // A node ORT placed on its CPU provider comes back in memory, whatever the preferred location.
      device.queue.writeBuffer(out, 0, t.data as Float32Array);
    } else {
      // An input returned as it is ([ir.graph.3]: never a constant): ORT has nothing to compute; copy it across.
      encoder.copyBufferToBuffer(io.inputs[graph.inputs.indexOf(id)] as GPUBuffer, 0, out, 0, bytes);
    }
  });
  device.queue.submit([encoder.finish()]);
  for (const t of Object.values(results)) t.dispose();
}

export const implementation: Implementation = {
  name: 'ONNX Runtime Web 1.30 (WebGPU EP)',
  // Its Transpose and ReduceMean programs use 256-wide workgroups and fail their run on the compatibility defaults
  // (128): adapters/findings/ort-webgpu-workgroup-limit.md.
  needs: { limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 } },
  // Its kernels take no configs; its only fusion switch is the session's optimization level, not one per kernel; and
  // it builds pipelines per shape (softmax at [3,37], [11,130], [64,64]: a new pipeline each, even with symbolic dims).
  doesNotTakePartIn: ['registry-configs', 'fusion-off', 'dynamic-shapes'],
  async compile(graph, _kernels, device): Promise<CompiledProgram> {
    start(device);
    const model = onnxModel(graph);
    const wgsl: string[] = [];
    // A graph that only returns its inputs leaves ORT nothing to compute, and ONNX no outputs.
    const session = model.outputNames.some((n) => n !== undefined) ? await ortWork(wgsl, () => createSession(model, device)) : undefined;
    return {
      wgsl,
      run: (io) => ortWork(wgsl, () => runSession(session, model, graph, device, io)),
      dispose: () => void session?.release(),
    };
  },
};

/**
 * jax-js 0.1.25 (`@jax-js/jax`) on WebGPU as a wgfuse implementation, through its public API only:
 *
 *   npm run conformance -- --impl ./adapters/jax-js/adapter.ts --expect ./adapters/jax-js/expectations.json
 *
 * jax-js fuses only under `jit`, so each graph becomes one jitted function whose body maps every IR node to
 * the jax-js op that computes it; jax-js decides what it fuses and the harness counts it.
 *
 * Three facts of jax-js shape this file (see shared notes on peers):
 * - It opens its device itself (`init('webgpu')` asks `navigator.gpu` for an adapter) and keeps one backend per
 *   process. A stand-in `navigator.gpu` hands it the harness's adapter limits and the harness's device, so it
 *   runs on the device it is judged on. A later graph for another device cannot be served and says so.
 * - It takes data from the host only, so each run reads the harness's input buffers back and uploads them
 *   (a copy and a write: neither is a dispatch). Its outputs are copied into the harness's buffers.
 * - Arrays move: every use of a value consumes it unless `.ref` is taken first.
 */
import { defaultDevice, getWebGPUDevice, init, jit, nn, numpy as np } from '@jax-js/jax';
import type { Array as JaxArray } from '@jax-js/jax';
import type { CompiledProgram, Implementation, ProgramIO } from '../../spec/implementation.js';
import type { Graph, Node } from '../../spec/ir/types.js';

const RMSNORM_EPS = Math.fround(1e-5);

let started: GPUDevice | undefined;

/** Starts jax-js's WebGPU backend on `device`, once per process. */
async function useDevice(device: GPUDevice): Promise<void> {
  if (started === device) return;
  if (started !== undefined) throw new Error('jax-js keeps one WebGPU backend per process and it is bound to another device');
  const g = globalThis as { navigator?: { userAgent?: string } };
  // jax-js reads navigator.userAgent as it generates kernels, so that stays; navigator.gpu is there only while
  // it starts: the adapter it hands over reports the device's own limits and features, and gives back the device.
  const before = { ...g.navigator, userAgent: g.navigator?.userAgent ?? 'node' };
  const adapter = { features: device.features, limits: device.limits, info: {}, requestDevice: async () => device };
  Object.defineProperty(globalThis, 'navigator', {
    value: { ...before, gpu: { requestAdapter: async () => adapter } },
    configurable: true,
    writable: true,
  });
  try {
    const ready = await init('webgpu');
    if (!ready.includes('webgpu') || getWebGPUDevice() !== device) throw new Error('jax-js did not start its WebGPU backend on the device it was handed');
    defaultDevice('webgpu');
    started = device;
  } finally {
    Object.defineProperty(globalThis, 'navigator', { value: before, configurable: true, writable: true });
  }
}

type Unary = (x: JaxArray) => JaxArray;
type Binary = (a: JaxArray, b: JaxArray | number) => JaxArray;
const UNARY: Readonly<Record<string, Unary>> = {
  neg: np.negative, abs: np.abs, relu: nn.relu, exp: np.exp, log: np.log, sqrt: np.sqrt, tanh: np.tanh, sigmoid: nn.sigmoid,
};
const BINARY: Readonly<Record<string, Binary>> = {
  add: np.add, sub: np.subtract, mul: np.multiply, div: np.divide, maximum: np.maximum, minimum: np.minimum,
};

/** The jax-js value of one node, from its operands' (each consumed). */
function evaluate(node: Exclude<Node, { kind: 'input' }>, arg: (k: number) => JaxArray): JaxArray {
  switch (node.kind) {
    case 'const':
      return np.full([], node.value);
    case 'op': {
      const unary = UNARY[node.op];
      if (unary !== undefined) return unary(arg(0));
      const binary = BINARY[node.op];
      if (binary === undefined) throw new Error(`no jax-js op for '${node.op}'`);
      return binary(arg(0), arg(1));
    }
    case 'transpose':
      return np.matrixTranspose(arg(0));
    case 'call':
      switch (node.semantics) {
        case 'elementwise_add':
          return np.add(arg(0), arg(1));
        case 'matmul':
          return np.matmul(arg(0), arg(1));
        case 'softmax':
          return nn.softmax(arg(0), -1);
        case 'rmsnorm': {
          const x = arg(0);
          const inv = np.reciprocal(np.sqrt(np.add(np.mean(np.square(x.ref), -1, { keepdims: true }), RMSNORM_EPS)));
          return np.multiply(np.multiply(x, inv), arg(1));
        }
        default:
          throw new Error(`no jax-js mapping for kernel semantics '${node.semantics}'`);
      }
  }
}

/** The graph as a function of its inputs, honouring jax-js's move semantics: a value is consumed by its last use. */
function graphFunction(graph: Graph): (...inputs: JaxArray[]) => JaxArray[] {
  const uses = new Map<number, number>();
  const use = (id: number): void => void uses.set(id, (uses.get(id) ?? 0) + 1);
  for (const node of graph.nodes) if (node.kind !== 'input' && node.kind !== 'const') node.args.forEach(use);
  graph.outputs.forEach(use);
  return (...inputs) => {
    const left = new Map(uses);
    const values = new Map<number, JaxArray>();
    const take = (id: number): JaxArray => {
      const v = values.get(id) as JaxArray;
      const n = (left.get(id) as number) - 1;
      left.set(id, n);
      return n === 0 ? v : v.ref;
    };
    graph.inputs.forEach((id, k) => {
      // An input nothing uses is still handed in, and is given back.
      if (uses.has(id)) values.set(id, inputs[k] as JaxArray);
      else (inputs[k] as JaxArray).dispose();
    });
    for (const node of graph.nodes) {
      if (node.kind === 'input') continue;
      const value = evaluate(node, (k) => take(node.kind === 'const' ? -1 : (node.args[k] as number)));
      if (uses.has(node.id)) values.set(node.id, value);
      else value.dispose();
    }
    return graph.outputs.map(take);
  };
}

/** The first `bytes` of each buffer, read back to the host. */
async function readBack(device: GPUDevice, buffers: readonly GPUBuffer[], bytes: readonly number[]): Promise<Float32Array[]> {
  const encoder = device.createCommandEncoder({ label: 'jax-js input readback' });
  const staging = buffers.map((b, k) => {
    const s = device.createBuffer({ size: Math.max(4, bytes[k] as number), usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    if ((bytes[k] as number) > 0) encoder.copyBufferToBuffer(b, 0, s, 0, bytes[k] as number);
    return s;
  });
  device.queue.submit([encoder.finish()]);
  return Promise.all(staging.map(async (s, k) => {
    await s.mapAsync(GPUMapMode.READ);
    const data = new Float32Array(s.getMappedRange(0, Math.max(4, bytes[k] as number)).slice(0, bytes[k] as number));
    s.destroy();
    return data;
  }));
}

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

async function runGraph(graph: Graph, f: (...inputs: JaxArray[]) => JaxArray[], device: GPUDevice, io: ProgramIO): Promise<void> {
  const shapes = graph.inputs.map((id) => (graph.nodes[id] as Node).shape);
  const host = await readBack(device, io.inputs, shapes.map((s) => elements(s) * 4));
  const outputs = f(...host.map((data, k) => np.array(data, { shape: [...(shapes[k] as readonly number[])] })));
  const encoder = device.createCommandEncoder({ label: 'jax-js outputs' });
  for (const [k, out] of outputs.entries()) {
    const bytes = elements((graph.nodes[graph.outputs[k] as number] as Node).shape) * 4;
    // gpuBuffer() gives up the reference it is called on; the extra one taken holds the buffer until the copy is done.
    const buffer = await out.ref.gpuBuffer();
    if (bytes > 0) encoder.copyBufferToBuffer(buffer, 0, io.outputs[k] as GPUBuffer, 0, bytes);
  }
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  for (const out of outputs) out.dispose();
}

export const implementation: Implementation = {
  name: 'jax-js 0.1.25 (WebGPU)',
  // Its generated kernels take workgroups up to 256 wide without checking the device's limits.
  needs: { limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 } },
  // Calls carry no configs it could use, it has no fusion: false, and a new shape builds new pipelines.
  doesNotTakePartIn: ['registry-configs', 'fusion-off', 'dynamic-shapes'],
  async compile(graph, _kernels, device): Promise<CompiledProgram> {
    await useDevice(device);
    const f = jit(graphFunction(graph));
    return { wgsl: [], run: (io) => runGraph(graph, f, device, io), dispose: () => f.dispose() };
  },
};

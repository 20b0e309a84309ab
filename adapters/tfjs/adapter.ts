/**
 * TensorFlow.js 4.22's WebGPU backend as a wgfuse implementation, through its public API only:
 *
 *   npm run conformance -- --impl ./adapters/tfjs/adapter.ts --expect ./adapters/tfjs/expectations.json
 *
 * The backend runs on the device the harness hands over (`new WebGPUBackend(device)`); inputs are the
 * harness's buffers wrapped without a copy (`tf.tensor({ buffer, zeroCopy: true })`); each output is read
 * to a GPU buffer (`dataToGPU`) and copied into the harness's output buffer (a copy is no dispatch). Each
 * IR node maps to the TF.js op that computes it; TF.js decides what it fuses, and the harness counts it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { CompiledProgram, Implementation, ProgramIO } from '../../spec/implementation.js';
import type { Graph, Node } from '../../spec/ir/types.js';

const RMSNORM_EPS = Math.fround(1e-5);

// TF.js's WebGPU kernels are registered for the backend named 'webgpu': that name is bound to the device
// last handed over, and bound anew when another device comes (the null backend's, say).
let bound: GPUDevice | undefined;

async function useDevice(device: GPUDevice): Promise<WebGPUBackend> {
  // TF.js refuses to construct its backend unless navigator.gpu exists, though it never calls it when
  // handed a device; Node has no navigator, so a stand-in says so. It offers no adapter of its own.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...g.navigator, userAgent: 'node', gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
  }
  if (bound !== device) {
    if (tf.findBackend('webgpu') !== null) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device));
    bound = device;
  }
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on this device');
  return tf.backend() as WebGPUBackend;
}

const UNARY: Readonly<Record<string, (x: tf.Tensor) => tf.Tensor>> = {
  neg: tf.neg, abs: tf.abs, relu: tf.relu, exp: tf.exp, log: tf.log, sqrt: tf.sqrt, tanh: tf.tanh, sigmoid: tf.sigmoid,
};
const BINARY: Readonly<Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>> = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, maximum: tf.maximum, minimum: tf.minimum,
};

/** The TF.js tensor of one node, from its operands'. */
function evaluate(node: Node, arg: (k: number) => tf.Tensor): tf.Tensor {
  switch (node.kind) {
    case 'const':
      return tf.scalar(node.value, 'float32');
    case 'op': {
      const unary = UNARY[node.op];
      if (unary !== undefined) return unary(arg(0));
      const binary = BINARY[node.op];
      if (binary === undefined) throw new Error(`no TF.js op for '${node.op}'`);
      return binary(arg(0), arg(1));
    }
    case 'transpose': {
      const rank = node.shape.length;
      return tf.transpose(arg(0), [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2]);
    }
    case 'call':
      switch (node.semantics) {
        case 'elementwise_add':
          return tf.add(arg(0), arg(1));
        case 'matmul':
          return tf.matMul(arg(0), arg(1));
        case 'softmax':
          return tf.softmax(arg(0));
        case 'rmsnorm': {
          const x = arg(0);
          return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), tf.scalar(RMSNORM_EPS)))), arg(1));
        }
        default:
          throw new Error(`no TF.js mapping for kernel semantics '${node.semantics}'`);
      }
    case 'input':
      throw new Error('inputs are bound, not evaluated');
  }
}

/** Runs the graph on the harness's buffers and copies each output into place. */
async function runGraph(graph: Graph, device: GPUDevice, io: ProgramIO): Promise<void> {
  const backend = await useDevice(device);
  const keep: tf.Tensor[] = [];
  const outputs = tf.tidy(() => {
    const values = new Map<number, tf.Tensor>();
    graph.inputs.forEach((id, k) => {
      const node = graph.nodes[id] as Node;
      values.set(id, tf.tensor({ buffer: io.inputs[k] as GPUBuffer, zeroCopy: true }, [...node.shape], 'float32'));
    });
    for (const node of graph.nodes) {
      if (node.kind === 'input') continue;
      values.set(node.id, evaluate(node, (k) => values.get((node as { args: readonly number[] }).args[k] as number) as tf.Tensor));
    }
    return graph.outputs.map((id) => values.get(id) as tf.Tensor);
  });
  keep.push(...outputs);
  const encoder = device.createCommandEncoder({ label: 'tfjs outputs' });
  const reads: { tensorRef: tf.Tensor }[] = [];
  outputs.forEach((t, k) => {
    const bytes = t.size * 4;
    if (graph.inputs.includes(graph.outputs[k] as number)) {
      // An input returned as it is: TF.js has nothing to compute; copy it straight across.
      encoder.copyBufferToBuffer(io.inputs[graph.inputs.indexOf(graph.outputs[k] as number)] as GPUBuffer, 0, io.outputs[k] as GPUBuffer, 0, bytes);
      return;
    }
    const data = t.dataToGPU();
    reads.push(data);
    if (bytes > 0) encoder.copyBufferToBuffer(data.buffer as GPUBuffer, 0, io.outputs[k] as GPUBuffer, 0, bytes);
  });
  // Flush what TF.js has recorded (the reads included) before the copies that depend on it.
  backend.ensureCommandEncoderReady();
  backend.submitQueue();
  device.queue.submit([encoder.finish()]);
  for (const r of reads) r.tensorRef.dispose();
  for (const t of keep) t.dispose();
}

export const implementation: Implementation = {
  name: 'TensorFlow.js 4.22 (WebGPU backend)',
  // Several of its programs use 256-wide workgroups; TF.js's own device factory asks for the adapter's limits.
  needs: { limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxStorageBuffersPerShaderStage: 8 } },
  // Its kernels take no configs, it has no fusion: false, and extents are baked into its shaders' uniforms per shape.
  doesNotTakePartIn: ['registry-configs', 'fusion-off'],
  async compile(graph, _kernels, device): Promise<CompiledProgram> {
    // The backend binds to the device it is given; starting it here keeps run() to the work itself.
    await useDevice(device);
    return { wgsl: [], run: (io) => runGraph(graph, device, io), dispose: () => undefined };
  },
};

// Standalone repro of adapters/findings/ort-webgpu-workgroup-limit.md: ONNX Runtime Web 1.30's WebGPU EP builds
// its Transpose and ReduceMean programs with workgroups wider than a compatibility-mode device allows by default
// (128 invocations), and fails the run instead of choosing a narrower workgroup. Each model runs on a device with
// the default limits and on one granted 256 invocations; a correct EP runs on both.
//
//   npx tsx adapters/findings/ort-webgpu-workgroup-limit.ts     (prints each outcome; exits 1 while the bug is there)
import { setFlagsFromString } from 'node:v8';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web/webgpu';
import { acquireGpu, declareNeeds } from '../../conformance/harness/device.js';

const { onnx } = onnxProto;
setFlagsFromString('--liftoff-only');
ort.env.wasm.numThreads = 1;
Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'node', gpu: { requestAdapter: async () => null } }, configurable: true });

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const tensor = (name: string, shape: number[]) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
/** A one-node model y = op(x). */
function model(opType: string, xShape: number[], yShape: number[], attribute: object[]): Uint8Array {
  const graph = { name: 'g', input: [tensor('x', xShape)], output: [tensor('y', yShape)], node: [{ opType, input: ['x'], output: ['y'], attribute }] };
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph }).finish();
}
const INTS = onnx.AttributeProto.AttributeType.INTS;
const cases = [
  // y[0][1] = x[1][0] = 64
  { what: 'Transpose of [64,64]', shape: [64, 64], model: model('Transpose', [64, 64], [64, 64], [{ name: 'perm', type: INTS, ints: [1, 0] }]), check: (y: Float32Array) => `y[0][1] = ${y[1]} (x[1][0] = 64)` },
  // mean of 0..999 = 499.5
  { what: 'ReduceMean of [1000]', shape: [1000], model: model('ReduceMean', [1000], [1], [{ name: 'axes', type: INTS, ints: [-1] }]), check: (y: Float32Array) => `y = ${y[0]} (499.5)` },
];

function bound(target: object, prop: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/** Dawn for Node refuses shared views in writeBuffer; ORT's wasm heap is a SharedArrayBuffer. */
function withPlainWrites(device: GPUDevice): GPUDevice {
  const queue = device.queue;
  const writeBuffer = (b: GPUBuffer, o: number, d: ArrayBufferView, ...rest: number[]) =>
    queue.writeBuffer(b, o, d.buffer instanceof SharedArrayBuffer ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice() : d, ...rest);
  const q = new Proxy(queue, { get: (t, p) => (p === 'writeBuffer' ? writeBuffer : bound(t, p)) });
  return new Proxy(device, { get: (t, p) => (p === 'queue' ? q : bound(t, p)) });
}

// Dawn for Node does not keep the event loop alive while ORT awaits a pipeline.
const keepAlive = setInterval(() => undefined, 1000);
let failures = 0;
for (const invocations of [undefined, 256]) {
  declareNeeds(invocations === undefined ? undefined : { limits: { maxComputeInvocationsPerWorkgroup: invocations, maxComputeWorkgroupSizeX: invocations } });
  const acquired = await acquireGpu();
  if (!acquired.ok) throw new Error('no WebGPU device');
  const { device } = acquired.gpu;
  (ort.env.webgpu as { adapter?: unknown }).adapter = { limits: device.limits, features: device.features, requestDevice: async () => device };
  const on = `on a device with maxComputeInvocationsPerWorkgroup ${device.limits.maxComputeInvocationsPerWorkgroup}`;
  for (const c of cases) {
    const session = await ort.InferenceSession.create(c.model, { executionProviders: [{ name: 'webgpu', device: withPlainWrites(device) } as never] });
    const input = new ort.Tensor('float32', Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, (_, i) => i), c.shape);
    try {
      const out = (await session.run({ x: input }))['y'] as ort.Tensor;
      console.log(`${c.what} ${on}: ran, ${c.check(out.data as Float32Array)}`);
    } catch (e) {
      failures++;
      console.log(`${c.what} ${on}: failed: ${(e instanceof Error ? e.message : String(e)).replace(/^.*Status Message: /s, '')}`);
    }
    await session.release();
  }
}
clearInterval(keepAlive);
process.exit(failures > 0 ? 1 : 0);

// What the TF.js findings' repros share: TF.js's WebGPU backend on the harness's device, opened with the
// limits the adapter declares (adapters/tfjs/adapter.ts), as the suite runs it.
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { acquireGpu, declareNeeds } from '../../conformance/harness/device.js';
import { implementation } from '../tfjs/adapter.js';

/** Opens the device (with the adapter's needs unless `adapterNeeds: false`) and makes TF.js's 'webgpu' backend run on it. */
export async function tfjsOnHarnessDevice(options: { readonly adapterNeeds?: boolean } = {}): Promise<GPUDevice> {
  if (options.adapterNeeds !== false && implementation.needs !== undefined) declareNeeds(implementation.needs);
  const acquired = await acquireGpu();
  if (!acquired.ok) throw new Error('no WebGPU device');
  const device = acquired.gpu.device;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'node', gpu: {} }, configurable: true });
  tf.registerBackend('webgpu', () => new WebGPUBackend(device));
  await tf.setBackend('webgpu');
  return device;
}

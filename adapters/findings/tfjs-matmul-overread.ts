// Standalone repro of adapters/findings/tfjs-matmul-overread.md: TF.js 4.22's WebGPU matmul reads past
// the logical end of its operands. The same batched matmul runs twice on tensors wrapped around GPU
// buffers: once with buffers exactly the tensors' size, once with buffers padded by NaN. A correct matmul
// never reads the padding, so both must give the same finite results.
//
//   npx tsx adapters/findings/tfjs-matmul-overread.ts        (prints the NaN count; exits 1 while the bug is there)
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOnHarnessDevice } from './tfjs-device.js';

const device = await tfjsOnHarnessDevice({ adapterNeeds: false });

const [batch, m, k, n] = [3, 13, 17, 7];
const STORAGE_COPY = 0x80 | 0x04 | 0x08;

/** A GPU buffer holding `data`, then `pad` elements of `fill`. */
function buffer(data: Float32Array, pad: number, fill: number): GPUBuffer {
  const b = device.createBuffer({ size: (data.length + pad) * 4, usage: STORAGE_COPY, mappedAtCreation: true });
  const view = new Float32Array(b.getMappedRange());
  view.fill(fill);
  view.set(data);
  b.unmap();
  return b;
}

const a = Float32Array.from({ length: batch * m * k }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: batch * k * n }, (_, i) => Math.cos(i));
async function run(pad: number): Promise<Float32Array> {
  const ta = tf.tensor({ buffer: buffer(a, pad, NaN), zeroCopy: true }, [batch, m, k], 'float32');
  const tb = tf.tensor({ buffer: buffer(b, pad, NaN), zeroCopy: true }, [batch, k, n], 'float32');
  const out = (await tf.matMul(ta, tb).data()) as Float32Array;
  tf.dispose([ta, tb]);
  return out;
}
const exact = await run(0);
const padded = await run(64);
const nan = (x: Float32Array): number => x.filter((v) => Number.isNaN(v)).length;
console.log(`matmul [${batch},${m},${k}] x [${batch},${k},${n}]: ${nan(exact)} NaN with exact-size buffers, ${nan(padded)} NaN of ${padded.length} with NaN padding after the tensors`);
process.exit(nan(padded) > 0 ? 1 : 0);

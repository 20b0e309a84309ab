// Standalone repro of adapters/findings/tfjs-rank5-shared-binary-op.md: TF.js 4.22's WebGPU backend cannot run
// a broadcasting binary op on its shared-memory path at rank 5 or 6: `minimum(s[15], x[7,13,1,3,15])` generates
// WGSL that indexes a struct (`vec5`) like an array, so the shader module is rejected and the pipeline invalid,
// and every later use of that program fails "due to a previous error". The same op at rank 4 runs.
//
//   npx tsx adapters/findings/tfjs-rank5-shared-binary-op.ts        (prints each rank's outcome; exits 1 while the bug is there)
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOnHarnessDevice } from './tfjs-device.js';

const device = await tfjsOnHarnessDevice();
const errors: string[] = [];
device.onuncapturederror = (e) => errors.push(e.error.message.split('\n')[0] ?? '');

let failed = false;
for (const shape of [[7, 13, 3, 15], [7, 13, 1, 3, 15], [7, 13, 1, 3, 1, 15]]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: n }, (_, i) => i % 15), shape);
  const s = tf.tensor(new Float32Array(15).fill(7), [15]);
  errors.length = 0;
  // A small operand broadcast along a large one: TF.js keeps it in workgroup memory (its shared binary-op path).
  const out = (await tf.minimum(s, x).data()) as Float32Array;
  await device.queue.onSubmittedWorkDone();
  const right = out.every((v, i) => v === Math.min(7, i % 15));
  if (!right || errors.length > 0) failed = true;
  console.log(`minimum(s[15], x[${shape.join(',')}]): ${right ? 'right' : `wrong (out[9] = ${out[9]})`}${errors.length > 0 ? `; WebGPU error: ${errors[0]}` : ''}`);
  tf.dispose([x, s]);
}
process.exit(failed ? 1 : 0);

// Standalone repro of adapters/findings/tfjs-matmul-overread-relu-zeros.md: the zeros TF.js 4.22 returns for
// `relu(matmul(a*0.5, b))` with a [2,153,3], b [2,3,217] ([gen.large.1]) are its matmul over-read
// (adapters/findings/tfjs-matmul-overread.md) seen through relu. With K = 3, smaller than the 32-deep K tile of
// TF.js's packed matmul, every batch reads B's rows 3..31, past B's end, and multiplies them by A's masked
// zero: with NaN after B every output is NaN. TF.js's relu, `select(a, 0.0, a < 0.0)`, gives 0 for NaN on this
// adapter (WGSL lets an implementation assume no NaN), so the elements whose right value is positive read 0.
// Exact-size buffers give the right values. Public API only, on the harness's device.
//
//   npx tsx adapters/findings/tfjs-matmul-overread-relu-zeros.ts   (prints the counts; exits 1 while the bug is there)
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOnHarnessDevice } from './tfjs-device.js';

const device = await tfjsOnHarnessDevice();

const STORAGE_COPY = 0x80 | 0x04 | 0x08;
/** A GPU buffer holding `data`, then `pad` NaN (the harness pads every input with a NaN canary of 64 elements). */
function buffer(data: Float32Array, pad: number): GPUBuffer {
  const b = device.createBuffer({ size: (data.length + pad) * 4, usage: STORAGE_COPY, mappedAtCreation: true });
  const view = new Float32Array(b.getMappedRange());
  view.fill(NaN);
  view.set(data);
  b.unmap();
  return b;
}

const [batch, m, k, n] = [2, 153, 3, 217];
const a = Float32Array.from({ length: batch * m * k }, (_, i) => Math.sin(i) * 2);
const b = Float32Array.from({ length: batch * k * n }, (_, i) => Math.cos(i) * 2);
const right = new Float64Array(batch * m * n);
for (let q = 0; q < batch; q++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
  let s = 0;
  for (let p = 0; p < k; p++) s += (a[(q * m + i) * k + p] as number) * 0.5 * (b[(q * k + p) * n + j] as number);
  right[(q * m + i) * n + j] = s;
}
const close = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-4 * (1 + Math.abs(y));

let failed = false;
for (const pad of [0, 64]) {
  const ta = tf.tensor({ buffer: buffer(a, pad), zeroCopy: true }, [batch, m, k], 'float32');
  const tb = tf.tensor({ buffer: buffer(b, pad), zeroCopy: true }, [batch, k, n], 'float32');
  const mm = tf.matMul(tf.mul(ta, tf.scalar(0.5)), tb);
  const raw = (await mm.data()) as Float32Array;
  const out = (await tf.relu(mm).data()) as Float32Array;
  const nanPerBatch = Array.from({ length: batch }, (_, q) => raw.subarray(q * m * n, (q + 1) * m * n).filter((v) => Number.isNaN(v)).length);
  let zeros = 0, wrong = 0;
  out.forEach((v, i) => {
    const want = Math.max(0, right[i] as number);
    if (!close(v, want)) { wrong++; if (v === 0) zeros++; }
  });
  if (wrong > 0) failed = true;
  console.log(`matmul [${batch},${m},${k}] x [${batch},${k},${n}], ${pad === 0 ? 'exact-size buffers' : `${pad} NaN after each tensor`}: ` +
    `matmul ${nanPerBatch.reduce((s, x) => s + x, 0)} NaN of ${raw.length} (per batch ${nanPerBatch.join('/')}); relu of it ${wrong} wrong, ${zeros} of them 0`);
  tf.dispose([ta, tb, mm]);
}
console.log(`relu([NaN, -1, 2]) = [${Array.from((await tf.relu(tf.tensor([NaN, -1, 2])).data()) as Float32Array).join(', ')}]`);
process.exit(failed ? 1 : 0);

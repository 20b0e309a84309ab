// Standalone repro of adapters/findings/tfjs-softmax-folded-grid.md: TF.js 4.22's WebGPU softmax dispatches one
// workgroup per row; past 65535 rows its backend folds the grid into a square of ceil(sqrt(rows))² workgroups,
// and the softmax shader never checks that its row exists, so the extra workgroups store out of bounds. WebGPU
// clamps those stores onto the output's last element, which comes back wrong (1/3 for 3 columns here: the extra
// rows' reads are clamped too, all to one value). Exact-size buffers, public API only, on the harness's device.
//
//   npx tsx adapters/findings/tfjs-softmax-folded-grid.ts   (prints each row count's outcome; exits 1 while the bug is there)
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOnHarnessDevice } from './tfjs-device.js';

const device = await tfjsOnHarnessDevice();

const cols = 3;
let failed = false;
// 65536 rows fold into exactly 256 × 256 workgroups; 65537 into 257 × 257 = 66049, 70001 into 265 × 265 = 70225.
for (const rows of [65535, 65536, 65537, 70001]) {
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 2);
  const tx = tf.tensor(x, [rows, cols]);
  const y = tf.softmax(tx);
  const out = (await y.data()) as Float32Array;
  const wrong: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((s, v) => s + v, 0);
    e.forEach((v, c) => {
      const got = out[r * cols + c] as number;
      if (!(Math.abs(got - v / sum) <= 1e-5)) wrong.push(`element ${r * cols + c} = ${got} (right ${(v / sum).toPrecision(7)})`);
    });
  }
  if (wrong.length > 0) failed = true;
  const grid = rows > device.limits.maxComputeWorkgroupsPerDimension ? `${Math.ceil(Math.sqrt(rows))}² workgroups` : `${rows} workgroups`;
  console.log(`softmax of [${rows},${cols}] (${grid}): ${wrong.length === 0 ? 'right' : `${wrong.length} wrong: ${wrong.slice(0, 3).join('; ')}`}`);
  tf.dispose([tx, y]);
}
process.exit(failed ? 1 : 0);

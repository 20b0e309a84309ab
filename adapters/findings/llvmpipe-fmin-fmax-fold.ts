// Standalone repro of adapters/findings/llvmpipe-fmin-fmax-fold.md: on Dawn's OpenGL backend over Mesa
// llvmpipe (CI's adapter), `min(max(a, 0) + 0, c)` with c < 0 returns 0 instead of c. Each WGSL body below
// runs once on a = 1 and on a = -3; the expected value is computed here in f32 arithmetic.
//
//   npx tsx adapters/findings/llvmpipe-fmin-fmax-fold.ts     (prints each variant; exits 1 while the bug is there)
import { acquireGpu } from '../../conformance/harness/device.js';
import { dispatchOnce } from './dispatch-once.js';

const acquired = await acquireGpu();
if (!acquired.ok) throw new Error('no WebGPU device');
const { device, summary, backend } = acquired.gpu;

async function run(body: string, a: number): Promise<number> {
  const code = [
    '@group(0) @binding(0) var<storage, read> src: array<f32>;',
    '@group(0) @binding(1) var<storage, read_write> dst: array<f32>;',
    `@compute @workgroup_size(1) fn main() { let a = src[0]; dst[0] = ${body}; }`,
  ].join('\n');
  return new Float32Array(await dispatchOnce(device, code, Float32Array.of(a), 4))[0] as number;
}

const f = Math.fround;
const VARIANTS: readonly [string, (a: number) => number][] = [
  ['min(max(a, 0f) + 0f, -0.125f)', (a) => Math.min(f(Math.max(a, 0) + 0), -0.125)],
  ['min(max(a, 0f) + 0f, -2f)', (a) => Math.min(f(Math.max(a, 0) + 0), -2)],
  ['min(-0.125f, max(a, 0f) + 0f)', (a) => Math.min(-0.125, f(Math.max(a, 0) + 0))],
  ['min(max(a, 0f), -0.125f)', (a) => Math.min(Math.max(a, 0), -0.125)],
  ['min(max(a, 0f) + 1f, -0.125f)', (a) => Math.min(f(Math.max(a, 0) + 1), -0.125)],
  ['min(a + 0f, -0.125f)', (a) => Math.min(f(a + 0), -0.125)],
];
console.log(`adapter: ${summary.device || summary.description} (${backend})`);
let wrong = 0;
for (const [body, expected] of VARIANTS) {
  const got = [await run(body, 1), await run(body, -3)];
  const want = [expected(1), expected(-3)];
  const ok = got.every((g, k) => g === want[k]);
  if (!ok) wrong++;
  console.log(`${ok ? 'right' : 'WRONG'}  ${body.padEnd(32)} a=1: ${got[0]} (expected ${want[0]}), a=-3: ${got[1]} (expected ${want[1]})`);
}
process.exit(wrong > 0 ? 1 : 0);

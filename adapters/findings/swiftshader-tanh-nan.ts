// Standalone repro of adapters/findings/swiftshader-tanh-nan.md: on Dawn's Vulkan backend over SwiftShader
// (the Vulkan driver Debian's chromium-common ships), WGSL's tanh(x) is NaN for |x| ≥ 89, where it should be
// ±1 (within 1e-5). Needs Debian's libvulkan1 and chromium-common.
//
//   npx tsx adapters/findings/swiftshader-tanh-nan.ts     (prints tanh and sinh/cosh per x; exits 1 while the bug is there)
import { existsSync } from 'node:fs';
import { dispatchOnce } from './dispatch-once.js';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(ICD)) process.env['VK_ICD_FILENAMES'] = ICD;
process.env['WGFUSE_BACKEND'] = 'vulkan';
const { acquireGpu } = await import('../../conformance/harness/device.js');
const acquired = await acquireGpu();
if (!acquired.ok) {
  console.log(`no Vulkan adapter (${acquired.attempts.map((a) => `${a.backend}: ${a.message}`).join("; ")}): install libvulkan1 and chromium-common, or set VK_ICD_FILENAMES`);
  process.exit(2);
}
const { device, summary, backend } = acquired.gpu;

/** `body` (of `a`) on every x, one invocation each. */
async function run(body: string, xs: readonly number[]): Promise<number[]> {
  const code = [
    '@group(0) @binding(0) var<storage, read> src: array<f32>;',
    '@group(0) @binding(1) var<storage, read_write> dst: array<f32>;',
    `@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) g: vec3u) { let a = src[g.x]; dst[g.x] = ${body}; }`,
  ].join('\n');
  return Array.from(new Float32Array(await dispatchOnce(device, code, Float32Array.from(xs), xs.length * 4, xs.length)));
}

const xs = [-1e30, -100, -89, -88, -10, -0.5, 0.5, 10, 88, 89, 100, 1e30];
console.log(`adapter: ${summary.device || summary.description} (${backend})`);
const show = (vs: readonly number[]): string => vs.map((v) => String(Number(v.toPrecision(6))).padStart(11)).join('');
console.log(`x                 ${show(xs)}`);
const tanh = await run('tanh(a)', xs);
console.log(`tanh(x)           ${show(tanh)}`);
console.log(`sinh(x)/cosh(x)   ${show(await run('sinh(a) / cosh(a)', xs))}`);
console.log(`tanh(clamp(x,±10))${show(await run('tanh(clamp(a, -10f, 10f))', xs))}`);
const wrong = xs.filter((x, i) => !(Math.abs((tanh[i] as number) - Math.tanh(x)) <= 1e-5));
console.log(wrong.length === 0 ? 'tanh is within 1e-5 everywhere: the bug is not present' : `tanh is wrong (not within 1e-5 of ±1) at x = ${wrong.join(', ')}`);
process.exit(wrong.length === 0 ? 0 : 1);

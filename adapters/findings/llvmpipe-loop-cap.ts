// Standalone repro of adapters/findings/llvmpipe-loop-cap.md: on Dawn's OpenGL backend over Mesa llvmpipe
// (CI's adapter), a shader invocation's loops stop after 65535 trips in all, without an error. Each variant
// reads its loop bounds n and m from a storage buffer (so nothing is folded or unrolled) and counts the
// bodies it ran in c and d; the expected counts are computed here.
//
//   npx tsx adapters/findings/llvmpipe-loop-cap.ts     (prints each variant; exits 1 while the cap is there)
import { acquireGpu } from '../../conformance/harness/device.js';
import { dispatchOnce } from './dispatch-once.js';

const acquired = await acquireGpu();
if (!acquired.ok) throw new Error('no WebGPU device');
const { device, summary, backend } = acquired.gpu;

/** Runs `body` in a workgroup of `lanes` invocations; returns [c, d] of each. */
async function run(body: string, n: number, m: number, lanes = 1): Promise<[number, number][]> {
  const code = [
    '@group(0) @binding(0) var<storage, read> p: array<u32, 2>;',
    '@group(0) @binding(1) var<storage, read_write> dst: array<u32>;',
    `@compute @workgroup_size(${lanes}) fn main(@builtin(local_invocation_index) lid: u32) {`,
    `  let n = p[0]; let m = p[1]; var c = 0u; var d = 0u; ${body}`,
    '  dst[2u * lid] = c; dst[2u * lid + 1u] = d;',
    '}',
  ].join('\n');
  const out = new Uint32Array(await dispatchOnce(device, code, Uint32Array.of(n, m), 8 * lanes));
  return Array.from({ length: lanes }, (_, k) => [out[2 * k] ?? 0, out[2 * k + 1] ?? 0]);
}

const FOR = 'for (var i = 0u; i < n; i++) { c += 1u; }';
// [name, WGSL, n, m, expected c, expected d]
const VARIANTS: readonly [string, string, number, number, number, number][] = [
  ['one loop, 65535 bodies', FOR, 65535, 0, 65535, 0],
  ['one loop, 65536 bodies', FOR, 65536, 0, 65536, 0],
  ['one loop, 2^20 bodies', FOR, 2 ** 20, 0, 2 ** 20, 0],
  ['loop {} with break', 'var i = 0u; loop { if (i >= n) { break; } c += 1u; i++; }', 70000, 0, 70000, 0],
  ['loop with workgroupBarrier', 'for (var i = 0u; i < n; i++) { workgroupBarrier(); c += 1u; }', 70000, 0, 70000, 0],
  ['two loops of 60000 (budget shared)', `${FOR} for (var j = 0u; j < m; j++) { d += 1u; }`, 60000, 60000, 60000, 60000],
  ['nested 300 x 300', 'for (var i = 0u; i < n; i++) { for (var j = 0u; j < m; j++) { c += 1u; } d += 1u; }', 300, 300, 90000, 300],
  ['nested 65536 x 1 (3 trips per outer)', 'for (var i = 0u; i < n; i++) { for (var j = 0u; j < m; j++) { c += 1u; } d += 1u; }', 65536, 1, 65536, 65536],
  ['constant inner bound (unrolled)', 'for (var i = 0u; i < n; i++) { for (var j = 0u; j < 4u; j++) { c += 1u; } d += 1u; }', 16384, 0, 65536, 16384],
];
console.log(`adapter: ${summary.device || summary.description} (${backend})`);
let wrong = 0;
for (const [name, body, n, m, wantC, wantD] of VARIANTS) {
  const [[c, d] = [0, 0]] = await run(body, n, m);
  const ok = c === wantC && d === wantD;
  if (!ok) wrong++;
  console.log(`${ok ? 'right' : 'WRONG'}  ${name.padEnd(38)} c=${c} d=${d} (expected c=${wantC} d=${wantD})`);
}
// The budget belongs to llvmpipe's SIMD row of 8 invocations: lane 0's first loop uses it up for lanes 1..7 too.
const lanes = await run(`if (lid == 0u) { ${FOR} } for (var j = 0u; j < m; j++) { d += 1u; }`, 60000, 60000, 16);
const second = lanes.map(([, d]) => d);
const shared = second.some((d) => d !== 60000);
if (shared) wrong++;
console.log(`${shared ? 'WRONG' : 'right'}  lane 0 loops 60000, then every lane 60000: second loop per lane ${second.join(',')} (expected 60000 each)`);
process.exit(wrong > 0 ? 1 : 0);

/**
 * Hand-written WGSL shapes of the seed chain relu(x*2 + (y+1)) and of a plain copy, timed as the kernel
 * bench times the reference (scripts/lib/bench-kernel.ts: ~warm-up, pass timestamps, median of rounds), to
 * find what codegen should emit on a GPU before codegen is changed. Every output is checked after timing.
 *
 *   tsx scripts/gpu/kernel-sweep.ts [--log2 24,26] [--warm-ms 500] [--rounds 5] [--dispatches 50] [--json FILE]
 *                                   [--only RE] [--stagger D,...]
 *
 * scripts/gpu-bench.sh runs it when SWEEP=1. Shapes: lanes per workgroup; U quads per invocation, either
 * lanes apart (the reference's [codegen.vec4.2]) or adjacent; runtime-sized or fixed-size arrays; a fixed
 * grid whose lanes stride through N; the plain copy and chain again on a device with Dawn's robustness off; and
 * (--stagger) the chain with its three streams bound at other offsets from each other.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { balanced, components, reduceRow, type RowLayout } from '../../reference/kernels/row-reduction.js';
import { chainBuffers, launchOf, limitsOf, openBenchDevice, readBuffer, summarize, timeLaunch, type KernelBenchDevice } from '../lib/bench-kernel.js';

interface Shape {
  /** `empty` touches no memory: the fixed cost of a dispatch of that grid, as the timestamps see it. */
  readonly op: 'copy' | 'chain' | 'empty';
  readonly lanes: number;
  readonly u: number;
  /** Each invocation's U quads adjacent (2 × 16 B per lane) rather than lanes apart. */
  readonly adjacent?: boolean;
  /** array<vec4f, Q> bindings instead of runtime-sized ones. */
  readonly fixed?: boolean;
  /** One workgroup instead of the grid over N: what a timestamped pass costs with (next to) no work in it. */
  readonly single?: boolean;
  /** A grid of this many workgroups whose lanes step through N by the grid's width (a grid-stride loop). */
  readonly persistent?: number;
}

const SHAPES: readonly Shape[] = [
  { op: 'empty', lanes: 256, u: 1, single: true },
  { op: 'empty', lanes: 256, u: 1 },
  ...[64, 128, 256, 512, 1024].map((lanes) => ({ op: 'copy' as const, lanes, u: 1 })),
  ...[64, 128, 256, 512, 1024].map((lanes) => ({ op: 'chain' as const, lanes, u: 1 })),
  { op: 'chain', lanes: 128, u: 2 },
  { op: 'chain', lanes: 256, u: 2 },
  { op: 'chain', lanes: 256, u: 2, adjacent: true },
  { op: 'chain', lanes: 256, u: 1, fixed: true },
  { op: 'copy', lanes: 256, u: 1, fixed: true },
  ...[1056, 2112, 4224, 8448].map((persistent) => ({ op: 'chain' as const, lanes: 256, u: 1, persistent })),
];

const nameOf = (s: Shape): string => `${s.op} ${s.lanes} lanes, ${s.u} quad${s.u > 1 ? 's' : ''}${s.u > 1 ? (s.adjacent === true ? ' adjacent' : ' lanes apart') : ''}${s.fixed === true ? ', fixed-size arrays' : ''}${s.single === true ? ', one workgroup' : ''}${s.persistent !== undefined ? `, ${s.persistent} workgroups striding` : ''}`;

/** The WGSL of one shape over n f32 (n a multiple of 4·lanes·u), its grid folded to the device's per-dimension limit. */
function wgslOf(s: Shape, n: number, perDim: number): { wgsl: string; grid: [number, number, number] } {
  const quads = n / 4;
  const tiles = s.single === true ? 1 : (s.persistent ?? Math.ceil(quads / (s.lanes * s.u)));
  const gy = Math.ceil(tiles / perDim);
  const gx = Math.ceil(tiles / gy);
  const arr = s.fixed === true ? `array<vec4f, ${quads}>` : 'array<vec4f>';
  const reads = { copy: ['x'], chain: ['x', 'y'], empty: [] }[s.op];
  const body = (i: string): string => ({ copy: `out[${i}] = x[${i}];`, chain: `out[${i}] = max((x[${i}] * 2.0) + (y[${i}] + 1.0), vec4f(0.0));`, empty: `_ = ${i};` })[s.op];
  const index = (k: number): string => (s.adjacent === true ? `first * ${s.u}u + ${k}u` : `first + ${k * s.lanes}u`);
  const first = s.adjacent === true ? `tile * ${s.lanes}u + lid.x` : `tile * ${s.lanes * s.u}u + lid.x`;
  const lines = [
    ...reads.map((r, b) => `@group(0) @binding(${b}) var<storage, read> ${r}: ${arr};`),
    ...(s.op === 'empty' ? [] : [`@group(0) @binding(${reads.length}) var<storage, read_write> out: ${arr};`]),
    `@compute @workgroup_size(${s.lanes})`,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
    `  let tile = wg.x + wg.y * ${gx}u;`,
    `  if (tile >= ${tiles}u) { return; }`,
    `  let first = ${first};`,
    ...(s.persistent !== undefined
      ? [`  for (var i = first; i < ${quads}u; i += ${tiles * s.lanes}u) { ${body('i')} }`]
      : Array.from({ length: s.u }, (_, k) => `  { let i = ${index(k)}; ${body('i')} }`)),
    '}',
  ];
  return { wgsl: lines.join('\n'), grid: [gx, gy, 1] };
}

/**
 * A row softmax over rows × cols f32, one row per workgroup of `lanes` lanes, the row cached in registers
 * and combined by the reference's own tree (reduceRow), as the softmax template emits it at [128] and
 * [256]; with `vec4`, each lane loads and stores whole quads (quad lane + k·lanes of the row) instead of
 * scalars, which is what the template would gain from vec4 row loads.
 */
function softmaxWgsl(lanes: number, vec4: boolean, rows: number, cols: number): string {
  const width = vec4 ? 4 : 1;
  const perLane = cols / width / lanes;
  const layout: RowLayout = { lanes, width, packed: 1, tiles: rows, cached: perLane, masked: false, length: cols, cols: () => `${cols}u`, header: [] };
  const t = vec4 ? 'vec4f' : 'f32';
  const regs = Array.from({ length: perLane }, (_, k) => `x${k}`);
  const max = (a: string, b: string): string => `max(${a}, ${b})`;
  const add = (a: string, b: string): string => `(${a} + ${b})`;
  return [
    `@group(0) @binding(0) var<storage, read> x: array<${t}>;`,
    `@group(0) @binding(1) var<storage, read_write> out: array<${t}>;`,
    `var<workgroup> sm_max: array<f32, ${lanes}>;`,
    `var<workgroup> sm_sum: array<f32, ${lanes}>;`,
    `@compute @workgroup_size(${lanes})`,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
    '  let lane = lid.x;',
    `  let base = wg.x * ${cols / width}u;`,
    ...regs.map((r, k) => `  var ${r} = x[base + lane + ${k * lanes}u];`),
    `  let m4 = ${balanced(regs, max)};`,
    `  let m = ${vec4 ? balanced(components('m4'), max) : 'm4'};`,
    ...reduceRow('sm_max', layout, 'm', 'row_max', max).map((l) => `  ${l}`),
    ...regs.map((r) => `  ${r} = exp(${r} - ${t}(row_max));`),
    `  let s4 = ${balanced(regs, add)};`,
    `  let s = ${vec4 ? balanced(components('s4'), add) : 's4'};`,
    ...reduceRow('sm_sum', layout, 's', 'total', add).map((l) => `  ${l}`),
    ...regs.map((r, k) => `  out[base + lane + ${k * lanes}u] = ${r} / total;`),
    '}',
  ].join('\n');
}

/** The largest |got − softmax(x)| / softmax(x) over rows × cols, the reference row by row in f64. */
function softmaxError(x: Float32Array, got: Float32Array, cols: number): number {
  let worst = 0;
  for (let base = 0; base < x.length; base += cols) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[base + j] ?? 0);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp((x[base + j] ?? 0) - m);
    for (let j = 0; j < cols; j++) {
      const want = Math.exp((x[base + j] ?? 0) - m) / sum;
      worst = Math.max(worst, Math.abs((got[base + j] ?? 0) - want) / want);
    }
  }
  return worst;
}

const { values } = parseArgs({ options: { log2: { type: 'string' }, 'warm-ms': { type: 'string' }, rounds: { type: 'string' }, dispatches: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' }, stagger: { type: 'string' } } });
/** --only RE: just the rows whose names match (the --stagger rows are asked for by name already). */
const only = values.only === undefined ? undefined : new RegExp(values.only);
const wanted = (name: string): boolean => only === undefined || only.test(name);
/** --stagger D,...: the chain again with y bound D bytes and out 2·D bytes into their buffers, so the three streams sit at other offsets from each other. */
const staggers = (values.stagger ?? '').split(',').filter((d) => d !== '').map(Number);
const timing = { rounds: Number(values.rounds ?? 5), dispatches: Number(values.dispatches ?? 50), warmMs: Number(values['warm-ms'] ?? 500) };
const sizes = (values.log2 ?? '24,26').split(',').map((k) => 2 ** Number(k));
const bench = await openBenchDevice('vulkan');
const { device } = bench;
const perDim = limitsOf(device).maxComputeWorkgroupsPerDimension;
const rows: { n: number; shape: string; grid: number[]; median: number; low: number; high: number; backToBack: number; gbps: number; ok: boolean }[] = [];
const BYTES_PER_ELEMENT = { copy: 8, chain: 12, empty: 0 } as const;
/** The reference's own shape of each: 256 lanes, one quad a lane. */
const PLAIN = { copy: { op: 'copy', lanes: 256, u: 1 }, chain: { op: 'chain', lanes: 256, u: 1 } } as const satisfies Record<string, Shape>;
type Buffers = ReturnType<typeof chainBuffers>;

/** Times one kernel on `b`, then reads its output back and checks it (`check`, with a note for the row's name); records and prints the row. */
async function measure(b: KernelBenchDevice, n: number, shape: string, kernel: { wgsl: string; grid: [number, number, number] }, entries: { buffer: GPUBuffer; offset?: number; size?: number }[], bytes: number, check: () => Promise<{ ok: boolean; note?: string }>): Promise<void> {
  const ms = summarize(await timeLaunch(b, launchOf(b.device, kernel.wgsl, kernel.grid, entries), timing));
  const { ok, note } = await check();
  const row = { n, shape: note === undefined ? shape : `${shape} (${note})`, grid: kernel.grid, ...ms, gbps: bytes / (ms.median * 1e6), ok };
  rows.push(row);
  say(row);
}

/** Shape `s` over the chain's buffers on `b`: x (and y) in, out zeroed first and compared with the CPU's result after. */
async function measureShape(b: KernelBenchDevice, n: number, s: Shape, buffers: Buffers, shape = nameOf(s)): Promise<void> {
  const { bx, by, out } = buffers;
  b.device.queue.writeBuffer(out, 0, new Float32Array(n));
  const expected = { copy: buffers.x, chain: buffers.want, empty: new Float32Array(n) }[s.op];
  const bound = { copy: [bx, out], chain: [bx, by, out], empty: [] }[s.op].map((buffer) => ({ buffer }));
  await measure(b, n, shape, wgslOf(s, n, limitsOf(b.device).maxComputeWorkgroupsPerDimension), bound, BYTES_PER_ELEMENT[s.op] * n, async () => ({ ok: (await readBuffer(b.device, out, n)).every((v, i) => v === expected[i]) }));
}

console.log(`kernel sweep on ${bench.adapter} (${bench.backend}); ${bench.timestamps ? 'pass timestamps' : 'wall time of many dispatches'}`);
for (const n of sizes) {
  const buffers = chainBuffers(device, n);
  for (const s of SHAPES) {
    // The shapes guard whole tiles only: skip one the device can't run or whose tiles don't divide N.
    if (s.lanes > device.limits.maxComputeInvocationsPerWorkgroup || (n / 4) % (s.lanes * s.u) !== 0) continue;
    if (wanted(nameOf(s))) await measureShape(bench, n, s, buffers);
  }
  // Softmax at 4096 × 4096 (2^24 elements), as the template bench runs it: scalar as the template emits it, and vec4.
  const cols = 4096;
  for (const [lanes, vec4] of n === cols * cols ? ([[128, false], [128, true], [256, false], [256, true]] as const) : []) {
    const name = `softmax 4096², ${lanes} lanes, ${vec4 ? 'vec4' : 'scalar'} loads`;
    if (!wanted(name)) continue;
    const check = async (): Promise<{ ok: boolean; note: string }> => {
      const error = softmaxError(buffers.x, await readBuffer(device, buffers.out, n), cols);
      return { ok: error <= 1e-5, note: `max rel. err ${error.toExponential(1)}` };
    };
    device.queue.writeBuffer(buffers.out, 0, new Float32Array(n));
    await measure(bench, n, name, { wgsl: softmaxWgsl(lanes, vec4, cols, cols), grid: [cols, 1, 1] }, [{ buffer: buffers.bx }, { buffer: buffers.out }], 8 * n, check);
  }
  // The chain with y and out bound further into their buffers than x.
  for (const d of staggers) {
    const by = device.createBuffer({ size: 4 * n + d, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const bo = device.createBuffer({ size: 4 * n + 2 * d, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(by, d, buffers.y);
    const bound = [{ buffer: buffers.bx }, { buffer: by, offset: d, size: 4 * n }, { buffer: bo, offset: 2 * d, size: 4 * n }];
    await measure(bench, n, `${nameOf(PLAIN.chain)}, y at +${d} B, out at +${2 * d} B`, wgslOf(PLAIN.chain, n, perDim), bound, BYTES_PER_ELEMENT.chain * n, async () => ({ ok: (await readBuffer(device, bo, n, 2 * d)).every((v, i) => v === buffers.want[i]) }));
    by.destroy();
    bo.destroy();
  }
  buffers.destroy();
}
// The same copy and chain on a second device with Dawn's robustness off (no index clamps in the WGSL,
// no Vulkan robustBufferAccess): what bounds checking costs, not a setting the reference may assume.
const unguardedRows = [PLAIN.copy, PLAIN.chain].map((shape) => ({ shape, name: `${nameOf(shape)}, robustness off` })).filter((r) => wanted(r.name));
if (unguardedRows.length > 0) {
  const unguarded = await openBenchDevice('vulkan', ['enable-dawn-features=disable_robustness']);
  for (const n of sizes) {
    const buffers = chainBuffers(unguarded.device, n);
    for (const r of unguardedRows) await measureShape(unguarded, n, r.shape, buffers, r.name);
    buffers.destroy();
  }
  unguarded.device.destroy();
}
function say(row: (typeof rows)[number]): void {
  console.log(`  2^${Math.log2(row.n)}  ${row.shape.padEnd(48)} ${row.median.toFixed(4)} ms (${row.low.toFixed(4)}…${row.high.toFixed(4)})  ${row.gbps.toFixed(0)} GB/s  back to back ${row.backToBack.toFixed(4)}  grid ${row.grid.join('x')}${row.ok ? '' : '  WRONG OUTPUT'}`);
}
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ adapter: bench.adapter, rows }, null, 2));
if (rows.some((r) => !r.ok)) process.exitCode = 1;
device.destroy();

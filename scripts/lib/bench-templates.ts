/**
 * Kernel time of the reference's templates on issue 11's shapes (`npm run bench -- --parts kernel`), timed
 * as scripts/lib/bench-kernel.ts times the seed chain: softmax and rmsnorm over [4096, 4096] and the
 * fused `relu(a@b + bias)` over 2048³, one kernel each, for every config asked for, side by side in one run.
 * Each timed output is checked after timing against f64 sums on the CPU: eight whole rows of softmax and
 * rmsnorm, 512 sampled elements of the matmul.
 */
import { createRegistry, generateProgram, lowerGraph, matmul, rmsnorm, RMSNORM_EPS, softmax, trace } from '../../reference/index.js';
import type { CodegenLimits, Graph, KernelSource } from '../../reference/index.js';
import { limitsOf, readBuffer, referenceLaunch, summarize, timeLaunch } from './bench-kernel.js';
import type { KernelBenchDevice, KernelTimingOptions, Launch } from './bench-kernel.js';
import { pseudoRandom } from './bench-measure.js';

export interface TemplateRow {
  readonly work: 'softmax' | 'rmsnorm' | 'matmul';
  readonly shape: string;
  readonly config: string;
  readonly grid: readonly [number, number, number];
  readonly workgroup: string;
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** ms per kernel run back to back in one pass (timeLaunch's backToBack), the median over rounds. */
  readonly backToBack: number;
  /** GB/s for softmax and rmsnorm (reads x, writes out), TFLOP/s for matmul (2·M·N·K). */
  readonly rate: number;
  readonly unit: 'GB/s' | 'TFLOP/s';
  /** The config the template's tuned picker chooses for this shape ([registry.config.4]). */
  readonly default: boolean;
  /** Largest error after timing, relative to the check's scale (see checkRows, checkMatmul); ≤ 1e-4 passes. */
  readonly relError: number;
}

/** A config that does not compile on this device (a limit) is reported, not thrown. */
export interface TemplateSkip {
  readonly work: string;
  readonly config: string;
  readonly reason: string;
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

function oneKernel(graph: Graph, templates: ReturnType<typeof createRegistry>['templates'], limits: CodegenLimits, vec4 = true): KernelSource {
  const sources = generateProgram(lowerGraph(graph, templates), templates, limits, { vec4 });
  if (sources.length !== 1) throw new Error(`bench: expected one fused kernel, got ${sources.length}`);
  return sources[0] as KernelSource;
}

/** Each config as codegen emits it, then the tuned one with scalar loads too, to show what vec4 buys. */
function runsOf<T>(configs: readonly T[], tuned: T | undefined): { readonly config: T; readonly vec4: boolean }[] {
  return [...configs.map((config) => ({ config, vec4: true })), ...(tuned === undefined ? [] : [{ config: tuned, vec4: false }])];
}

/** Binds each input buffer at its read's binding and `out` at the write, as the executor does. */
function bind(device: GPUDevice, graph: Graph, source: KernelSource, inputs: readonly GPUBuffer[], out: GPUBuffer): Launch {
  const reads = source.reads.map((id) => {
    const k = graph.inputs.indexOf(id);
    if (k < 0) throw new Error(`bench: kernel reads %${id}, not a graph input`);
    return inputs[k] as GPUBuffer;
  });
  return referenceLaunch(device, source, [...reads, out]);
}

function upload(device: GPUDevice, data: Float32Array): GPUBuffer {
  const b = device.createBuffer({ size: data.byteLength, usage: STORAGE | COPY_SRC | COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

function workgroupOf(wgsl: string): string {
  return /@workgroup_size\(([^)]*)\)/.exec(wgsl)?.[1]?.replace(/\s/g, '') ?? '?';
}

/**
 * Eight rows (first, last, six spread between) of softmax(x) or rmsnorm(x, w) in f64: largest |got − want|
 * relative to the row's largest |want|.
 */
function checkRows(work: 'softmax' | 'rmsnorm', x: Float32Array, w: Float32Array, got: Float32Array, rows: number, cols: number): number {
  let worst = 0;
  for (let t = 0; t < 8; t++) {
    const r = Math.round((t * (rows - 1)) / 7);
    const row = x.subarray(r * cols, (r + 1) * cols);
    let want: number[];
    if (work === 'softmax') {
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      want = Array.from(row, (v) => Math.exp(v - m) / s);
    } else {
      let ss = 0;
      for (const v of row) ss += v * v;
      const scale = 1 / Math.sqrt(ss / cols + RMSNORM_EPS);
      want = Array.from(row, (v, c) => v * scale * (w[c] as number));
    }
    const top = Math.max(...want.map(Math.abs));
    for (let c = 0; c < cols; c++) {
      const d = Math.abs((got[r * cols + c] as number) - (want[c] as number)) / top;
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
  }
  return worst;
}

/** 512 sampled elements of relu(a@b + bias) in f64: |got − want| relative to Σ_k |a·b| + |bias|. */
function checkMatmul(a: Float32Array, b: Float32Array, bias: Float32Array, got: Float32Array, m: number, k: number, n: number): number {
  let worst = 0;
  for (let t = 0; t < 512; t++) {
    const i = (Math.imul(t, 2654435761) >>> 0) % m;
    const j = (Math.imul(t + 7, 40503) >>> 0) % n;
    let sum = 0;
    let scale = Math.abs(bias[j] as number);
    for (let q = 0; q < k; q++) {
      const p = (a[i * k + q] as number) * (b[q * n + j] as number);
      sum += p;
      scale += Math.abs(p);
    }
    const want = Math.max(0, sum + (bias[j] as number));
    const d = Math.abs((got[i * n + j] as number) - want) / Math.max(scale, 1e-30);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

export interface TemplateBenchOptions extends KernelTimingOptions {
  /** Lanes configs of the row reductions, softmax and rmsnorm. */
  readonly rowConfigs: readonly number[];
  readonly matmulConfigs: readonly (readonly [number, number, number])[];
  readonly rowShape: readonly [number, number];
  readonly matmulSize: number;
}

/** Times softmax and rmsnorm for each lanes config and relu(a@b + bias) for each block config; a config a limit refuses is a skip. */
export async function timeTemplates(bench: KernelBenchDevice, o: TemplateBenchOptions, say: (s: string) => void): Promise<{ rows: TemplateRow[]; skips: TemplateSkip[] }> {
  const { device } = bench;
  const limits = limitsOf(device);
  const rows: TemplateRow[] = [];
  const skips: TemplateSkip[] = [];
  const record = (row: Omit<TemplateRow, 'median' | 'low' | 'high' | 'rate' | 'backToBack'>, ms: { each: number[]; backToBack: number[] }, amount: number): void => {
    if (row.default) row = { ...row, config: `${row.config} (tuned)` };
    const s = summarize(ms);
    const rate = row.unit === 'GB/s' ? amount / (s.median * 1e6) : amount / (s.median * 1e9);
    const full: TemplateRow = { ...row, ...s, rate };
    rows.push(full);
    say(`   ${full.work} ${full.shape} config ${full.config}: ${full.median.toFixed(4)} ms (${full.low.toFixed(4)}…${full.high.toFixed(4)}), ${full.rate.toFixed(full.unit === 'GB/s' ? 0 : 2)} ${full.unit}, workgroup ${full.workgroup}, grid ${full.grid.join('x')}, rel err ${full.relError.toExponential(2)}`);
  };
  /** The config's one kernel, or undefined once the limit that refused it is recorded as a skip. */
  const compile = (work: string, config: string, graph: Graph, templates: ReturnType<typeof createRegistry>['templates'], vec4: boolean): KernelSource | undefined => {
    try {
      return oneKernel(graph, templates, limits, vec4);
    } catch (e) {
      skips.push({ work, config, reason: (e as Error).message });
      say(`   ${work} config ${config}: not run: ${(e as Error).message}`);
      return undefined;
    }
  };

  const [rowsN, cols] = o.rowShape;
  if (o.rowConfigs.length > 0) {
    const x = pseudoRandom(rowsN * cols, 3);
    const w = pseudoRandom(cols, 7);
    const bx = upload(device, x);
    const bw = upload(device, w);
    const out = device.createBuffer({ size: 4 * rowsN * cols, usage: STORAGE | COPY_SRC | COPY_DST });
    try {
      for (const template of [softmax, rmsnorm]) {
        const work = template.id as 'softmax' | 'rmsnorm';
        const tuned = template.tuned === undefined ? undefined : template.tuned.configs[template.tuned.picker([{ shape: [rowsN, cols] }, { shape: [cols] }])]?.blockSizes[0];
        const configs = [...new Set([...(tuned === undefined ? [] : [tuned]), ...o.rowConfigs])];
        // Quads where [templates.reduction.vec4] applies.
        for (const { config: lanes, vec4 } of runsOf(configs, tuned)) {
          const registry = createRegistry();
          const fn = registry.register(work, { template, configs: { default: { blockSizes: [lanes] } } });
          const graph = work === 'softmax' ? trace((t) => fn(t), { x: [rowsN, cols] }) : trace((t, tw) => fn(t, tw), { x: [rowsN, cols], w: [cols] });
          const config = vec4 ? `[${lanes}]` : `[${lanes}] scalar loads`;
          const source = compile(work, config, graph, registry.templates, vec4);
          if (source === undefined) continue;
          device.queue.writeBuffer(out, 0, new Float32Array(rowsN * cols));
          const ms = await timeLaunch(bench, bind(device, graph, source, work === 'softmax' ? [bx] : [bx, bw], out), o);
          const got = await readBuffer(device, out, rowsN * cols);
          const relError = checkRows(work, x, w, got, rowsN, cols);
          record({ work, shape: `${rowsN}x${cols}`, config, default: vec4 && lanes === tuned, grid: source.grid, workgroup: workgroupOf(source.wgsl), relError, unit: 'GB/s' }, ms, 2 * 4 * rowsN * cols);
        }
      }
    } finally {
      for (const buf of [bx, bw, out]) buf.destroy();
    }
  }

  const n = o.matmulSize;
  if (o.matmulConfigs.length > 0) {
    const a = pseudoRandom(n * n, 4);
    const b = pseudoRandom(n * n, 5);
    const bias = pseudoRandom(n, 6);
    const inputs = [upload(device, a), upload(device, b), upload(device, bias)];
    const out = device.createBuffer({ size: 4 * n * n, usage: STORAGE | COPY_SRC | COPY_DST });
    try {
      const pick = matmul.tuned === undefined ? undefined : matmul.tuned.configs[matmul.tuned.picker([{ shape: [n, n] }, { shape: [n, n] }])]?.blockSizes;
      const tuned = pick === undefined ? undefined : `[${pick.join(',')}]`;
      const all = [...(pick === undefined ? [] : [pick]), ...o.matmulConfigs].filter((b, i, list) => list.findIndex((c) => c.join() === b.join()) === i);
      // A, B and C in quads where [templates.matmul.vec4] applies.
      for (const { config: blocks, vec4 } of runsOf(all, pick)) {
        const config = vec4 ? `[${blocks.join(',')}]` : `[${blocks.join(',')}] scalar loads`;
        const registry = createRegistry();
        const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes: [...blocks] } } });
        const graph = trace((ta, tb, tbias) => mm(ta, tb).add(tbias).relu(), { a: [n, n], b: [n, n], bias: [n] });
        const source = compile('matmul', config, graph, registry.templates, vec4);
        if (source === undefined) continue;
        device.queue.writeBuffer(out, 0, new Float32Array(n * n));
        const ms = await timeLaunch(bench, bind(device, graph, source, inputs, out), { ...o, dispatches: Math.min(o.dispatches, 20) });
        const got = await readBuffer(device, out, n * n);
        const relError = checkMatmul(a, b, bias, got, n, n, n);
        record({ work: 'matmul', shape: `relu(a@b+bias) ${n}³`, config, default: config === tuned, grid: source.grid, workgroup: workgroupOf(source.wgsl), relError, unit: 'TFLOP/s' }, ms, 2 * n * n * n);
      }
    } finally {
      for (const buf of [...inputs, out]) buf.destroy();
    }
  }
  return { rows, skips };
}

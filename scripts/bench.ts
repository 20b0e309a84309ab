// npm run bench: performance figures for the reference on the best adapter found: fused vs eager run
// time and memory on the seed chain, compile cost with and without the pipeline cache, and conformance
// throughput. Tables on stdout; --json saves the same figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { probeCapabilities } from '../conformance/harness/capabilities.js';
import { unmetNeed } from '../conformance/harness/gates.js';
import { fusedReference } from '../reference/implementation.js';
import { backendFromEnv } from '../conformance/harness/device.js';
import { BLOCK_SIZES, chainMemory, chainShape, compileCost, COLUMNS, timeChain } from './lib/bench-measure.js';
import type { CompileCost, MemoryRow, TimingRow } from './lib/bench-measure.js';
import { bytes, elements, formatTable, ms } from './lib/table.js';
import { parseCli } from './lib/cli.js';

const DEFAULT_ROWS = '128,256,512,1024';
const DEFAULT_MATMUL = '16x16x16,64x64x8,64x64x16,128x64x8,128x128x8,128x128x16';
const PARTS = ['timing', 'memory', 'compile', 'conformance', 'throughput', 'kernel'] as const;
/** What runs without --parts: all but the kernel part, which wants a real GPU (issue 11). */
const DEFAULT_PARTS = PARTS.filter((p) => p !== 'kernel');
type Part = (typeof PARTS)[number];

const HELP = `usage: npm run bench -- [options]

Measures the reference implementation on the best WebGPU adapter found:
  timing       fused vs eager run time of relu(add(x*2, y+1)) for N = 2^12, 2^16, 2^20, 2^22 … elements
  memory       bytes of intermediate buffers each allocates for that chain
  compile      compile time for fresh shapes (pipeline cache misses) and for a shape seen before (hits)
  conformance  cases/s of the random fusion property (fused reference + eager reference + CPU oracle)
  throughput   judged cases/s and distinct graphs/s of every random property family, fresh seed then the
               same seed again, with the wall ms per case by stage (build, fused program, eager, judging);
               run under MESA_SHADER_CACHE_DISABLE=true for the cold figures a campaign with new seeds sees
  kernel       GPU time of the seed chain's fused kernel alone, for N = 2^k of --kernel-log2: a device of its
               own (Dawn's timestamp quantization off, the adapter's buffer limits), ~1 s of back-to-back
               dispatches before each kernel, then pass timestamps of each dispatch and of a round's dispatches
               back to back in one pass (else wall time of many dispatches in one pass), median and spread of
               --rounds rounds; variants that show what each codegen change buys, a vec4 copy kernel as the
               bandwidth ceiling, and the host round trip of run() apart. Only with --parts kernel
               (scripts/gpu-bench.sh runs it on a GPU host)

options:
  --max-log2 <k>     largest N is 2^k (default 22)
  --reps <n>         most timed repetitions per N (default 20; fewer when a run is slow)
  --cases <n>        conformance cases (default 100)
  --shapes <n>       fresh shapes for the compile part (default 10)
  --seed <n>         fast-check seed of the conformance part (default 20261126)
  --data-variants <n>  throughput: more data sets judged per graph (default 0; each graph is always judged on 2)
  --parts <list>     comma-separated subset of ${PARTS.join(',')} (default all but kernel)
  --kernel-log2 <list>  kernel: comma-separated k of N = 2^k (default 24,26)
  --rounds <n>       kernel: timed rounds per variant (default 5)
  --dispatches <n>   kernel: dispatches per round (default 50)
  --warm-ms <n>      kernel: ms of back-to-back dispatches before each variant (default 1000)
  --row-configs <list>  kernel: softmax and rmsnorm [4096, 4096] lanes configs timed, e.g. 128,256 ('' for none;
                     default ${DEFAULT_ROWS})
  --row-shape <RxC>  kernel: softmax's and rmsnorm's shape (default 4096x4096)
  --matmul-size <n>  kernel: the matmul's M = N = K (default 2048)
  --matmul-configs <list>   kernel: relu(a@b + bias) 2048³ block configs, BMxBNxBK, e.g. 16x16x16,64x64x8 ('' for none;
                     default ${DEFAULT_MATMUL})
  --backend <name>   auto | vulkan | opengl | opengles | null | navigator (env WGFUSE_BACKEND)
  --json <file>      also write the figures as JSON
  -h, --help         this text
`;

const cli = parseCli('bench', HELP, {
        'max-log2': { type: 'string' },
        reps: { type: 'string' },
        cases: { type: 'string' },
        shapes: { type: 'string' },
        seed: { type: 'string' },
        parts: { type: 'string' },
        'data-variants': { type: 'string' },
        backend: { type: 'string' },
        'kernel-log2': { type: 'string' },
        rounds: { type: 'string' },
        dispatches: { type: 'string' },
        'warm-ms': { type: 'string' },
        'row-configs': { type: 'string' },
        'matmul-configs': { type: 'string' },
        'row-shape': { type: 'string' },
        'matmul-size': { type: 'string' },
        json: { type: 'string' }
      });
const { values } = cli;
// A declared function, so that TypeScript narrows after a call that never returns.
function usageError(message: string): never {
  return cli.usageError(message);
}
function intOption(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) usageError(`--${name} ${raw}: expected an integer from ${min} to ${max}`);
  return n;
}
const maxLog2 = intOption('max-log2', values['max-log2'], 22, 12, 30);
const maxReps = intOption('reps', values.reps, 20, 1);
const cases = intOption('cases', values.cases, 100, 1);
const shapes = intOption('shapes', values.shapes, 10, 1);
const seed = intOption('seed', values.seed, 20261126, -(2 ** 31), 2 ** 31 - 1);
const variants = intOption('data-variants', values['data-variants'], 0, 0, 1000);
const rounds = intOption('rounds', values.rounds, 5, 1, 1000);
const dispatches = intOption('dispatches', values.dispatches, 50, 1, 2048);
const warmMs = intOption('warm-ms', values['warm-ms'], 1000, 0, 60_000);
const rowConfigs = (values['row-configs'] ?? DEFAULT_ROWS).split(',').filter((c) => c.trim() !== '').map((c) => intOption('row-configs', c, 256, 1, 1024));
const matmulConfigs = (values['matmul-configs'] ?? DEFAULT_MATMUL).split(',').filter((c) => c.trim() !== '').map((c): [number, number, number] => {
  const parts = c.split('x').map((v) => intOption('matmul-configs', v, 16, 1, 1024));
  if (parts.length !== 3) usageError(`--matmul-configs ${c}: expected BMxBNxBK`);
  return parts as [number, number, number];
});
const rowShape = (values['row-shape'] ?? '4096x4096').split('x').map((v) => intOption('row-shape', v, 4096, 1, 1 << 16));
if (rowShape.length !== 2) usageError(`--row-shape ${values['row-shape']}: expected RxC`);
const matmulSize = intOption('matmul-size', values['matmul-size'], 2048, 1, 16384);
const kernelSizes = (values['kernel-log2'] ?? '24,26').split(',').map((k) => 2 ** intOption('kernel-log2', k, 24, 6, 28));
const parts = new Set<Part>();
for (const p of (values.parts ?? DEFAULT_PARTS.join(',')).split(',')) {
  const part = PARTS.find((q) => q === p.trim());
  if (part === undefined) usageError(`--parts: '${p}' is not one of ${PARTS.join(', ')}`);
  parts.add(part);
}
if (values.backend !== undefined) {
  process.env['WGFUSE_BACKEND'] = values.backend;
  if (backendFromEnv() !== values.backend) usageError(`--backend ${values.backend}: expected auto, vulkan, opengl, opengles, null or navigator`);
}

const caps = await probeCapabilities();
const unmet = unmetNeed(caps, { execution: true });
if (unmet !== undefined || caps.gpu === undefined) {
  process.stderr.write(`bench: cannot measure: ${unmet?.reason ?? 'no WebGPU device'}\n`);
  process.exit(2);
}
const gpu = caps.gpu;
const s = gpu.summary;
const say = (text: string): void => void process.stdout.write(`${text}\n`);

const timestamps = gpu.adapter.features.has('timestamp-query');
say('wgfuse bench');
say(`  adapter: ${[s.device, s.description].filter((x) => x !== '').join(' — ')} (${gpu.backend} backend, ${s.featureLevel} feature level)`);
say(`  tier:    ${gpu.tier}`);
if (gpu.tier === 'software') say('  NOTE:    a software adapter: every figure below is CPU-emulated (a CPU rasterizer runs the kernels), not GPU performance');
say(
  `  timing:  wall clock of run() + queue.onSubmittedWorkDone(), submit overhead included; ` +
    (timestamps ? 'the adapter has timestamp-query, but the harness device requests no features' : 'the adapter has no timestamp-query (llvmpipe never does)'),
);

const sizes = [...new Set([12, 16, 20, 22, ...Array.from({ length: Math.max(0, maxLog2 - 22) / 2 + 1 }, (_, k) => 22 + 2 * k), maxLog2])]
  .filter((k) => k <= maxLog2)
  .sort((a, b) => a - b)
  .map((k) => 2 ** k);
const bindingLimit = gpu.device.limits.maxStorageBufferBindingSize;
const fitting = sizes.filter((n) => n * 4 <= bindingLimit);
if (fitting.length < sizes.length) say(`  skipped: N > ${elements(bindingLimit / 4)} (a tensor would exceed maxStorageBufferBindingSize, ${bytes(bindingLimit)})`);

const json: Record<string, unknown> = {
  adapter: { backend: gpu.backend, tier: gpu.tier, summary: s, timestampQuery: timestamps },
  chain: { expression: 'relu(add(x*2, y+1))', blockSizes: BLOCK_SIZES, shape: `[N/${COLUMNS}, ${COLUMNS}]` },
};
let failed = false;

if (parts.has('timing')) {
  say(`\na. fused vs eager: relu(add(x*2, y+1)), add kernel blocks [${BLOCK_SIZES.join(', ')}], tensors [N/${COLUMNS}, ${COLUMNS}] f32`);
  say('   ms per run (median and min over reps); GB/s = 3·4·N bytes (two reads, one write) / fused median');
  const rows: TimingRow[] = [];
  const started = performance.now();
  for (const n of fitting) {
    // ~45 s in all on llvmpipe, the larger sizes getting most of it.
    rows.push(await timeChain(gpu, n, maxReps, (45_000 * n) / fitting.reduce((a, b) => a + b, 0) / 2 + 250));
  }
  say(
    formatTable(
      [
        { title: 'N' },
        { title: 'shape', align: 'left' },
        { title: 'reps' },
        { title: 'fused med' },
        { title: 'fused min' },
        { title: 'eager med' },
        { title: 'eager min' },
        { title: 'fused GB/s' },
        { title: 'speedup' },
        { title: 'kernels f/e' },
        { title: 'max |err|' },
      ],
      rows.map((r) => [
        elements(r.n),
        `[${chainShape(r.n).join(', ')}]`,
        String(r.reps),
        ms(r.fused.median),
        ms(r.fused.min),
        ms(r.eager.median),
        ms(r.eager.min),
        r.fusedGBps.toFixed(2),
        `${r.speedup.toFixed(2)}×`,
        `${r.fusedKernels}/${r.eagerKernels}`,
        r.maxAbsError.toExponential(1),
      ]),
    ),
  );
  say(`   (${((performance.now() - started) / 1000).toFixed(1)} s; speedup = eager median / fused median; max |err| = fused output vs the chain on the CPU)`);
  if (rows.some((r) => r.maxAbsError > 0)) say('   WARNING: the fused output differs from the CPU result; the figures time a wrong program');
  json['timing'] = rows;
}

if (parts.has('memory')) {
  say('\nb. memory: buffers allocated by compile() for the same chain (intermediates; inputs and output belong to the caller)');
  const rows: MemoryRow[] = [];
  for (const n of fitting) rows.push(await chainMemory(gpu, n));
  say(
    formatTable(
      [{ title: 'N' }, { title: 'inputs+output' }, { title: 'fused buffers' }, { title: 'fused bytes' }, { title: 'eager buffers' }, { title: 'eager bytes' }, { title: 'eager / io' }],
      rows.map((r) => [
        elements(r.n),
        bytes(r.ioBytes),
        String(r.fused.count),
        bytes(r.fused.bytes),
        String(r.eager.count),
        bytes(r.eager.bytes),
        `${(r.eager.bytes / r.ioBytes).toFixed(2)}×`,
      ]),
    ),
  );
  json['memory'] = rows;
}

if (parts.has('compile')) {
  say(`\nc. compile cost: the chain on ${shapes} fresh shapes [24, 1001…], each compiled twice (miss, then hit)`);
  const started = performance.now();
  const c: CompileCost = await compileCost(gpu, shapes);
  const row = (what: string, v: { median: number; min: number }, note: string): string[] => [what, ms(v.median), ms(v.min), note];
  say(
    formatTable(
      [{ title: 'compile', align: 'left' }, { title: 'median ms' }, { title: 'min ms' }, { title: 'what it does', align: 'left' }],
      [
        row('WGSL only', c.codegen, 'lowerGraph + generateProgram, no device'),
        row('fused, miss', c.fusedMiss, '1 shader module + pipeline created'),
        row('fused, hit', c.fusedHit, 'pipeline from the cache (keyed by WGSL text)'),
        row('eager, miss', c.eagerMiss, '4 shader modules + pipelines created'),
        row('eager, hit', c.eagerHit, '4 pipelines from the cache'),
      ],
    ),
  );
  say(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  json['compile'] = c;
}

const { formatHistogram, runCampaign } = parts.has('conformance') || parts.has('throughput') ? await import('./lib/fuzz-campaign.js') : ({} as typeof import('./lib/fuzz-campaign.js'));

if (parts.has('conformance')) {
  say(`\nd. conformance throughput: the random fusion property (fusion.chain.1), ${cases} cases from seed ${seed}`);
  say('   each case: fused reference + eager reference on the device, CPU oracle bounds, fused ≈ eager');
  const result = await runCampaign({
    impl: fusedReference,
    implModule: undefined,
    gpu,
    properties: ['fusion'],
    firstSeed: seed,
    batch: cases,
    maxCases: cases,
    outDir: '.wgfuse/bench',
    tier: 'ci',
  });
  const st = result.stats;
  say(`   ${st.cases} cases in ${(st.ms / 1000).toFixed(1)} s: ${(st.cases / (st.ms / 1000)).toFixed(1)} cases/s`);
  say(`   eager kernels per case: ${formatHistogram(st.eagerKernels)}`);
  if (result.failure !== undefined) {
    failed = true;
    say(`   FAIL [${result.failure.replay.rule}]: the reference broke a rule; replay file ${result.failure.file}`);
  }
  json['conformance'] = { seed, cases: st.cases, ms: st.ms, casesPerSecond: st.cases / (st.ms / 1000), eagerKernels: st.eagerKernels, failure: result.failure?.file ?? null };
}

if (parts.has('throughput')) {
  const cache = process.env['MESA_SHADER_CACHE_DISABLE'] === 'true' ? "cold: Mesa's shader cache disabled" : "Mesa's shader cache on: set MESA_SHADER_CACHE_DISABLE=true for cold figures";
  say(`\ne. throughput by family, ${cases} graphs each (matmul ${Math.max(1, Math.round(cases / 4))}), seed ${seed} (${cache})`);
  say(`   every graph judged on ${2 + variants} data sets, every check on each: kernel count, canaries, intervals, fused ≈ eager`);
  say('   a case is one graph with one data set; the ms columns are per graph');
  const rows: string[][] = [];
  const figures: Record<string, unknown> = {};
  for (const family of ['fusion', 'pointwise', 'matmul', 'softmax', 'rmsnorm'] as const) {
    for (const pass of ['fresh seed', 'same seed again'] as const) {
      const n = family === 'matmul' ? Math.max(1, Math.round(cases / 4)) : cases;
      const stageMs = { build: 0, fused: 0, eager: 0, judge: 0 };
      const result = await runCampaign({ impl: fusedReference, implModule: undefined, gpu, properties: [family], firstSeed: seed, batch: n, maxCases: n, outDir: '.wgfuse/bench', stageMs, dataVariants: variants, tier: 'ci' });
      const st = result.stats;
      if (result.failure !== undefined) {
        failed = true;
        say(`   FAIL [${result.failure.replay.rule}] in ${family}: replay file ${result.failure.file}`);
      }
      const perCase = (x: number): string => (x / Math.max(1, st.cases)).toFixed(1);
      // A judged case is one graph with one data set; each graph is judged on 2 + variants of them.
      const graphsPerSecond = st.cases / (st.ms / 1000);
      const casesPerSecond = graphsPerSecond * (2 + variants);
      rows.push([family, pass, String(st.cases), graphsPerSecond.toFixed(1), casesPerSecond.toFixed(1), perCase(stageMs.build), perCase(stageMs.fused), perCase(stageMs.eager), perCase(stageMs.judge)]);
      figures[`${family}/${pass}`] = { graphs: st.cases, dataSetsPerGraph: 2 + variants, ms: st.ms, graphsPerSecond, casesPerSecond, msPerGraph: { build: stageMs.build / st.cases, fused: stageMs.fused / st.cases, eager: stageMs.eager / st.cases, judge: stageMs.judge / st.cases } };
    }
  }
  const columns = [{ title: 'family' }, { title: 'pass' }, ...['graphs', 'graphs/s', 'cases/s', 'build ms', 'fused ms', 'eager ms', 'judge ms'].map((title) => ({ title, align: 'right' as const }))];
  say(formatTable(columns, rows, '   '));
  json['throughput'] = { cache, seed, figures };
}

if (parts.has('kernel')) {
  const { COPY_CEILING, openBenchDevice, timeKernels } = await import('./lib/bench-kernel.js');
  type KernelRow = import('./lib/bench-kernel.js').KernelRow;
  const backend = gpu.backend === 'opengl' || gpu.backend === 'opengles' ? gpu.backend : 'vulkan';
  const bench = await openBenchDevice(backend);
  say(`\nf. kernel time: relu(add(x*2, y+1)) f32, one fused kernel, on ${bench.adapter} (${bench.backend})`);
  say(
    bench.timestamps
      ? `   pass timestamps around each dispatch, Dawn's quantization off; ${rounds} rounds of ${dispatches} dispatches, each round's median; median (lowest…highest round);\n   "back to back": ${dispatches} dispatches in one pass, (end − start) / ${dispatches}, the median of ${rounds} rounds`
      : `   no timestamp-query: wall time of ${dispatches} back-to-back dispatches in one pass / ${dispatches}, per round; median (lowest…highest round) of ${rounds}`,
  );
  say(`   each variant after ${warmMs} ms of back-to-back dispatches of itself (clock up); buffers reused, so L2 holds none of 2^24+ f32 tensors`);
  const figures: { n: number; rows: KernelRow[]; hostMs: unknown }[] = [];
  for (const n of kernelSizes) {
    const { rows, hostMs } = await timeKernels(bench, n, { rounds, dispatches, warmMs }, say);
    const copy = rows.find((r) => r.variant === COPY_CEILING);
    say(
      formatTable(
        [{ title: 'N' }, { title: 'variant', align: 'left' }, { title: 'ms' }, { title: 'low…high' }, { title: 'back to back' }, { title: 'GB/s' }, { title: 'vs copy' }, { title: 'grid', align: 'left' }, { title: 'max |err|' }],
        rows.map((r) => [`2^${Math.log2(n)}`, r.variant, r.median.toFixed(4), `${r.low.toFixed(4)}…${r.high.toFixed(4)}`, r.backToBack.toFixed(4), r.gbps.toFixed(0), copy === undefined || r.bytes === 0 ? '' : `${((100 * r.gbps) / copy.gbps).toFixed(0)}%`, r.grid.join('x'), String(r.maxAbsError)]),
        '   ',
      ),
    );
    say(`   host round trip at 2^${Math.log2(n)}: run() + onSubmittedWorkDone ${hostMs.median.toFixed(4)} ms median (min ${hostMs.min.toFixed(4)}), kernel included`);
    if (rows.some((r) => r.maxAbsError > 0)) {
      failed = true;
      say('   FAIL: a timed kernel\'s output differs from the chain on the CPU');
    }
    figures.push({ n, rows, hostMs });
  }
  const { timeTemplates } = await import('./lib/bench-templates.js');
  say(`\n   templates: softmax and rmsnorm [${rowShape.join(', ')}] per lanes config; relu(a@b + bias) ${matmulSize}³ f32 per block config, one fused kernel each`);
  const templates = await timeTemplates(bench, { rounds, dispatches, warmMs, rowConfigs, matmulConfigs, rowShape: rowShape as [number, number], matmulSize }, say);
  say(
    formatTable(
      [{ title: 'work', align: 'left' }, { title: 'config', align: 'left' }, { title: 'ms' }, { title: 'low…high' }, { title: 'back to back' }, { title: 'rate' }, { title: 'workgroup', align: 'left' }, { title: 'grid', align: 'left' }, { title: 'rel err' }],
      templates.rows.map((r) => [`${r.work} ${r.shape}`, r.config, r.median.toFixed(4), `${r.low.toFixed(4)}…${r.high.toFixed(4)}`, r.backToBack.toFixed(4), `${r.rate.toFixed(r.unit === 'GB/s' ? 0 : 2)} ${r.unit}`, r.workgroup, r.grid.join('x'), r.relError.toExponential(2)]),
      '   ',
    ),
  );
  if (templates.rows.some((r) => !(r.relError <= 1e-4))) {
    failed = true;
    say('   FAIL: a timed template kernel\'s output differs from the f64 check by more than 1e-4 of its scale');
  }
  // Ratios against the recorded anchors of this GPU (scripts/gpu/anchors.json), where it has some.
  const { anchorsFor } = await import('./lib/bench-anchors.js');
  const recorded = anchorsFor(bench.adapter);
  if (recorded === undefined) say('\n   no recorded anchors for this adapter (scripts/gpu/anchors.json); scripts/gpu-bench.sh measures them beside the bench');
  else {
    say(`\n   against the anchors recorded on ${recorded.device} (torch ${recorded.torch}, ${recorded.measured}); anchor ms / ours, so ≥ 1 is as fast:`);
    const ours: [string, number | undefined][] = [
      ...figures.map(({ n, rows }): [string, number | undefined] => [`chain 2^${Math.log2(n)}`, rows.find((r) => r.variant.endsWith('(default)'))?.median]),
      ['softmax 4096x4096', templates.rows.find((r) => r.work === 'softmax' && r.default && r.shape === '4096x4096')?.median],
      ['rmsnorm 4096x4096', templates.rows.find((r) => r.work === 'rmsnorm' && r.default && r.shape === '4096x4096')?.median],
      ['matmul 2048', templates.rows.find((r) => r.work === 'matmul' && r.default && r.shape.endsWith(' 2048³'))?.median],
    ];
    for (const [key, ms] of ours) {
      const anchor = recorded.anchors[key];
      if (anchor !== undefined && ms !== undefined) say(`   ${key}: ours ${ms.toFixed(4)} ms, ${anchor.what} ${anchor.ms.toFixed(4)} ms: ${(anchor.ms / ms).toFixed(2)}×`);
    }
  }
  json['kernel'] = { adapter: bench.adapter, backend: bench.backend, timestamps: bench.timestamps, rounds, dispatches, warmMs, figures, templates };
  bench.device.destroy();
}

if (values.json !== undefined) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
  say(`\nfigures written to ${values.json}`);
}
process.exit(failed ? 1 : 0);

// npm run fuzz: long random campaigns over the conformance properties on an executing adapter, with a
// replay file for the first failure. Exit 0: no failure (or interrupted); 1: a failure; 2: could not run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeCapabilities } from '../conformance/harness/capabilities.js';
import { unmetNeed } from '../conformance/harness/gates.js';
import { implementationUnderTest } from '../conformance/properties/implementation-under-test.js';
import { backendFromEnv } from '../conformance/harness/device.js';
import type { Gpu } from '../conformance/harness/device.js';
import { campaignRecord, formatHistogram, mergeCampaigns, newCampaignStats, readReplayFile, replayFailure, runCampaign } from './lib/fuzz-campaign.js';
import type { BatchReport, CampaignRecord, CampaignStats } from './lib/fuzz-campaign.js';
import { PROPERTY_NAMES, RANDOM_PROPERTIES } from '../conformance/properties/random-properties.js';
import type { PropertyName } from '../conformance/properties/random-properties.js';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run fuzz -- [options]

Runs the random conformance properties (conformance/properties/random-properties.ts, the same table
conformance/judge/fusion.test.ts declares its tests from) in batches of fast-check runs, batch k with seed <seed>+k, until the time or case budget is spent or a case fails. A failure is
shrunk and saved as a JSON replay file; the replay commands are printed.

options:
  --minutes <m>        time budget (default 5; a running batch is finished)
  --cases <n>          case budget instead (with --minutes too, whichever ends first)
  --property <p>       fusion | pointwise | matmul | softmax | rmsnorm | all (default all, one per batch in turn)
  --seed <n>           first seed (default random, printed); the campaign replays from it
  --batch <n>          cases per seed (default 100)
  --data-variants <n>  judge each generated graph on n more data sets, every check on each (default 0; env
                       WGFUSE_DATA_VARIANTS): compiled once, so more cases per second; replays keep the count
  --impl <module>      implementation module exporting \`implementation\` (default the reference; env WGFUSE_IMPL)
  --backend <name>     auto | vulkan | opengl | opengles | null | navigator (env WGFUSE_BACKEND)
  --timeout <ms>       how long compile, each run and each readback may take (default 300000; env WGFUSE_TIMEOUT_MS)
  --out <dir>          where replay files go (default .wgfuse/fuzz)
  --replay <file>      re-run exactly the case a replay file holds and say whether it still fails
  --corpus <dir>       go on past failures: keep each shrunk failure once per signature (rule and shrunk graph)
                       in <dir> as a replay file with its IR JSON; <dir>/index.json counts repeats
  --shard <i>/<n>      run only shard i of n: batches i-1, i-1+n, … of the campaign (with --cases, the total)
  --record <file>      write the campaign's settings and batches as JSON, for --merge
  --merge <a,b,…>      merge the records of a campaign's shards into one (written with --record), and print
                       its summary; needs no GPU. Scale out with a CI matrix: one job per --shard, then --merge
  --workers <k>        run k campaign processes on this machine, each a shard of this campaign (--shard i/n
                       splits further: worker j runs shard i + (j-1)·n of n·k), and merge their records
  --tier <t>           campaign (default): the CI properties' cases plus, one in 50, sizes past 65535
                       workgroups, rows or loop trips; ci: exactly what the judging tests draw
  -h, --help           this text

exit status: 0 no failure (or interrupted with Ctrl-C), 1 a case failed, 2 bad arguments or no executing adapter
`;

const cli = parseCli('fuzz', HELP, {
        minutes: { type: 'string' },
        cases: { type: 'string' },
        property: { type: 'string' },
        seed: { type: 'string' },
        batch: { type: 'string' },
        'data-variants': { type: 'string' },
        impl: { type: 'string' },
        backend: { type: 'string' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        replay: { type: 'string' },
        shard: { type: 'string' },
        corpus: { type: 'string' },
        record: { type: 'string' },
        merge: { type: 'string' },
        tier: { type: 'string' },
        workers: { type: 'string' }
      });
const { values } = cli;
// A declared function, so that TypeScript narrows after a call that never returns.
function usageError(message: string): never {
  return cli.usageError(message);
}

function numberOption(name: string, raw: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !check(n)) usageError(`--${name} ${raw}: expected ${what}`);
  return n;
}
const minutes = numberOption('minutes', values.minutes, (n) => Number.isFinite(n) && n >= 0, 'a number of minutes ≥ 0');
const cases = numberOption('cases', values.cases, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const batch = numberOption('batch', values.batch, (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? 100;
const variants = numberOption('data-variants', values['data-variants'] ?? process.env['WGFUSE_DATA_VARIANTS'], (n) => Number.isInteger(n) && n >= 0, 'an integer 0 or more') ?? 0;
const seedOption = numberOption('seed', values.seed, (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31, 'a 32-bit integer');
const propertyChoice = values.property ?? 'all';
const properties: readonly PropertyName[] =
  propertyChoice === 'all' ? PROPERTY_NAMES : PROPERTY_NAMES.filter((p) => p === propertyChoice);
if (properties.length === 0) usageError(`--property ${propertyChoice}: expected ${PROPERTY_NAMES.join(', ')} or all`);
const outDir = values.out ?? '.wgfuse/fuzz';
const tier = values.tier ?? 'campaign';
if (tier !== 'ci' && tier !== 'campaign') usageError(`--tier ${tier}: expected ci or campaign`);
const shard = values.shard === undefined ? { index: 0, count: 1 } : (() => {
  const m = /^(\d+)\/(\d+)$/.exec(values.shard);
  const [i, n] = [Number(m?.[1]), Number(m?.[2])];
  if (m === null || n < 1 || i < 1 || i > n) return usageError(`--shard ${values.shard}: expected i/n with 1 ≤ i ≤ n`);
  return { index: i - 1, count: n };
})();

/** A merged record's summary: cases, batches and seeds, kernels, cases set aside, the failure if any. */
function mergedSummary(title: string, merged: CampaignRecord, wallMs?: number): string {
  const total = merged.batches.reduce((n, b) => n + b.cases, 0);
  const aside = merged.batches.reduce((n, b) => n + (b.setAside ?? 0), 0);
  const hist = (pick: (b: BatchReport) => Readonly<Record<string, number>>): string => {
    const sum: Record<string, number> = {};
    for (const b of merged.batches) for (const [k, v] of Object.entries(pick(b))) sum[k] = (sum[k] ?? 0) + v;
    return formatHistogram(sum);
  };
  const judged = total * (2 + merged.dataVariants);
  return [
    title,
    `  cases:         ${total} graphs in ${merged.batches.length} batches, seeds ${merged.batches.map((b) => b.seed).join(', ')}`,
    ...(wallMs === undefined ? [] : [`  time:          ${(wallMs / 1000).toFixed(1)} s wall, ${(total / (wallMs / 1000)).toFixed(1)} graphs/s, ${(judged / (wallMs / 1000)).toFixed(1)} judged data sets/s`]),
    ...(aside === 0 ? [] : [`  set aside:     ${aside} graphs not judged here`]),
    `  fused kernels: ${hist((b) => b.fusedKernels)}`,
    `  eager kernels: ${hist((b) => b.eagerKernels)}`,
    `  failure:       ${merged.failure ?? 'none'}`,
    '',
  ].join('\n');
}

if (values.merge !== undefined) {
  // Merging reads files only: no device, no campaign.
  let merged: CampaignRecord;
  try {
    merged = mergeCampaigns(values.merge.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as CampaignRecord));
  } catch (e) {
    usageError(`--merge: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (values.record !== undefined) writeFileSync(values.record, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(mergedSummary(`fuzz merge of ${values.merge.split(',').length} shard(s)`, merged));
  process.exit(merged.failure === null ? 0 : 1);
}

const workers = numberOption('workers', values.workers, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer from 1 to 64') ?? 1;
if (workers > 1 && values.replay !== undefined) usageError('--workers: a replay judges one case; drop --workers');
if (workers > 1) {
  // k processes, each a shard of this campaign ([fuzz.shard.1]): the shard mechanism does the splitting,
  // and their records merge back into this campaign's. One seed for all, chosen here when none was given.
  const firstSeed = seedOption ?? ((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
  const dir = mkdtempSync(join(tmpdir(), 'wgfuse-workers-'));
  const passed = Object.entries(values).filter(([k, v]) => !['workers', 'shard', 'record', 'seed', 'help'].includes(k) && typeof v === 'string');
  process.stdout.write(`wgfuse fuzz: ${workers} workers, first seed ${firstSeed}, shard ${shard.index + 1}/${shard.count} split ${workers} ways; records in ${dir}\n`);
  const t0 = performance.now();
  const procs: ReturnType<typeof spawn>[] = [];
  const children = Array.from({ length: workers }, (_, j) => {
    const sub = { index: shard.index + j * shard.count, count: shard.count * workers };
    const args = [...passed.flatMap(([k, v]) => [`--${k}`, String(v)]), '--seed', String(firstSeed), '--shard', `${sub.index + 1}/${sub.count}`, '--record', join(dir, `w${j + 1}.json`)];
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WGFUSE_FUZZ_CAMPAIGN: '1' } });
    procs.push(child);
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[w${j + 1}] ${line}\n`);
    });
    return new Promise<number>((done) => child.on('exit', (c, signal) => done(c ?? 128 + (signal === null ? 0 : constants.signals[signal]))).on('error', () => done(2)));
  });
  // Each worker prints its own interrupted summary; the merge below follows.
  process.on('SIGINT', () => procs.forEach((c) => c.kill('SIGINT')));
  const codes = await Promise.all(children);
  const wallMs = performance.now() - t0;
  let merged: CampaignRecord | undefined;
  try {
    const parts = codes.map((_, j) => JSON.parse(readFileSync(join(dir, `w${j + 1}.json`), 'utf8')) as CampaignRecord);
    const batches = parts.flatMap((r) => r.batches).sort((a, b) => a.index - b.index);
    const failures = parts.map((r) => r.failure).filter((f): f is string => f !== null);
    merged = { ...(parts[0] as CampaignRecord), shard, batches, failure: failures[0] ?? null };
  } catch (e) {
    process.stderr.write(`fuzz: a worker left no record (exit codes ${codes.join(', ')}): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(Math.max(2, ...codes));
  }
  if (values.record !== undefined) writeFileSync(values.record, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(`\n${mergedSummary(`fuzz summary of ${workers} workers (exit codes ${codes.join(', ')})`, merged, wallMs)}`);
  process.exit(Math.max(...codes));
}
const timeout = numberOption('timeout', values.timeout, (n) => Number.isInteger(n) && n >= 1, 'a positive integer of milliseconds');
if (timeout !== undefined) process.env['WGFUSE_TIMEOUT_MS'] = String(timeout);

if (values.backend !== undefined) {
  process.env['WGFUSE_BACKEND'] = values.backend;
  if (backendFromEnv() !== values.backend) usageError(`--backend ${values.backend}: expected auto, vulkan, opengl, opengles, null or navigator`);
}
// Read before choosing the implementation: a replay runs the implementation its file names.
const replayFile = values.replay === undefined ? undefined : (() => {
  try {
    return readReplayFile(values.replay);
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e));
  }
})();
const implModule = values.impl ?? replayFile?.impl ?? process.env['WGFUSE_IMPL'];
if (implModule !== undefined && implModule !== '') process.env['WGFUSE_IMPL'] = implModule;

async function executingGpu(): Promise<Gpu> {
  const caps = await probeCapabilities();
  const unmet = unmetNeed(caps, { execution: true });
  if (unmet !== undefined || caps.gpu === undefined) {
    process.stderr.write(`fuzz: cannot run: ${unmet?.reason ?? 'no WebGPU device'}\n`);
    process.exit(2);
  }
  return caps.gpu;
}

/** The chosen properties this device can run; each other one is named with why ([fuzz.campaign.1]). */
async function runnableProperties(chosen: readonly PropertyName[]): Promise<{ runnable: PropertyName[]; skipped: string[] }> {
  const caps = await probeCapabilities();
  const runnable: PropertyName[] = [];
  const skipped: string[] = [];
  for (const p of chosen) {
    const unmet = unmetNeed(caps, RANDOM_PROPERTIES[p].needs);
    if (unmet === undefined) runnable.push(p);
    else skipped.push(`${p}: ${unmet.reason}`);
  }
  return { runnable, skipped };
}

// tsx runs a script in a child process and SIGKILLs it when a Ctrl-C is not acknowledged within ~60 ms,
// which the event loop, often blocked that long inside Dawn, misses: the summary would be lost. So the
// campaign runs in a grandchild under plain node with tsx as a loader, and this process only waits.
if (process.env['WGFUSE_FUZZ_CAMPAIGN'] !== '1') {
  const campaign = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, WGFUSE_FUZZ_CAMPAIGN: '1' },
  });
  // A terminal's Ctrl-C reaches the whole process group; `kill -INT` of this process only, so pass it on.
  process.on('SIGINT', () => campaign.kill('SIGINT'));
  const code = await new Promise<number>((done) => campaign.on('exit', (c, signal) => done(c ?? 128 + (signal === null ? 0 : constants.signals[signal]))));
  process.exit(code);
}

const impl = await implementationUnderTest().catch((e: unknown) => usageError(e instanceof Error ? e.message : String(e)));
const gpu = await executingGpu();
const device = `${gpu.summary.device || gpu.summary.description} (${gpu.backend}, tier ${gpu.tier})`;

if (replayFile !== undefined) {
  const r = replayFile;
  process.stdout.write(
    `replaying ${values.replay}: property ${r.property}, seed ${r.seed}, path ${r.path}\n` +
      `  recorded: [${r.rule}] against ${r.implName}\n  now:      ${impl.name} on ${device}\n`,
  );
  const outcome = await replayFailure(r, impl, gpu);
  if (!outcome.sameCase) {
    process.stdout.write(
      'warning: seed and path now generate a different case than the file holds (the arbitraries changed since it was written); judging the case the file holds\n' +
        `  file:      ${JSON.stringify(r.case)}\n  generated: ${JSON.stringify(outcome.generated)}\n`,
    );
  }
  if (outcome.stillFails) {
    const same = outcome.rule === r.rule ? 'the same rule as recorded' : `recorded was [${r.rule}]`;
    process.stdout.write(`\nSTILL FAILS: [${outcome.rule}] (${same})\n${outcome.message ?? ''}\n`);
    process.exit(1);
  }
  process.stdout.write(`\npasses now: the case no longer breaks [${r.rule}]\n`);
  process.exit(0);
}

const { runnable, skipped } = await runnableProperties(properties);
if (runnable.length === 0) {
  process.stderr.write(`fuzz: cannot run: no chosen property can run on this device:\n${skipped.map((s) => `  ${s}`).join('\n')}\n`);
  process.exit(2);
}
const firstSeed = seedOption ?? ((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const maxMs = minutes !== undefined ? minutes * 60_000 : cases === undefined ? 5 * 60_000 : undefined;
const budget = [cases === undefined ? '' : `${cases} cases`, maxMs === undefined ? '' : `${(maxMs / 60_000).toFixed(2)} min`].filter((s) => s !== '').join(' or ');
process.stdout.write(
  `wgfuse fuzz\n  implementation: ${impl.name}${implModule ? ` (${implModule})` : ''}\n  device:         ${device}\n` +
    `  properties:     ${runnable.join(', ')}; first seed ${firstSeed}, ${batch} cases per seed; budget ${budget}\n` +
    skipped.map((s) => `  not run:        ${s}\n`).join('') +
    '\n',
);

const rate = (n: number, ms: number): string => (ms > 0 ? (n / (ms / 1000)).toFixed(1) : '-');

function summary(stats: CampaignStats, note: string): string {
  const per = PROPERTY_NAMES.map((p) => `${p} ${stats.casesByProperty[p]}`).join(', ');
  const seeds = stats.batches.map((b) => b.seed);
  const seedText =
    seeds.length === 0
      ? 'none finished'
      : `${seeds[0]}..${seeds[seeds.length - 1]} (${seeds.length} batch${seeds.length === 1 ? '' : 'es'}); rerun with --seed ${firstSeed} --batch ${batch} --property ${propertyChoice}${variants > 0 ? ` --data-variants ${variants}` : ''}${tier === 'ci' ? ' --tier ci' : ''}${shard.count > 1 ? ` --shard ${shard.index + 1}/${shard.count}` : ''}`;
  return [
    `fuzz summary${note}`,
    `  cases:         ${stats.cases} graphs (${per}), each judged on ${2 + variants} data sets: ${stats.cases * (2 + variants)} judged`,
    `  time:          ${(stats.ms / 1000).toFixed(1)} s, ${rate(stats.cases, stats.ms)} graphs/s, ${rate(stats.cases * (2 + variants), stats.ms)} judged data sets/s`,
    ...(stats.setAside === 0 ? [] : [`  set aside:     ${stats.setAside} graphs not judged here: ${Object.entries(stats.setAsideReasons).map(([why, n]) => `${why} ${n}`).join('; ')}`]),
    `  fused kernels: ${formatHistogram(stats.fusedKernels)}`,
    `  eager kernels: ${formatHistogram(stats.eagerKernels)}`,
    `  seeds:         ${seedText}`,
    '',
  ].join('\n');
}

const stats = newCampaignStats();
const started = performance.now();
process.on('SIGINT', () => {
  stats.ms = performance.now() - started;
  process.stdout.write(`\n${summary(stats, ' (interrupted)')}`);
  const f = stats.failing;
  if (f === undefined) process.exit(0);
  // A failure found but not yet shrunk must not read as a clean run.
  process.stdout.write(`interrupted while shrinking a failure of property ${f.property} at seed ${f.seed}; find it again with: npm run fuzz -- --property ${f.property} --seed ${f.seed} --batch ${batch} --cases ${batch}\n`);
  process.exit(1);
});

const result = await runCampaign({
  impl,
  implModule: implModule || undefined,
  gpu,
  properties: runnable,
  firstSeed,
  batch,
  dataVariants: variants,
  tier,
  shard,
  ...(values.corpus === undefined ? {} : { corpus: values.corpus }),
  onCorpus: (entry, r) => {
    process.stdout.write(`FAIL [${r.rule}] property ${r.property}, seed ${r.seed}, path ${r.path}: ${entry.added ? `new corpus entry ${entry.file}` : `seen before (${entry.count} times): ${entry.file}`}\n`);
  },
  ...(cases === undefined ? {} : { maxCases: cases }),
  ...(maxMs === undefined ? {} : { maxMs }),
  outDir,
  stats,
  onBatch: (b, s) => {
    process.stdout.write(
      `seed ${String(b.seed).padStart(11)}  ${b.property.padEnd(9)} ${String(b.cases).padStart(4)} cases  total ${String(s.cases).padStart(6)}  ` +
        `${rate(b.cases, b.ms).padStart(6)} cases/s${b.setAside === undefined ? '' : `  set aside ${b.setAside}`}  fused kernels ${formatHistogram(b.fusedKernels)}  eager kernels ${formatHistogram(b.eagerKernels)}\n`,
    );
  },
});

if (values.record !== undefined) {
  writeFileSync(values.record, `${JSON.stringify(campaignRecord({ firstSeed, batch, properties, dataVariants: variants, tier, shard }, result), null, 2)}\n`);
}
const failure = result.failure;
if (failure !== undefined) {
  const r = failure.replay;
  process.stdout.write(
    [
      '',
      `FAIL [${r.rule}] property ${r.property}, seed ${r.seed}, path ${r.path}: after ${stats.cases} passing case(s), shrunk in ${failure.numShrinks} step(s)`,
      '--- failure of the shrunk case ---',
      r.message,
      '--- shrunk case ---',
      JSON.stringify(r.case),
      '',
      `replay file: ${failure.file}`,
      'replay:',
      `  ${r.replay}`,
      `  ${r.vitestReplay}`,
      '',
      summary(stats, ' (stopped at the failure)'),
    ].join('\n'),
  );
  process.exit(1);
}
process.stdout.write(`\n${summary(stats, '')}`);
const met = result.corpus ?? [];
if (met.length > 0) process.stdout.write(`corpus ${values.corpus ?? ''}: ${met.length} failure(s), ${new Set(met.map((e) => e.signature)).size} signature(s), ${met.filter((e) => e.added).length} new\n`);
// A campaign that judged nothing (every case set aside) is not a clean run.
if (stats.cases === 0 && stats.setAside > 0) process.stdout.write(`no case was judged: all ${stats.setAside} were set aside on this adapter\n`);
process.exit(met.length > 0 || (stats.cases === 0 && stats.setAside > 0) ? 1 : 0);

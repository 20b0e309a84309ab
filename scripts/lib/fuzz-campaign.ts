/**
 * Long random campaigns over the conformance properties (`npm run fuzz`). A campaign is a sequence of
 * fast-check batches, batch k running seed firstSeed + k, so the whole campaign replays from its first
 * seed. The first failing batch is shrunk by fast-check and saved as a replay file holding the seed
 * and path that regenerate the shrunk case here and in the vitest test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuiltCase } from '../../conformance/generators/fusion-case.js';
import { dataVariants } from '../../conformance/generators/built-case.js';
import { caseDocument, checkCase, oneKernel } from '../../conformance/properties/check.js';
import { CaseSetAside } from '../../conformance/harness/loop-cap.js';
import type { CaseReport, StageMs } from '../../conformance/properties/check.js';
import type { Gpu } from '../../conformance/harness/device.js';
import type { Implementation } from '../../spec/implementation.js';
import { RANDOM_PROPERTIES, isPropertyName, PROPERTY_NAMES, shellQuote, TIERS, vitestReplayCommand } from '../../conformance/properties/random-properties.js';
import type { Tier } from '../../conformance/properties/random-properties.js';
import type { PropertyName } from '../../conformance/properties/random-properties.js';
import { recordInCorpus, signatureOf } from './fuzz-corpus.js';
import type { CorpusEntry } from './fuzz-corpus.js';

/** key → number of cases. */
export type Histogram = Record<string, number>;

export interface BatchReport {
  readonly index: number;
  readonly seed: number;
  readonly property: PropertyName;
  readonly cases: number;
  readonly ms: number;
  /** Kernels the implementation under test dispatched per case. */
  readonly fusedKernels: Histogram;
  /** Kernels the eager reference dispatched per case (one per op and call): how big the graphs were. */
  readonly eagerKernels: Histogram;
  /** Cases set aside as not judgeable here ([harness.loopcap.2], [gen.space.2]); absent in older records: 0. */
  readonly setAside?: number;
}

/** Totals kept up to date case by case, so an interrupt can report the batch running now too. */
export interface CampaignStats {
  /** Cases that passed. */
  cases: number;
  readonly casesByProperty: Record<PropertyName, number>;
  ms: number;
  readonly fusedKernels: Histogram;
  readonly eagerKernels: Histogram;
  /** Cases set aside, not judged, and why: `[rule] what` → cases ([harness.loopcap.3]). */
  setAside: number;
  readonly setAsideReasons: Histogram;
  /** Finished batches. */
  readonly batches: BatchReport[];
  /** Set when a case has failed and fast-check is shrinking it. */
  failing: { readonly seed: number; readonly property: PropertyName } | undefined;
}

export interface CampaignOptions {
  readonly impl: Implementation;
  /** The module WGFUSE_IMPL named, for the replay commands; undefined for the reference or an implementation passed in-process. */
  readonly implModule: string | undefined;
  readonly gpu: Gpu;
  /** Batch k runs properties[k % length]. */
  readonly properties: readonly PropertyName[];
  readonly firstSeed: number;
  /** Cases per seed. */
  readonly batch: number;
  /** Stop after this many cases (the last batch is cut to fit)… */
  readonly maxCases?: number;
  /** …or after the batch that ends past this many milliseconds. */
  readonly maxMs?: number;
  /** Where the replay file of a failure goes (created if missing). */
  readonly outDir: string;
  /** Per stage of each program (compile, run, readback). */
  readonly timeoutMs?: number;
  readonly onBatch?: (batch: BatchReport, stats: CampaignStats) => void;
  /** Polled between batches. */
  readonly stopRequested?: () => boolean;
  /** The live totals, so an interrupt handler can print them mid-batch. */
  readonly stats?: CampaignStats;
  /**
   * Runs only batches index, index + count, index + 2·count, … of the campaign ([fuzz.shard.1]); with
   * maxCases the total of all shards. The shards of a campaign together run exactly its batches.
   */
  readonly shard?: { readonly index: number; readonly count: number };
  /**
   * A corpus folder ([fuzz.corpus.1]): each failure is shrunk and kept there once per signature, and the
   * campaign goes on with its next batch instead of stopping.
   */
  readonly corpus?: string;
  /** Called for each failure recorded in the corpus. */
  readonly onCorpus?: (entry: CorpusEntry, failure: Pick<ReplayFile, 'rule' | 'property' | 'seed' | 'path'>) => void;
  /** Further data sets judged per generated graph ([fuzz.variants.1]); recorded in replay files. Default 0. */
  readonly dataVariants?: number;
  /** Which draws the properties make ([gen.large.1]); default 'campaign', recorded in replay files. */
  readonly tier?: Tier;
  /** Time per stage, added up (the throughput bench): building cases, and checkCase's stages. */
  readonly stageMs?: StageMs & { build: number };
}

export const REPLAY_FORMAT = 'wgfuse-fuzz-replay/1';

/** A failure as saved to disk: enough to regenerate the case and to see what went wrong without rerunning. */
export interface ReplayFile {
  readonly format: typeof REPLAY_FORMAT;
  readonly property: PropertyName;
  readonly seed: number;
  /** fast-check's counterexample path in this campaign's batch (the vitest test's path is in vitestReplay). */
  readonly path: string;
  /** The WGFUSE_IMPL module; null for the reference or an in-process implementation. */
  readonly impl: string | null;
  readonly implName: string;
  /** The shrunk counterexample, as the property's arbitrary generated it. */
  readonly case: unknown;
  /** Data variants judged per graph when it failed (absent: 0); the replay judges the same. */
  readonly dataVariants?: number;
  /** The tier the case was drawn from (absent: 'ci', as files written before tiers were). */
  readonly tier?: Tier;
  readonly rule: string;
  readonly message: string;
  /** `npm run fuzz -- --replay <this file>` */
  readonly replay: string;
  readonly vitestReplay: string;
  readonly createdAt: string;
}

export interface CampaignFailure {
  readonly replay: ReplayFile;
  readonly file: string;
  readonly numShrinks: number;
}

export interface CampaignResult {
  readonly stats: CampaignStats;
  readonly failure: CampaignFailure | undefined;
  /** With a corpus: every failure met, in order, each with its corpus entry. */
  readonly corpus?: readonly CorpusEntry[];
  readonly stopped: 'done' | 'failure' | 'interrupted';
}

export function newCampaignStats(): CampaignStats {
  return { cases: 0, casesByProperty: Object.fromEntries(PROPERTY_NAMES.map((p) => [p, 0])) as Record<PropertyName, number>, ms: 0, fusedKernels: {}, eagerKernels: {}, setAside: 0, setAsideReasons: {}, batches: [], failing: undefined };
}

/** Powers-of-two buckets, so a histogram of graph sizes stays one line. */
export function sizeBucket(n: number): string {
  if (n <= 1) return String(n);
  const lo = 2 ** Math.floor(Math.log2(n));
  return lo >= 32 ? '32+' : `${lo}-${2 * lo - 1}`;
}

function bump(h: Histogram, key: string): void {
  h[key] = (h[key] ?? 0) + 1;
}

/** `1:80 2-3:12 …`, keys in numeric order. */
export function formatHistogram(h: Histogram): string {
  const entries = Object.entries(h).sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  return entries.length === 0 ? '(none)' : entries.map(([k, n]) => `${k}:${n}`).join(' ');
}

/** The spec rule an error names: `.rule` (ConformanceFailure, WgfuseError) or a leading `[rule]`. */
export function ruleOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { rule?: unknown }).rule === 'string') return (error as { rule: string }).rule;
  const message = error instanceof Error ? error.message : String(error);
  return /^\[([\w.-]+)\]/.exec(message)?.[1] ?? 'unknown';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Judges one built case as the vitest properties do: one fused kernel, fused ≈ eager ≈ interpreter. A case
 * set aside as not judgeable here is neither a pass nor a failure: it goes to onSetAside.
 */
function caseChecker(impl: Implementation, gpu: Gpu, timeoutMs: number | undefined, stageMs: StageMs | undefined, variants: number, onPass?: (report: CaseReport) => void, onSetAside?: (e: CaseSetAside) => void) {
  return async (built: BuiltCase): Promise<void> => {
    let report: CaseReport;
    try {
      report = await checkCase(impl, oneKernel(built), gpu, { execute: true, moreData: dataVariants(built, variants), ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(stageMs === undefined ? {} : { stageMs }) });
    } catch (e) {
      if (!(e instanceof CaseSetAside)) throw e;
      onSetAside?.(e);
      return;
    }
    onPass?.(report);
  };
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Writes a failure's replay file into `dir`; the commands it holds name the file itself. */
export function writeReplayFile(
  dir: string,
  failure: Omit<ReplayFile, 'format' | 'replay' | 'vitestReplay' | 'createdAt'>,
  now = new Date(),
  options: { readonly file?: string; readonly extra?: Readonly<Record<string, unknown>> } = {},
): { file: string; replay: ReplayFile } {
  mkdirSync(dir, { recursive: true });
  const file = options.file ?? join(dir, `${failure.property}-s${failure.seed}-${stamp(now)}.json`);
  const property = RANDOM_PROPERTIES[failure.property];
  const replay: ReplayFile = {
    format: REPLAY_FORMAT,
    ...failure,
    replay: `npm run fuzz -- --replay ${shellQuote(file)}`,
    vitestReplay: vitestReplayCommand(property, failure.seed, failure.path, failure.impl ?? undefined, failure.dataVariants ?? 0, failure.tier ?? 'ci'),
    createdAt: now.toISOString(),
  };
  writeFileSync(file, `${JSON.stringify({ ...replay, ...options.extra }, null, 2)}\n`);
  return { file, replay };
}

/** Reads and checks a replay file; a malformed one is rejected with the field that is wrong. */
export function readReplayFile(file: string): ReplayFile {
  let text: string;
  let data: unknown;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`[fuzz.replay.2] ${file}: cannot read it: ${messageOf(e)}`);
  }
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`[fuzz.replay.2] ${file}: not JSON: ${messageOf(e)}`);
  }
  const bad = (field: string, expected: string, got: unknown): Error =>
    new Error(`[fuzz.replay.2] ${file}: field '${field}' must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}. hint: replay files are written by npm run fuzz`);
  if (typeof data !== 'object' || data === null) throw bad('(root)', 'an object', data);
  const r = data as Record<string, unknown>;
  if (r['format'] !== REPLAY_FORMAT) throw bad('format', `'${REPLAY_FORMAT}'`, r['format']);
  if (!isPropertyName(r['property'])) throw bad('property', "'fusion' or 'pointwise'", r['property']);
  if (!Number.isInteger(r['seed'])) throw bad('seed', 'an integer', r['seed']);
  if (typeof r['path'] !== 'string' || !/^\d+(:\d+)*$/.test(r['path'])) throw bad('path', "a fast-check path like '3:0:1'", r['path']);
  if (r['impl'] !== null && typeof r['impl'] !== 'string') throw bad('impl', 'a module path or null', r['impl']);
  for (const field of ['implName', 'rule', 'message', 'replay', 'vitestReplay', 'createdAt']) {
    if (typeof r[field] !== 'string') throw bad(field, 'a string', r[field]);
  }
  if (r['dataVariants'] !== undefined && !(Number.isInteger(r['dataVariants']) && (r['dataVariants'] as number) >= 0)) throw bad('dataVariants', 'an integer 0 or more', r['dataVariants']);
  if (r['tier'] !== undefined && !TIERS.includes(r['tier'] as Tier)) throw bad('tier', `one of ${TIERS.join(', ')}`, r['tier']);
  return data as ReplayFile;
}

/**
 * Runs batches until maxCases, maxMs, a stop request or the first failure. A failure is shrunk,
 * saved with writeReplayFile and returned; the caller prints it.
 */
export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  if (o.properties.length === 0) throw new Error('[fuzz.campaign.1] runCampaign: no property to run');
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error(`[fuzz.campaign.1] runCampaign: batch must be a positive integer, got ${o.batch}`);
  const stats = o.stats ?? newCampaignStats();
  const tier = o.tier ?? 'campaign';
  const started = performance.now();
  const shard = o.shard ?? { index: 0, count: 1 };
  if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new Error(`[fuzz.shard.1] runCampaign: shard ${shard.index + 1} of ${shard.count} does not exist`);
  }
  const corpusEntries: CorpusEntry[] = [];
  for (let index = shard.index; ; index += shard.count) {
    // Batch k holds cases k·batch … (k+1)·batch − 1 of the campaign, whichever shard runs it.
    const left = o.maxCases === undefined ? o.batch : Math.min(o.batch, o.maxCases - index * o.batch);
    if (left <= 0 || (o.maxMs !== undefined && performance.now() - started >= o.maxMs) || o.stopRequested?.() === true) {
      return { stats, failure: undefined, stopped: o.stopRequested?.() === true ? 'interrupted' : 'done', ...(o.corpus === undefined ? {} : { corpus: corpusEntries }) };
    }
    const name = o.properties[index % o.properties.length] as PropertyName;
    const property = RANDOM_PROPERTIES[name];
    // fast-check seeds are 32-bit integers.
    const seed = (o.firstSeed + index) | 0;
    const fusedKernels: Histogram = {};
    const eagerKernels: Histogram = {};
    let passed = 0;
    let setAside = 0;
    let shrinking = false;
    const check = caseChecker(o.impl, o.gpu, o.timeoutMs, o.stageMs, o.dataVariants ?? 0, (report) => {
      // Cases fast-check tries while shrinking are not new coverage.
      if (shrinking) return;
      passed++;
      stats.cases++;
      stats.casesByProperty[name]++;
      for (const h of [fusedKernels, stats.fusedKernels]) bump(h, String(report.fused.dispatches));
      for (const h of [eagerKernels, stats.eagerKernels]) bump(h, sizeBucket(report.eager.dispatches));
    }, (e) => {
      if (shrinking) return;
      setAside++;
      stats.setAside++;
      bump(stats.setAsideReasons, `[${e.rule}] ${e.semantics}`);
    });
    const t0 = performance.now();
    const run = await property.run(async (build) => {
      try {
        const b0 = performance.now();
        const built = build();
        if (o.stageMs !== undefined) o.stageMs.build += performance.now() - b0;
        await check(built);
      } catch (e) {
        shrinking = true;
        stats.failing ??= { seed, property: name };
        throw e;
      }
    }, { seed, numRuns: left, tier });
    const ms = performance.now() - t0;
    stats.ms = performance.now() - started;
    const batch: BatchReport = { index, seed, property: name, cases: passed, ms, fusedKernels, eagerKernels, ...(setAside > 0 ? { setAside } : {}) };
    stats.batches.push(batch);
    if (!run.failed) {
      o.onBatch?.(batch, stats);
      continue;
    }
    const failed = {
      property: name,
      seed: run.seed,
      path: run.counterexamplePath ?? '',
      impl: o.implModule ?? null,
      implName: o.impl.name,
      case: run.counterexample,
      ...((o.dataVariants ?? 0) > 0 ? { dataVariants: o.dataVariants } : {}),
      tier,
      rule: ruleOf(run.error),
      message: messageOf(run.error),
    };
    if (o.corpus !== undefined) {
      const corpus = o.corpus;
      const built = property.caseAt(failed.seed, failed.path, tier).build();
      const signature = signatureOf(failed.rule, built);
      const entry = recordInCorpus(corpus, signature, failed.rule, (file) => {
        writeReplayFile(corpus, failed, new Date(), { file, extra: { signature, ir: caseDocument(oneKernel(built)) ?? null } });
      });
      corpusEntries.push(entry);
      o.onCorpus?.(entry, failed);
      stats.failing = undefined;
      o.onBatch?.(batch, stats);
      continue;
    }
    const { file, replay } = writeReplayFile(o.outDir, failed);
    return { stats, failure: { replay, file, numShrinks: run.numShrinks }, stopped: 'failure' };
  }
}

export interface ReplayOutcome {
  readonly stillFails: boolean;
  readonly rule: string | undefined;
  readonly message: string | undefined;
  /** What seed and path generate now. */
  readonly generated: unknown;
  /** False when that is not the file's case: the arbitraries changed since the file was written. */
  readonly sameCase: boolean;
}

/**
 * Regenerates the file's case from its seed and path and judges exactly that case, once; when seed and
 * path now generate another case (the arbitraries changed since the file was written), the case the file
 * stores is judged instead, and `sameCase` says so.
 */
export async function replayFailure(r: ReplayFile, impl: Implementation, gpu: Gpu, timeoutMs?: number): Promise<ReplayOutcome> {
  const property = RANDOM_PROPERTIES[r.property];
  const { value, build } = property.caseAt(r.seed, r.path, r.tier ?? 'ci');
  const sameCase = JSON.stringify(value) === JSON.stringify(r.case);
  // Seed and path give another case once the arbitraries change: the stored case is judged then.
  const judged = sameCase ? build : () => property.buildValue(r.case);
  try {
    let setAside: CaseSetAside | undefined;
    await caseChecker(impl, gpu, timeoutMs, undefined, r.dataVariants ?? 0, undefined, (e) => (setAside = e))(judged());
    if (setAside !== undefined) return { stillFails: false, rule: setAside.rule, message: `set aside, not judged here: ${setAside.reason}`, generated: value, sameCase };
    return { stillFails: false, rule: undefined, message: undefined, generated: value, sameCase };
  } catch (e) {
    return { stillFails: true, rule: ruleOf(e), message: messageOf(e), generated: value, sameCase };
  }
}

/** What a campaign (or one shard of it) leaves for a merge: its settings and its finished batches. */
export interface CampaignRecord {
  readonly format: 'wgfuse-fuzz-campaign/1';
  readonly firstSeed: number;
  readonly batch: number;
  readonly properties: readonly PropertyName[];
  readonly dataVariants: number;
  /** Absent in records written before tiers: 'campaign'. */
  readonly tier?: Tier;
  readonly shard: { readonly index: number; readonly count: number };
  readonly batches: readonly BatchReport[];
  readonly failure: string | null;
}

/** The record of a campaign run with `o` (its settings) that ended with `result`. */
export function campaignRecord(o: Pick<CampaignOptions, 'firstSeed' | 'batch' | 'properties' | 'dataVariants' | 'shard' | 'tier'>, result: CampaignResult): CampaignRecord {
  return {
    format: 'wgfuse-fuzz-campaign/1',
    firstSeed: o.firstSeed,
    batch: o.batch,
    properties: o.properties,
    dataVariants: o.dataVariants ?? 0,
    tier: o.tier ?? 'campaign',
    shard: o.shard ?? { index: 0, count: 1 },
    batches: result.stats.batches,
    failure: result.failure?.file ?? null,
  };
}

/**
 * The shards of one campaign as one record ([fuzz.shard.1]): settings must agree and each shard appear once;
 * the batches are put back in campaign order. Throws an Error naming what does not fit.
 */
export function mergeCampaigns(parts: readonly CampaignRecord[]): CampaignRecord {
  const first = parts[0];
  if (first === undefined) throw new Error('[fuzz.shard.1] nothing to merge');
  const count = first.shard.count;
  const settings = (r: CampaignRecord): string => JSON.stringify([r.firstSeed, r.batch, r.properties, r.dataVariants, r.tier ?? 'campaign', r.shard.count]);
  for (const r of parts) {
    if (r.format !== 'wgfuse-fuzz-campaign/1') throw new Error(`[fuzz.shard.1] not a campaign record: format ${JSON.stringify(r.format)}`);
    if (settings(r) !== settings(first)) throw new Error(`[fuzz.shard.1] shard ${r.shard.index + 1}/${r.shard.count} was run with other settings than shard ${first.shard.index + 1}/${count} (seed, batch, properties, data variants, tier, shard count)`);
  }
  const seen = parts.map((r) => r.shard.index).sort((a, b) => a - b);
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !seen.includes(k));
  if (missing.length > 0 || seen.length !== count) throw new Error(`[fuzz.shard.1] shards of ${count}: ${missing.length > 0 ? `missing ${missing.map((k) => k + 1).join(', ')}` : 'one given twice'}`);
  const batches = parts.flatMap((r) => r.batches).sort((a, b) => a.index - b.index);
  const failures = parts.map((r) => r.failure).filter((f): f is string => f !== null);
  return { ...first, shard: { index: 0, count: 1 }, batches, failure: failures[0] ?? null };
}

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { fusionCaseArbitrary, SEED_CASE } from '../conformance/generators/fusion-case.js';
import { gate } from '../conformance/harness/gates.js';
import { PLANTED_FAULTS } from '../conformance/faults/index.js';
import type { PlantedFault } from '../conformance/faults/index.js';
import { fusedReference } from '../reference/implementation.js';
import type { Gpu } from '../conformance/harness/device.js';
import type { Implementation } from '../spec/implementation.js';
import { campaignRecord, mergeCampaigns, readReplayFile, replayFailure, runCampaign } from './lib/fuzz-campaign.js';
import { sh } from './lib/sh.js';
import type { BatchReport, CampaignRecord, CampaignResult } from './lib/fuzz-campaign.js';
import { escapeRegExp, RANDOM_PROPERTIES, vitestPath } from '../conformance/properties/random-properties.js';

// npm run fuzz's machinery: campaigns stop at the first failure with a replay file, the file replays
// the same case here and in the vitest test, and a campaign against the reference passes.

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wgfuse-fuzz-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SEED = 20261126;
function mutant(name: string): PlantedFault {
  const found = PLANTED_FAULTS.find((m) => m.name === name);
  if (found === undefined) throw new Error(`conformance/faults/ has no planted fault '${name}'`);
  return found;
}
const planted = mutant('drop-epilogue-op');

let plantedRun: Promise<{ result: CampaignResult; dir: string }> | undefined;
/** One campaign against the planted fault, shared by the tests that inspect its replay file. */
function plantedCampaign(gpu: Gpu): Promise<{ result: CampaignResult; dir: string }> {
  plantedRun ??= (async () => {
    const dir = tempDir();
    const result = await runCampaign({
      impl: planted.implementation,
      implModule: undefined,
      gpu,
      properties: ['fusion'],
      firstSeed: SEED,
      batch: 50,
      maxCases: 200,
      outDir: dir,
    });
    return { result, dir };
  })();
  return plantedRun;
}

const ROOT = new URL('..', import.meta.url).pathname;

describe('fuzz campaigns on a device', () => {
  test('[fuzz.campaign.1] a campaign against a planted fault (drop-epilogue-op) stops at the first failure and writes a replay file', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const { result, dir } = await plantedCampaign(gpu);
    expect(result.stopped).toBe('failure');
    const failure = result.failure;
    if (failure === undefined) throw new Error('no failure reported');
    expect(readdirSync(dir)).toEqual([failure.file.slice(dir.length + 1)]);
    // Stopped in the batch that failed: no later seed ran.
    expect(result.stats.batches.at(-1)?.seed).toBe(failure.replay.seed);
    const saved = readReplayFile(failure.file);
    expect(saved).toEqual(failure.replay);
    expect(saved.rule).toBe('numerics.oracle.1');
    expect(saved.message).toMatch(/^\[numerics\.oracle\.1\] mutant: drop-epilogue-op: \d+ failed checks? on case: .*\n  FAIL \[numerics\.oracle\.1\] numerics \(run 1, .*disagrees with the CPU interpreter/);
    expect(saved.implName).toBe('mutant: drop-epilogue-op');
    // The mutant drops an epilogue op, so the shrunk case keeps exactly one.
    expect((saved.case as { epilogue: unknown[] }).epilogue).toHaveLength(1);
    expect(saved.replay).toBe(`npm run fuzz -- --replay ${failure.file}`);
    // A campaign draws the campaign tier ([gen.large.1]), so the vitest replay asks for it too.
    expect(saved.tier).toBe('campaign');
    expect(saved.vitestReplay).toContain(`WGFUSE_SEED=${saved.seed} WGFUSE_PATH=${vitestPath(RANDOM_PROPERTIES.fusion, saved.path)} WGFUSE_TIER=campaign npx vitest run conformance/judge/fusion.test.ts -t `);
  });

  test('[fuzz.replay.1] replaying the file fails again the same way, on the same case; against the reference it passes; once the arbitraries change, the stored case is the one judged', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const { result } = await plantedCampaign(gpu);
    const file = result.failure?.file;
    if (file === undefined) throw new Error('the planted campaign found no failure');
    const saved = readReplayFile(file);
    const again = await replayFailure(saved, planted.implementation, gpu);
    expect(again).toMatchObject({ stillFails: true, rule: saved.rule, message: saved.message, sameCase: true });
    const fixed = await replayFailure(saved, fusedReference, gpu);
    expect(fixed).toMatchObject({ stillFails: false, sameCase: true });
    // Once the arbitraries change, seed and path give another case: the one the file stores is judged.
    const stored = { ...saved, case: SEED_CASE };
    const drifted = await replayFailure(stored, planted.implementation, gpu);
    expect(drifted).toMatchObject({ stillFails: true, rule: 'numerics.oracle.1', sameCase: false });
    expect(drifted.message).toContain('on case: relu(add(mul(x, 2), add(y, 1)))');
    expect(await replayFailure(stored, fusedReference, gpu)).toMatchObject({ stillFails: false, sameCase: false });
  });

  test('[fuzz.variants.1] data variants get every check: a fault that shows only on a third data set is caught with variants and not without, and its replay file judges the same variants', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    // The reference, wrong in the first element of its first output from the third run of each program on:
    // the case's data and the second data set are right, data variant 0 is not.
    const wrongOnThirdRun: Implementation = {
      name: 'reference, wrong from its third run',
      async compile(graph, kernels, device) {
        const program = await fusedReference.compile(graph, kernels, device);
        let runs = 0;
        return {
          ...program,
          wgsl: program.wgsl,
          async run(io) {
            await program.run(io);
            runs += 1;
            const out = io.outputs[0];
            if (runs >= 3 && out !== undefined) device.queue.writeBuffer(out, 0, Float32Array.of(12345));
          },
        };
      },
    };
    const campaign = (dataVariants: number, outDir: string): Promise<CampaignResult> =>
      runCampaign({ impl: wrongOnThirdRun, implModule: undefined, gpu, properties: ['fusion'], firstSeed: SEED, batch: 5, maxCases: 5, outDir, dataVariants });
    const without = await campaign(0, tempDir());
    expect(without.failure, without.failure?.replay.message).toBeUndefined();
    const withVariants = await campaign(1, tempDir());
    const failure = withVariants.failure;
    if (failure === undefined) throw new Error('one data variant did not catch the fault');
    expect(failure.replay.rule).toBe('numerics.oracle.1');
    expect(failure.replay.message).toMatch(/FAIL \[numerics\.oracle\.1\] numerics \(run 3, data variant 0\)/);
    expect(failure.replay.message).not.toMatch(/FAIL \[numerics\.oracle\.1\] numerics \(run [12],/);
    const saved = readReplayFile(failure.file);
    expect(saved.dataVariants).toBe(1);
    expect(saved.vitestReplay).toContain('WGFUSE_DATA_VARIANTS=1');
    expect(await replayFailure(saved, wrongOnThirdRun, gpu)).toMatchObject({ stillFails: true, rule: 'numerics.oracle.1', sameCase: true });
  });

  test('[fuzz.shard.1] two shards of a campaign, merged, are the unsharded campaign: the same batches, seeds, properties, cases and kernel counts', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const settings = { impl: fusedReference, implModule: undefined, gpu, properties: ['fusion', 'pointwise'] as const, firstSeed: SEED + 7, batch: 4, maxCases: 18, dataVariants: 0 };
    const whole = await runCampaign({ ...settings, outDir: tempDir() });
    const shards: CampaignRecord[] = [];
    for (const index of [1, 0]) {
      const sharded = { ...settings, outDir: tempDir(), shard: { index, count: 2 } };
      shards.push(campaignRecord(sharded, await runCampaign(sharded)));
    }
    const merged = mergeCampaigns(shards);
    // Timings differ run to run; everything else is the campaign's.
    const strip = (batches: readonly BatchReport[]): unknown[] => batches.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(merged.batches)).toEqual(strip(whole.stats.batches));
    expect(merged.batches.map((b) => b.cases)).toEqual([4, 4, 4, 4, 2]);
    expect(merged.batches.map((b) => b.property)).toEqual(['fusion', 'pointwise', 'fusion', 'pointwise', 'fusion']);
    // A shard missing or run with other settings is refused by name.
    expect(() => mergeCampaigns([shards[0] as CampaignRecord])).toThrow(/\[fuzz\.shard\.1\] shards of 2: missing 1/);
    expect(() => mergeCampaigns([shards[0] as CampaignRecord, { ...(shards[1] as CampaignRecord), batch: 5 }])).toThrow(/other settings/);
  });

  test('[fuzz.workers.1] npm run fuzz -- --workers 2 runs two shard processes and merges them into the unsharded campaign\'s record', async (ctx) => {
    await gate(ctx, { execution: true });
    const dir = tempDir();
    const args = `--cases 12 --batch 3 --seed ${SEED + 11} --property all --tier ci --out ${dir}`;
    const [whole, split] = await Promise.all([
      sh(`npx tsx scripts/fuzz.ts ${args} --record ${join(dir, 'whole.json')}`, { cwd: ROOT }),
      sh(`npx tsx scripts/fuzz.ts ${args} --workers 2 --record ${join(dir, 'split.json')}`, { cwd: ROOT }),
    ]);
    expect(whole.code, whole.out).toBe(0);
    expect(split.code, split.out).toBe(0);
    expect(split.out).toMatch(/^\[w1\] seed /m);
    expect(split.out).toMatch(/^\[w2\] seed /m);
    expect(split.out).toMatch(/fuzz summary of 2 workers \(exit codes 0, 0\)\n {2}cases: {9}12 graphs in 4 batches/);
    const read = (f: string): CampaignRecord => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CampaignRecord;
    const strip = (r: CampaignRecord): unknown[] => r.batches.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(read('split.json'))).toEqual(strip(read('whole.json')));
  });

  test('[fuzz.corpus.1] with a corpus a campaign goes on past failures, keeps one replayable entry per signature (rule and shrunk graph), and counts repeats', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const corpus = tempDir();
    const result = await runCampaign({ impl: planted.implementation, implModule: undefined, gpu, properties: ['fusion'], firstSeed: SEED, batch: 10, maxCases: 40, outDir: tempDir(), corpus });
    expect(result.failure).toBeUndefined();
    const entries = result.corpus ?? [];
    // Every batch ran (the campaign did not stop at its first failure), and each failure has its entry.
    expect(result.stats.batches.map((b) => b.seed)).toEqual([SEED, SEED + 1, SEED + 2, SEED + 3]);
    expect(entries.length).toBeGreaterThanOrEqual(2);
    const signatures = [...new Set(entries.map((e) => e.signature))];
    // The planted fault is one bug: its failures shrink to the same graph, kept once.
    expect(signatures.length).toBeLessThan(entries.length);
    expect(readdirSync(corpus).sort()).toEqual([...signatures.map((s) => `${s}.json`), 'index.json'].sort());
    expect(entries.filter((e) => e.added).map((e) => e.signature).sort()).toEqual([...signatures].sort());
    const index = JSON.parse(readFileSync(join(corpus, 'index.json'), 'utf8')) as Record<string, { count: number }>;
    expect(Object.values(index).reduce((n, e) => n + e.count, 0)).toBe(entries.length);
    for (const s of signatures) {
      expect(s).toMatch(/^numerics\.oracle\.1-[0-9a-f]{12}$/);
      const saved = readReplayFile(join(corpus, `${s}.json`));
      expect(JSON.parse(readFileSync(join(corpus, `${s}.json`), 'utf8')) as { ir: { format: string } | null }).toMatchObject({ signature: s, ir: { format: 'wgfuse-ir' } });
      expect(await replayFailure(saved, planted.implementation, gpu)).toMatchObject({ stillFails: true, rule: 'numerics.oracle.1', sameCase: true });
    }
  });

  test('[fuzz.campaign.2] batches run consecutive seeds; against the reference a 20-case campaign over both properties passes', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const dir = tempDir();
    const seen: number[] = [];
    const result = await runCampaign({
      impl: fusedReference,
      implModule: undefined,
      gpu,
      properties: ['fusion', 'pointwise'],
      firstSeed: SEED,
      batch: 10,
      maxCases: 20,
      outDir: dir,
      onBatch: (b) => seen.push(b.seed),
    });
    expect(result.failure?.replay.message).toBeUndefined();
    expect(result.stopped).toBe('done');
    expect(result.stats.cases).toBe(20);
    expect(seen).toEqual([SEED, SEED + 1]);
    expect(result.stats.batches.map((b) => b.property)).toEqual(['fusion', 'pointwise']);
    expect(result.stats.fusedKernels).toEqual({ 1: 20 });
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe('fuzz replay files and commands (no device)', () => {
  test('[fuzz.replay.2] a malformed replay file is rejected with the field that is wrong', () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ format: 'wgfuse-fuzz-replay/1', property: 'fusion', seed: 'seven', path: '0' }));
    expect(() => readReplayFile(file)).toThrow(/^\[fuzz\.replay\.2\] .*bad\.json: field 'seed' must be an integer, got "seven"/);
    writeFileSync(file, '{ not json');
    expect(() => readReplayFile(file)).toThrow(/bad\.json: not JSON/);
    expect(() => readReplayFile(join(tempDir(), 'missing.json'))).toThrow(/missing\.json: cannot read it: ENOENT/);
  });

  test('[fuzz.replay.3] seed and path regenerate the shrunk case, and the shifted path finds it in the vitest property (which runs SEED_CASE first)', async () => {
    const property = RANDOM_PROPERTIES.fusion;
    // A CPU-only stand-in for a broken implementation: every case with a long epilogue "fails".
    const failing = async (_build: unknown, value: unknown): Promise<void> => {
      if ((value as { epilogue: unknown[] }).epilogue.length >= 2) throw new Error('[test.rule] long epilogue');
    };
    const run = await property.run(failing, { seed: SEED, numRuns: 100 });
    expect(run.failed).toBe(true);
    const path = run.counterexamplePath ?? '';
    expect(property.caseAt(SEED, path).value).toEqual(run.counterexample);
    // The vitest test's property: same arbitrary, SEED_CASE as an example, so its paths start one later.
    const details = await fc.check(
      fc.asyncProperty(fusionCaseArbitrary(), (fcase) => failing(undefined, fcase)),
      { seed: SEED, examples: [[SEED_CASE]], path: vitestPath(property, path), endOnFailure: true },
    );
    expect(details.numRuns).toBe(1);
    expect(details.counterexample?.[0]).toEqual(run.counterexample);
  });

  test('[fuzz.replay.4] the test file a replay command names declares its tests from the same property table, and the titles match as -t patterns', () => {
    for (const p of Object.values(RANDOM_PROPERTIES)) {
      const source = readFileSync(new URL(`../${p.testFile}`, import.meta.url), 'utf8');
      expect(source, `${p.testFile} declares the random properties' tests`).toMatch(/for \(const property of Object\.values\(RANDOM_PROPERTIES\)\.filter\(\(p\) => p\.testFile === FILE\)\) \{\s*test\(property\.testTitle,/);
      // vitest matches -t against the full name, describe block included; '[' must not open a class.
      expect(new RegExp(escapeRegExp(p.testTitle)).test(`fusion on a device: some impl ${p.testTitle}`)).toBe(true);
      expect(new RegExp(escapeRegExp(p.testTitle)).test(p.testTitle.slice(1))).toBe(false);
    }
  });
});

import { printGraph, WgfuseError } from '../../spec/index.js';
import type { Graph, KernelCatalog } from '../../spec/index.js';
import type { Implementation } from '../../spec/implementation.js';
import type { BuiltCase } from '../generators/built-case.js';
import { eagerReference } from '../reference-door.js';
import { countComputeEntryPoints } from '../harness/counter.js';
import type { KernelCounts } from '../harness/counter.js';
import type { Gpu } from '../harness/device.js';
import { adapterName, CaseSetAside, loopCapOf, loopNeed, setAsideReason } from '../harness/loop-cap.js';
import type { LoopCap } from '../harness/loop-cap.js';
import { runProgram } from '../harness/run-program.js';
import type { ProgramRunResult, ProgramSuccess } from '../harness/run-program.js';
import { checkAgreement, checkWithinIntervals } from '../oracle/acceptance.js';
import { f16Outputs, offF16Grid } from '../oracle/f16-grid.js';
import { acceptanceIntervals } from '../oracle/interval.js';
import type { Intervals } from '../oracle/interval.js';
import { caseToJson } from '../ir-json/write.js';
import type { IrDocument } from '../ir-json/document.js';

// The last case checkCase failed, as an IR document: the failing case a report shows and replays. After
// fast-check shrinks, it is the shrunk case.
let lastFailing: IrDocument | undefined;

/** The last failing case since the previous call, and forgets it. */
export function takeFailingCase(): IrDocument | undefined {
  const doc = lastFailing;
  lastFailing = undefined;
  return doc;
}

function remember(c: CaseUnderTest): void {
  lastFailing = caseDocument(c);
}

/**
 * The case as an IR document, for reports and corpora; undefined when the interchange format cannot hold it
 * (a catalog whose keys and kernel names disagree), so a report goes on without it.
 */
export function caseDocument(c: CaseUnderTest): IrDocument | undefined {
  try {
    return caseToJson(c);
  } catch {
    return undefined;
  }
}

/** A built case as the spec counts it: one fused kernel, one eager dispatch per op and call. */
export function oneKernel(built: BuiltCase): CaseUnderTest {
  return { ...built, fusedKernels: 1, eagerKernels: built.opCount + built.callCount, ...(built.space.name === 'wide' ? { oracleMayRefuse: true } : {}) };
}

/** A case to judge: any graph with its data and the kernel counts the spec requires of it. */
export interface CaseUnderTest {
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
  readonly inputs: readonly Float32Array[];
  readonly description: string;
  readonly fusedKernels: number;
  /** Other kernel counts the spec also accepts for this case (an input returned by a buffer copy: 0). */
  readonly alsoAccepted?: readonly number[];
  readonly eagerKernels: number;
  /**
   * A case drawn from the wide value space ([gen.space.2]): where the oracle finds an acceptance interval
   * unbounded (WGSL's error bounds compound near a domain edge), the case is set aside with the reason
   * rather than judged. Absent: such a refusal is the generator's fault and fails loudly.
   */
  readonly oracleMayRefuse?: true;
}

export interface CaseReport {
  readonly fused: KernelCounts;
  readonly eager: KernelCounts;
  readonly findings: readonly Finding[];
  /** Failed checks of rules the caller set aside as expected (CheckOptions.expectedToFail): they did not throw. */
  readonly expectedFailures: readonly Finding[];
}

/** One check of one case, judged on its own ([suite.verdict.1]): its rule, whether it held, and what was seen. */
export interface Finding {
  readonly rule: string;
  /** What was checked, in a few words ("kernel count", "inputs unchanged", ...). */
  readonly check: string;
  readonly ok: boolean;
  /** A note for the report that never fails a case (what the implementation says of itself). */
  readonly note?: boolean;
  readonly detail: string;
}

/**
 * A broken rule. `rule` is the first failed check's; `findings` lists every check of the case, so a report
 * shows "2 kernels" and "NaN in 91 elements" as two findings. The message puts the rule, the case and
 * the findings first and the graph and WGSL last.
 */
export class ConformanceFailure extends Error {
  readonly rule: string;
  /** Everything but the context. */
  readonly summary: string;
  readonly findings: readonly Finding[];
  /** The graph and the WGSL: long, so reports print them after the replay line. */
  readonly context: string;
  /** A stage did not settle in time: no verdict on the numbers, reported with a status of its own. */
  readonly timedOut: boolean;
  /** What the harness counted, when the case ran: reports show kernel counts for failures too. */
  readonly counts: { readonly fused: KernelCounts; readonly eager: KernelCounts } | undefined;

  constructor(rule: string, detail: string, options: { findings?: readonly Finding[]; context?: string; timedOut?: boolean; counts?: { fused: KernelCounts; eager: KernelCounts } } = {}) {
    super(`[${rule}] ${detail}${options.context === undefined ? '' : `\n${options.context}`}`);
    this.name = 'ConformanceFailure';
    this.rule = rule;
    this.summary = `[${rule}] ${detail}`;
    this.findings = options.findings ?? [];
    this.context = options.context ?? '';
    this.timedOut = options.timedOut ?? false;
    this.counts = options.counts;
  }
}

function context(c: CaseUnderTest, wgsl: readonly string[]): string {
  return `--- graph ---\n${printGraph(c.graph)}\n--- WGSL (${wgsl.length} module(s)) ---\n${wgsl.join('\n') || '(none reported)'}`;
}

export interface CheckOptions {
  /** false on the validation-only tier: counts are checked, values are not. */
  readonly execute: boolean;
  /** How long compile, run and readback may each take (default: the harness's stage timeout). */
  readonly timeoutMs?: number;
  /** The second opinion; the reference's eager executor unless a selftest plants a broken one. */
  readonly eager?: Implementation;
  /**
   * Rules the implementation is expected to fail by ([suite.expect.3]): a case whose failed checks are all
   * of these returns them in `expectedFailures` instead of throwing, so a property goes on judging cases.
   */
  readonly expectedToFail?: ReadonlySet<string>;
  /** Data sets judged after the second one, each as a run of its own with every check ([fuzz.variants.1]). */
  readonly moreData?: readonly (readonly Float32Array[])[];
  /** Where the time of each stage goes, added up over cases (the throughput bench). */
  readonly stageMs?: StageMs;
  /** The adapter's loop cap, instead of the probed one ([harness.loopcap.2]): a selftest fakes one here. */
  readonly loopCap?: LoopCap;
}

/** Milliseconds spent per stage of checkCase: the implementation's program, the eager reference's, the judging. */
export interface StageMs {
  fused: number;
  eager: number;
  judge: number;
}

/** The second data set of a case: each input reversed, so values stay in the generators' ranges but move. */
export function secondDataSet(inputs: readonly Float32Array[]): Float32Array[] {
  return inputs.map((x) => x.slice().reverse());
}

async function execute(who: Implementation, c: CaseUnderTest, gpu: Gpu, options: CheckOptions, repeats: readonly (readonly Float32Array[])[]): Promise<ProgramSuccess> {
  const run = await runProgram(who, c.graph, c.kernels, [...c.inputs], gpu, { repeats, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  if (!run.ok) {
    remember(c);
    // Harness failures and stage failures keep their own rule: nothing is relabelled.
    const detail = run.message.replace(/^\[[^\]]*\] /, '');
    const status = run.timedOut ? 'TIMEOUT (no verdict on its results)' : 'failed';
    throw new ConformanceFailure(run.rule, `${status}: ${detail}\ncase: ${c.description}`, { context: context(c, run.wgsl), timedOut: run.timedOut });
  }
  return run;
}

/**
 * The acceptance intervals of `c` on `data`. For a case marked oracleMayRefuse, an unbounded interval
 * ([numerics.interval.domain]) sets the case aside ([gen.space.2]); for any other case it is thrown: the
 * generator promised a case the spec can judge.
 */
function oracleFor(c: CaseUnderTest, data: readonly Float32Array[]): Intervals {
  try {
    return acceptanceIntervals(c.graph, data);
  } catch (e) {
    if (c.oracleMayRefuse !== true || !(e instanceof WgfuseError) || e.rule !== 'numerics.interval.domain') throw e;
    const why = e.message.replace(/^\[[^\]]*\] /, '').replace(/ hint: .*$/, '');
    throw new CaseSetAside(
      `[gen.space.2] the spec cannot judge this wide-space case: ${why}. WGSL's error bounds compound near a domain edge until an acceptance interval is unbounded; the case is set aside, not judged`,
      c.description,
      'an unbounded acceptance interval',
      'gen.space.2',
    );
  }
}

/** The findings of one run of the implementation (counts, buffers, numbers), against the oracle and eager's run. */
function judgeRun(impl: Implementation, c: CaseUnderTest, run: ProgramRunResult, eager: ProgramRunResult, data: readonly Float32Array[] | undefined, oracle: Intervals | undefined, wgsl: readonly string[], label: string): Finding[] {
  const n = run.counts;
  const findings: Finding[] = [];
  const add = (rule: string, check: string, ok: boolean, detail: string): void => {
    findings.push({ rule, check: `${check}${label}`, ok, detail });
  };
  const accepted = [c.fusedKernels, ...(c.alsoAccepted ?? [])];
  const expected = accepted.length === 1 ? `${c.fusedKernels}` : accepted.join(' or ');
  add('fusion.count.1', 'kernel count', accepted.includes(n.dispatches) && n.distinctPipelines === n.dispatches, `expected ${expected} kernel(s), the harness counted ${n.dispatches} dispatch(es) of ${n.distinctPipelines} pipeline(s)`);
  // What an implementation reports of its WGSL is for reports only: a mismatch is noted, never a failure.
  const reported = wgsl.reduce((s, w) => s + countComputeEntryPoints(w), 0);
  findings.push({ rule: 'fusion.count.2', check: `reported WGSL${label}`, ok: true, note: true, detail: reported === n.computeEntryPoints ? `matches the ${reported} @compute entry point(s) dispatched` : `its reported WGSL has ${reported} @compute entry point(s), the modules it dispatched have ${n.computeEntryPoints} (a note: the report is not trusted for counts)` });
  add('fusion.count.3', 'eager kernel count', eager.counts.dispatches === c.eagerKernels, `eager reference: expected ${c.eagerKernels} dispatches (one per op and call), counted ${eager.counts.dispatches}`);
  // Nothing executed (validation tier): values are not judged.
  if (data === undefined || oracle === undefined) return findings;
  const past = run.canaryViolations[0];
  add('interface.buffers.2', 'outputs written within bounds', past === undefined, past === undefined ? 'no padding element changed' : `${impl.name} wrote past the end of output ${past.output}: padding element ${past.index} now holds bits 0x${past.bits.toString(16)} (${run.canaryViolations.length} padding element(s) changed)`);
  const wrote = run.inputViolations[0];
  add('interface.buffers.4', 'inputs unchanged', wrote === undefined, wrote === undefined ? 'every input element and its padding as written' : `${impl.name} wrote input ${wrote.input} at element ${wrote.index} (bits 0x${wrote.expected.toString(16)} became 0x${wrote.bits.toString(16)}; ${run.inputViolations.length} element(s) changed, padding included)`);
  const fusedVerdict = checkWithinIntervals(run.outputs, oracle, { name: 'eager reference', outputs: eager.outputs });
  add('numerics.oracle.1', 'numerics', fusedVerdict.ok, fusedVerdict.ok ? 'every element in its acceptance interval' : `${impl.name} disagrees with the CPU interpreter: ${fusedVerdict.message ?? ''}`);
  const f16 = f16Outputs(c.graph);
  if (f16.some(Boolean)) {
    const off = offF16Grid(c.graph, run.outputs, f16);
    add('numerics.f16.3', 'f16 values', off === undefined, off === undefined ? 'every output element the graph rounds to f16 is an f16 value' : `${impl.name}: output ${off[0]} element ${off[1]} is ${off[2]}, not an f16 value, though the graph rounds it to f16 (a cast or an f16 store skipped)`);
  }
  const eagerVerdict = checkWithinIntervals(eager.outputs, oracle, { name: impl.name, outputs: run.outputs });
  add('numerics.oracle.2', 'eager numerics', eagerVerdict.ok, eagerVerdict.ok ? 'the eager reference is in its intervals' : `eager reference disagrees with the CPU interpreter: ${eagerVerdict.message ?? ''}`);
  // Both lie in the same intervals, so they may differ by up to an interval's width, no more.
  const agree = checkAgreement(run.outputs, eager.outputs, oracle, [impl.name, 'eager reference']);
  add('numerics.fused-eager.1', 'agreement with eager', agree.ok, agree.ok ? 'within an interval width' : `${impl.name} vs eager reference: ${agree.message ?? ''}`);
  return findings;
}

/** Renders findings: each failure on a line of its own, then the checks that held, on one line. */
export function formatFindings(findings: readonly Finding[]): string {
  const failed = findings.filter((f) => !f.ok).map((f) => `  FAIL [${f.rule}] ${f.check}: ${f.detail}`);
  const notes = [...new Set(findings.filter((f) => f.note === true && !f.detail.startsWith('matches')).map((f) => `  note [${f.rule}] ${f.check.replace(/ \(run .*\)$/, '')}: ${f.detail}`))];
  const held = [...new Set(findings.filter((f) => f.ok && f.note !== true).map((f) => `[${f.rule}] ${f.check.replace(/ \(run .*\)$/, '')}`))];
  return [...failed, ...notes, ...(held.length === 0 ? [] : [`  held: ${held.join('; ')}`])].join('\n');
}

/**
 * The conformance properties for one case (spec/fusion.md, spec/numerics.md, spec/implementation.md),
 * each judged on its own: the kernel count (by the harness), the reported entry points, nothing written
 * past the outputs or into the inputs, outputs and the eager reference's in the oracle's acceptance
 * intervals, fused ≈ eager, and all of it again on a second run with other data of the same shape
 * ([interface.repeat.1]). Throws a ConformanceFailure listing every check when any fails.
 * `execute: false` (validation-only tier) keeps the counts and skips everything that needs kernels to run.
 * A case whose kernels may loop past the adapter's loop cap is not run: it throws CaseSetAside, with the
 * reason ([harness.loopcap.2]).
 */
export async function checkCase(impl: Implementation, c: CaseUnderTest, gpu: Gpu, options: CheckOptions): Promise<CaseReport> {
  if (options.execute) {
    // Never judged on a result the adapter truncated: a case past its loop cap is not run at all.
    const reason = setAsideReason(c.graph, options.loopCap ?? (await loopCapOf(gpu)), adapterName(gpu));
    if (reason !== undefined) throw new CaseSetAside(reason, c.description, loopNeed(c.graph)?.semantics ?? 'call');
  }
  const second = secondDataSet(c.inputs);
  const repeats = options.execute ? [second, ...(options.moreData ?? [])] : [];
  // The acceptance intervals first: a wide-space case the spec cannot judge is not run at all.
  const tOracle = performance.now();
  const oracles = options.execute ? [c.inputs, ...repeats].map((data) => oracleFor(c, data)) : [];
  const oracleMs = performance.now() - tOracle;
  const t0 = performance.now();
  const fused = await execute(impl, c, gpu, options, repeats);
  const t1 = performance.now();
  const eager = await execute(options.eager ?? eagerReference, c, gpu, options, repeats);
  const t2 = performance.now();
  const dataSets = [c.inputs, ...repeats];
  const findings: Finding[] = [];
  fused.runs.forEach((run, k) => {
    const label = dataSets.length > 1 ? ` (run ${k + 1}, ${k === 0 ? 'the case\'s data' : k === 1 ? 'other data of the same shape' : `data variant ${k - 2}`})` : '';
    const executed = options.execute && fused.executed && eager.executed;
    findings.push(...judgeRun(impl, c, run, eager.runs[k] ?? eager, executed ? (dataSets[k] ?? c.inputs) : undefined, oracles[k], fused.wgsl, label));
  });
  if (fused.runs.length > 1) {
    // A program right on its first run and wrong on a later one (stale buffers, state kept between runs).
    const firstOk = findings.filter((f) => f.check.includes('(run 1') && f.rule.startsWith('numerics.oracle.1')).every((f) => f.ok);
    // Judged on the second run only: data variants are other cases, whose failures are their own findings.
    const laterOk = findings.filter((f) => f.check.includes('(run 2,') && f.rule.startsWith('numerics.oracle.1')).every((f) => f.ok);
    findings.push({ rule: 'interface.repeat.1', check: 'repeatable', ok: !firstOk || laterOk, detail: firstOk && !laterOk ? `${impl.name} is right on its first run and wrong on a later one with other data` : 'every run judged on its own data' });
  }
  if (options.stageMs !== undefined) {
    options.stageMs.fused += t1 - t0;
    options.stageMs.eager += t2 - t1;
    options.stageMs.judge += performance.now() - t2 + oracleMs;
  }
  const failed = findings.filter((f) => !f.ok);
  const first = failed[0];
  const expectedFailures = failed.filter((f) => options.expectedToFail?.has(f.rule) === true);
  if (first !== undefined && expectedFailures.length === failed.length) {
    // The first case that failed as expected is the one a report shows, unless a case fails otherwise later.
    if (lastFailing === undefined) remember(c);
  } else if (first !== undefined) {
    remember(c);
    const what = failed.length === 1 ? '1 failed check' : `${failed.length} failed checks`;
    throw new ConformanceFailure(first.rule, `${impl.name}: ${what} on case: ${c.description}\n${formatFindings(findings)}`, {
      findings,
      context: context(c, fused.wgsl),
      counts: { fused: fused.counts, eager: eager.counts },
    });
  }
  return { fused: fused.counts, eager: eager.counts, findings, expectedFailures };
}

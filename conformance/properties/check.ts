import { printGraph } from '../../spec/index.js';
import type { Graph, KernelCatalog } from '../../spec/index.js';
import { eagerReference } from '../reference-door.js';
import type { Gpu } from '../harness/device.js';
import type { Implementation } from '../../spec/implementation.js';
import { countComputeEntryPoints } from '../harness/counter.js';
import type { KernelCounts } from '../harness/counter.js';
import { runProgram } from '../harness/run-program.js';
import type { ProgramSuccess } from '../harness/run-program.js';
import { checkAgreement, checkWithinIntervals } from '../oracle/acceptance.js';
import { acceptanceIntervals } from '../oracle/interval.js';

/** A case to judge: any graph with its data and the kernel counts the spec requires of it. */
export interface CaseUnderTest {
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
  readonly inputs: readonly Float32Array[];
  readonly description: string;
  readonly fusedKernels: number;
  readonly eagerKernels: number;
}

export interface CaseReport {
  readonly fused: KernelCounts;
  readonly eager: KernelCounts;
}

/** A broken rule: the message carries everything needed to see and replay the failure. */
export class ConformanceFailure extends Error {
  constructor(
    readonly rule: string,
    detail: string,
  ) {
    super(`[${rule}] ${detail}`);
    this.name = 'ConformanceFailure';
  }
}

const MAX_WGSL_CHARS = 6000;

function context(c: CaseUnderTest, wgsl: readonly string[]): string {
  const code = wgsl.join('\n');
  const shown = code.length > MAX_WGSL_CHARS ? `${code.slice(0, MAX_WGSL_CHARS)}\n… (${code.length - MAX_WGSL_CHARS} more characters)` : code;
  return `\ncase: ${c.description}\n--- graph ---\n${printGraph(c.graph)}\n--- WGSL (${wgsl.length} module(s)) ---\n${shown || '(none reported)'}`;
}

export interface CheckOptions {
  /** false on the validation-only tier: counts are checked, values are not. */
  readonly execute: boolean;
  /** How long compile, run and readback may each take. */
  readonly timeoutMs?: number;
}

async function execute(impl: Implementation, c: CaseUnderTest, gpu: Gpu, options: CheckOptions): Promise<ProgramSuccess> {
  const run = await runProgram(impl, c.graph, c.kernels, [...c.inputs], gpu, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  if (!run.ok) throw new ConformanceFailure('interface.run.1', `${impl.name} failed at ${run.stage}: ${run.message}${context(c, run.wgsl)}`);
  return run;
}

/**
 * The conformance properties for one case (spec/fusion.md, spec/numerics.md):
 * the implementation dispatches exactly the spec's kernel count, counted by the harness; it writes
 * nothing past its outputs; its outputs and the eager reference's lie in the oracle's acceptance
 * intervals; and fused and eager differ by at most an interval's width. `execute: false`
 * (validation-only tier) keeps the counts and skips everything that needs kernels to have run.
 */
export async function checkCase(impl: Implementation, c: CaseUnderTest, gpu: Gpu, options: CheckOptions): Promise<CaseReport> {
  const fused = await execute(impl, c, gpu, options);
  const eager = await execute(eagerReference, c, gpu, options);
  const n = fused.counts;
  if (n.dispatches !== c.fusedKernels || n.distinctPipelines !== c.fusedKernels) {
    throw new ConformanceFailure(
      'fusion.count.1',
      `${impl.name}: expected ${c.fusedKernels} kernel(s), the harness counted ${n.dispatches} dispatch(es) of ${n.distinctPipelines} pipeline(s)${context(c, fused.wgsl)}`,
    );
  }
  const reported = fused.wgsl.reduce((s, w) => s + countComputeEntryPoints(w), 0);
  if (reported !== n.computeEntryPoints) {
    throw new ConformanceFailure(
      'fusion.count.2',
      `${impl.name}: its reported WGSL has ${reported} @compute entry point(s), the modules it dispatched have ${n.computeEntryPoints}${context(c, fused.wgsl)}`,
    );
  }
  if (eager.counts.dispatches !== c.eagerKernels) {
    throw new ConformanceFailure('fusion.count.3', `eager reference: expected ${c.eagerKernels} dispatches (one per op and call), counted ${eager.counts.dispatches}${context(c, eager.wgsl)}`);
  }
  if (!options.execute) return { fused: n, eager: eager.counts };

  const past = fused.canaryViolations[0];
  if (past !== undefined) {
    throw new ConformanceFailure(
      'interface.buffers.2',
      `${impl.name} wrote past the end of output ${past.output}: padding element ${past.index} now holds bits 0x${past.bits.toString(16)} ` +
        `(${fused.canaryViolations.length} padding element(s) changed)${context(c, fused.wgsl)}`,
    );
  }
  const oracle = acceptanceIntervals(c.graph, c.inputs);
  const runs = [
    [impl.name, fused, { name: 'eager reference', outputs: eager.outputs }],
    ['eager reference', eager, { name: impl.name, outputs: fused.outputs }],
  ] as const;
  for (const [who, run, counterpart] of runs) {
    const verdict = checkWithinIntervals(run.outputs, oracle, counterpart);
    if (!verdict.ok) throw new ConformanceFailure('numerics.oracle.1', `${who} disagrees with the CPU interpreter: ${verdict.message ?? ''}${context(c, run.wgsl)}`);
  }
  // Both lie in the same intervals, so they may differ by up to an interval's width, no more.
  const agree = checkAgreement(fused.outputs, eager.outputs, oracle, [impl.name, 'eager reference']);
  if (!agree.ok) throw new ConformanceFailure('numerics.fused-eager.1', `${impl.name} vs eager reference: ${agree.message ?? ''}${context(c, fused.wgsl)}`);
  return { fused: n, eager: eager.counts };
}

/**
 * Drives one implementation through compile → run → readback on a harness-owned device and buffers
 * (spec/implementation.ts). Every way an implementation can fail (throwing, hanging, a WebGPU
 * validation error, losing the device) becomes an `ok: false` result naming the implementation and
 * the stage: runProgram itself never throws and never waits longer than its timeouts.
 */
import type { Graph, Implementation, KernelCatalog } from '../../spec/implementation.js';
import type { CompiledProgram } from '../../spec/implementation.js';
import { checkInputs } from '../../spec/interpreter.js';
import { numel, WgfuseError } from '../../spec/ir/index.js';
import type { Gpu } from './device.js';
import { instrumentDevice } from './counter.js';
import type { KernelCounts } from './counter.js';
import { createIO } from './io.js';
import type { CanaryViolation, IO } from './io.js';
import { describeError, TimeoutError, withTimeout } from './timeout.js';

export const DEFAULT_TIMEOUT_MS = 20_000;

/** setup is the harness's own side (inputs that do not fit the graph, buffers it cannot create). */
export type RunStage = 'setup' | 'compile' | 'run' | 'readback' | 'device-lost' | 'validation';

export interface ProgramSuccess {
  readonly ok: true;
  /** False on the validation tier (Dawn's null backend runs nothing): outputs and canaryViolations are then empty. */
  readonly executed: boolean;
  readonly outputs: Float32Array[];
  /** What run() submitted, counted by the harness ([harness.count.1]). */
  readonly counts: KernelCounts;
  /** What compile() created (pipelines and modules; dispatches only if compile submitted work). */
  readonly compileCounts: KernelCounts;
  readonly canaryViolations: CanaryViolation[];
  readonly wgsl: readonly string[];
  readonly compileMs: number;
  /** run() plus waiting for the queue to drain. */
  readonly runMs: number;
}

export interface ProgramFailure {
  readonly ok: false;
  readonly stage: RunStage;
  readonly message: string;
  /** The program's WGSL when compile got that far, for the failure report. */
  readonly wgsl: readonly string[];
}

export type ProgramRun = ProgramSuccess | ProgramFailure;

/** The element count of each graph output, in order: the sizes of the output buffers. */
export function outputSizesOf(graph: Graph): number[] {
  return graph.outputs.map((id) => numel(graph.nodes[id]?.shape ?? []));
}

/**
 * Lets errors the implementation caused late (from a timer, after its run() resolved) reach the device's
 * uncaptured-error handler now, so they are blamed on this program rather than the next one: one turn of
 * the event loop for pending timers, then a queue round trip, during which Dawn delivers pending events.
 */
async function settle(device: GPUDevice): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  await withTimeout(device.queue.onSubmittedWorkDone(), 1000, 'the queue, settling').catch(() => undefined);
}

/** Thrown inside runProgram only, to carry a stage and rule to the single catch. */
class StageError extends Error {
  constructor(
    readonly stage: RunStage,
    readonly rule: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** Rules for a stage: one for a rejection, one for not settling in time. */
interface StageRules {
  readonly threw: string;
  readonly hung: string;
}

async function staged<T>(stage: RunStage, rules: StageRules, what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof StageError) throw e;
    if (e instanceof TimeoutError) throw new StageError(stage, rules.hung, `${what} did not settle: ${e.message}`);
    throw new StageError(stage, rules.threw, `${what} threw: ${describeError(e)}`);
  }
}

/** Runs `f` inside a validation error scope; a validation error becomes a StageError even if `f` succeeded. */
async function scoped<T>(gpu: Gpu, rule: string, what: string, f: () => Promise<T>): Promise<T> {
  gpu.device.pushErrorScope('validation');
  let result: T;
  try {
    result = await f();
  } finally {
    // Pop even on failure so the scope stack stays balanced for the next program; a validation
    // error is the more specific report, so it replaces whatever `f` threw.
    const error = await gpu.device.popErrorScope().catch(() => null);
    if (error !== null) throw new StageError('validation', rule, `${what} raised a WebGPU validation error: ${error.message.trim()}`);
  }
  return result;
}

function checkDevice(gpu: Gpu, uncapturedBefore: number, during: string): void {
  if (gpu.lostInfo !== undefined) {
    throw new StageError('device-lost', 'interface.device.1', `the device was lost during ${during} (${gpu.lostInfo.reason}): ${gpu.lostInfo.message.trim()}`);
  }
  const fresh = gpu.uncapturedErrors.slice(uncapturedBefore);
  if (fresh.length > 0) throw new StageError('validation', 'interface.device.2', `uncaptured WebGPU error(s) during ${during}: ${fresh.join('; ')}`);
}

function checkedInputs(graph: Graph, inputs: readonly Float32Array[]): void {
  try {
    checkInputs(graph, inputs);
  } catch (e) {
    throw new StageError('setup', 'interface.inputs.1', e instanceof WgfuseError ? e.detail : describeError(e));
  }
}

/**
 * Compiles `graph` with `impl`, runs it once on `inputs` in harness-owned buffers, and reads the
 * outputs back, with each stage bounded by `timeoutMs`.
 */
export async function runProgram(
  impl: Implementation,
  graph: Graph,
  kernels: KernelCatalog,
  inputs: readonly Float32Array[],
  gpu: Gpu,
  options: { timeoutMs?: number } = {},
): Promise<ProgramRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const device = gpu.device;
  const uncapturedBefore = gpu.uncapturedErrors.length;
  let compiling: Promise<CompiledProgram> | undefined;
  let program: CompiledProgram | undefined;
  let io: IO | undefined;
  try {
    const counter = instrumentDevice(device);
    checkedInputs(graph, inputs);
    checkDevice(gpu, uncapturedBefore, 'setup');

    const compileStart = performance.now();
    const compiled = await scoped(gpu, 'interface.compile.2', 'compile()', () =>
      staged('compile', { threw: 'interface.compile.1', hung: 'interface.compile.3' }, 'compile()', () =>
        counter.measure(() => {
          // Promise.resolve().then: a compile that throws synchronously is reported like one that rejects.
          compiling = Promise.resolve().then(() => impl.compile(graph, kernels, device));
          return withTimeout(compiling, timeoutMs, `${impl.name} compile()`);
        }),
      ),
    );
    program = compiled.result;
    const compileMs = performance.now() - compileStart;
    checkDevice(gpu, uncapturedBefore, 'compile');

    const buffers = await scoped(gpu, 'harness.io.1', 'creating the harness buffers', () =>
      staged('setup', { threw: 'harness.io.1', hung: 'harness.io.1' }, 'creating the harness buffers', async () =>
        createIO(device, inputs, outputSizesOf(graph)),
      ),
    );
    io = buffers;
    const running = program;
    const runStart = performance.now();
    const ran = await scoped(gpu, 'interface.run.3', 'run()', () =>
      staged('run', { threw: 'interface.run.1', hung: 'interface.run.2' }, 'run()', () =>
        counter.measure(async () => {
          await withTimeout(Promise.resolve().then(() => running.run(buffers.io)), timeoutMs, `${impl.name} run()`);
          await withTimeout(device.queue.onSubmittedWorkDone(), timeoutMs, `the queue after ${impl.name} run()`);
        }),
      ),
    );
    const runMs = performance.now() - runStart;
    checkDevice(gpu, uncapturedBefore, 'run');

    // The null backend maps buffers but its contents are garbage: reading them back would invite false verdicts.
    const executed = gpu.tier !== 'validation';
    const back = executed
      ? await staged('readback', { threw: 'harness.io.2', hung: 'harness.io.2' }, 'readback', () => buffers.readBack(timeoutMs))
      : { outputs: [], canaryViolations: [] };
    await settle(device);
    checkDevice(gpu, uncapturedBefore, 'readback');
    return {
      ok: true,
      executed,
      outputs: back.outputs,
      counts: ran.counts,
      compileCounts: compiled.counts,
      canaryViolations: back.canaryViolations,
      wgsl: [...program.wgsl],
      compileMs,
      runMs,
    };
  } catch (e) {
    // A lost device explains every later symptom, so it wins over whatever stage noticed first.
    const lostInfo = gpu.lostInfo;
    const failure =
      lostInfo !== undefined && !(e instanceof StageError && e.stage === 'device-lost')
        ? new StageError('device-lost', 'interface.device.1', `the device was lost (${lostInfo.reason}): ${lostInfo.message.trim()}`)
        : e;
    if (!(failure instanceof StageError)) {
      return { ok: false, stage: 'run', message: `[interface.run.1] implementation '${impl.name}': ${describeError(failure)}`, wgsl: wgslOf(program) };
    }
    const message = `[${failure.rule}] implementation '${impl.name}', stage ${failure.stage}: ${failure.message}`;
    return { ok: false, stage: failure.stage, message, wgsl: wgslOf(program) };
  } finally {
    if (program !== undefined) disposeQuietly(program);
    // A compile that settles after its timeout still gets its program freed.
    else void compiling?.then(disposeQuietly, () => undefined);
    io?.destroy();
  }
}

function disposeQuietly(program: CompiledProgram): void {
  try {
    program.dispose();
  } catch {
    // A failing dispose must not hide the result of the run.
  }
}

function wgslOf(program: CompiledProgram | undefined): readonly string[] {
  try {
    return program === undefined ? [] : [...program.wgsl];
  } catch {
    return [];
  }
}

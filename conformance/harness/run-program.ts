/**
 * Drives one implementation through compile → run → readback on a harness-owned device and buffers
 * (spec/implementation.ts), and runs the compiled program once per data set, each in fresh buffers, so
 * every run is judged ([interface.repeat.1]). Every way an implementation can fail (throwing, hanging,
 * calling process.exit, a WebGPU validation error, losing the device, submitting after its run) becomes
 * an `ok: false` result naming the implementation, the stage and the rule: runProgram itself never throws
 * and never waits longer than its stage timeouts.
 */
import { checkInputs, numel, WgfuseError } from '../../spec/index.js';
import type { DType, Graph, KernelCatalog } from '../../spec/index.js';
import type { CompiledProgram, Implementation } from '../../spec/implementation.js';
import type { KernelCounts } from './counter.js';
import type { Gpu } from './device.js';
import { createIO } from './io.js';
import type { CanaryViolation, InputViolation, IO } from './io.js';
import { deviceFacade } from './program-device.js';
import { frozenCatalog, frozenGraph } from './frozen.js';
import { describeError, stageTimeoutMs, TimeoutError, withTimeout } from './timeout.js';
import { inNode } from './runtime.js';
import { watchStage } from './watchdog.js';

/** setup is the harness's own side (inputs that do not fit the graph, buffers it cannot create). */
export type RunStage = 'setup' | 'compile' | 'run' | 'readback' | 'device-lost' | 'validation';

/** One run of the compiled program on one data set. */
export interface ProgramRunResult {
  readonly outputs: Float32Array[];
  /** What run() submitted, counted by the harness ([harness.count.1]). */
  readonly counts: KernelCounts;
  readonly canaryViolations: CanaryViolation[];
  readonly inputViolations: InputViolation[];
  /** run() plus waiting for the queue to drain. */
  readonly runMs: number;
}

export interface ProgramSuccess extends ProgramRunResult {
  readonly ok: true;
  /** False on the validation tier (Dawn's null backend runs nothing): outputs and violations are then empty. */
  readonly executed: boolean;
  /** Every run, in data-set order; the fields inherited from ProgramRunResult are the first run's. */
  readonly runs: readonly ProgramRunResult[];
  /** What compile() created (pipelines and modules; dispatches only if compile submitted work). */
  readonly compileCounts: KernelCounts;
  readonly wgsl: readonly string[];
  readonly compileMs: number;
}

export interface ProgramFailure {
  readonly ok: false;
  readonly stage: RunStage;
  /** The rule the failure breaks; harness failures carry their own ([harness.*]). */
  readonly rule: string;
  /** True when a stage did not settle within its timeout: not a verdict on the numbers. */
  readonly timedOut: boolean;
  readonly message: string;
  /** The program's WGSL when compile got that far, for the failure report. */
  readonly wgsl: readonly string[];
}

export type ProgramRun = ProgramSuccess | ProgramFailure;

export interface RunOptions {
  /** How long compile, each run and each readback may take; default stageTimeoutMs(). */
  readonly timeoutMs?: number;
  /** Further data sets, each run after the first in buffers of its own ([interface.repeat.1]). */
  readonly repeats?: readonly (readonly Float32Array[])[];
}

/** The element count of each graph output, in order: the sizes of the output buffers. */
/** The buffer dtypes of a graph's inputs and outputs. */
export function dtypesOf(graph: Graph): { inputDtypes: DType[]; outputDtypes: DType[] } {
  const dtype = (id: number): DType => graph.nodes[id]?.dtype ?? 'f32';
  return { inputDtypes: graph.inputs.map(dtype), outputDtypes: graph.outputs.map(dtype) };
}

export function outputSizesOf(graph: Graph): number[] {
  return graph.outputs.map((id) => numel(graph.nodes[id]?.shape ?? []));
}

/** Thrown inside runProgram only, to carry a stage and rule to the single catch. */
class StageError extends Error {
  constructor(
    readonly stage: RunStage,
    readonly rule: string,
    detail: string,
    readonly timedOut = false,
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
    if (e instanceof TimeoutError) throw new StageError(stage, rules.hung, `${what} did not settle: ${e.message}`, true);
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

// While an implementation is being driven, process.exit throws instead of ending the run: an exit is
// the implementation's failure at the stage where it happened ([interface.run.1]), not the end of the suite.
// A browser page has no process to exit ([harness.browser.1]).
let guarded = 0;
const realExit = inNode ? process.exit.bind(process) : undefined;
function guardExit(): () => void {
  if (realExit === undefined) return () => {};
  if (guarded++ === 0) {
    process.exit = ((code?: number | string | null) => {
      throw new Error(`the implementation called process.exit(${code ?? ''})`);
    }) as typeof process.exit;
  }
  return () => {
    if (--guarded === 0) process.exit = realExit;
  };
}

/**
 * Lets errors and work the implementation caused late (from a timer, after its run() resolved) reach the
 * harness now, so they are blamed on this program rather than the next one: one turn of the event loop
 * for pending timers, then a queue round trip, during which Dawn delivers pending events.
 */
async function settle(device: GPUDevice): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  await withTimeout(device.queue.onSubmittedWorkDone(), 1000, 'the queue, settling').catch(() => undefined);
}

/**
 * Compiles `graph` with `impl` and runs it on `inputs`, then on each of `options.repeats`, each in
 * harness-owned buffers, reading the outputs and the inputs back. The implementation gets frozen copies
 * of the graph and catalog, and a device facade that counts its work alone.
 */
export async function runProgram(
  impl: Implementation,
  graph: Graph,
  kernels: KernelCatalog,
  inputs: readonly Float32Array[],
  gpu: Gpu,
  options: RunOptions = {},
): Promise<ProgramRun> {
  const timeoutMs = options.timeoutMs ?? stageTimeoutMs();
  const device = gpu.device;
  const uncapturedBefore = gpu.uncapturedErrors.length;
  const scope = deviceFacade(device).program();
  const unguard = guardExit();
  let compiling: Promise<CompiledProgram> | undefined;
  let program: CompiledProgram | undefined;
  const ios: IO[] = [];
  try {
    const dataSets = [inputs, ...(options.repeats ?? [])];
    for (const data of dataSets) checkedInputs(graph, data);
    checkDevice(gpu, uncapturedBefore, 'setup');

    const compileStart = performance.now();
    const [graphCopy, catalogCopy] = [frozenGraph(graph), frozenCatalog(kernels)];
    const facade = deviceFacade(device).device;
    const compiled = await scoped(gpu, 'interface.compile.2', 'compile()', () =>
      staged('compile', { threw: 'interface.compile.1', hung: 'interface.compile.3' }, 'compile()', () =>
        scope.within('compile', () => {
          watchStage(`implementation '${impl.name}', stage compile`);
          // Promise.resolve().then: a compile that throws synchronously is reported like one that rejects.
          compiling = Promise.resolve().then(() => impl.compile(graphCopy, catalogCopy, facade));
          return withTimeout(compiling, timeoutMs, `${impl.name} compile()`);
        }),
      ),
    );
    program = compiled.result;
    const compileMs = performance.now() - compileStart;
    checkDevice(gpu, uncapturedBefore, 'compile');

    const runs: ProgramRunResult[] = [];
    for (const [k, data] of dataSets.entries()) {
      const which = dataSets.length > 1 ? ` (run ${k + 1} of ${dataSets.length})` : '';
      const io = await scoped(gpu, 'harness.io.1', 'creating the harness buffers', () =>
        staged('setup', { threw: 'harness.io.1', hung: 'harness.io.1' }, 'creating the harness buffers', async () => createIO(device, data, outputSizesOf(graph), dtypesOf(graph))),
      );
      ios.push(io);
      const running = program;
      const runStart = performance.now();
      const ran = await scoped(gpu, 'interface.run.3', `run()${which}`, () =>
        staged('run', { threw: 'interface.run.1', hung: 'interface.run.2' }, `run()${which}`, async () => {
          watchStage(`implementation '${impl.name}', stage run${which}`);
          const r = await scope.within('run', () => withTimeout(Promise.resolve().then(() => running.run(io.io)), timeoutMs, `${impl.name} run()${which}`));
          await withTimeout(device.queue.onSubmittedWorkDone(), timeoutMs, `the queue after ${impl.name} run()${which}`);
          return r;
        }),
      );
      const runMs = performance.now() - runStart;
      checkDevice(gpu, uncapturedBefore, `run${which}`);
      // The null backend maps buffers but its contents are garbage: reading them back would invite false verdicts.
      const back =
        gpu.tier !== 'validation'
          ? await staged('readback', { threw: 'harness.io.2', hung: 'harness.io.2' }, `readback${which}`, () => io.readBack(timeoutMs))
          : { outputs: [], canaryViolations: [], inputViolations: [] };
      runs.push({ ...back, counts: ran.counts, runMs });
    }
    await settle(device);
    checkDevice(gpu, uncapturedBefore, 'readback');
    if (scope.late.length > 0) {
      throw new StageError('run', 'interface.run.4', `submitted work after its run() resolved, which the harness refused: ${scope.late.join('; ')}`);
    }
    const first = runs[0] as ProgramRunResult;
    return { ok: true, executed: gpu.tier !== 'validation', ...first, runs, compileCounts: compiled.counts, wgsl: wgslOf(program), compileMs };
  } catch (e) {
    // A lost device explains every later symptom, so it wins over whatever stage noticed first.
    const lostInfo = gpu.lostInfo;
    const failure =
      lostInfo !== undefined && !(e instanceof StageError && e.stage === 'device-lost')
        ? new StageError('device-lost', 'interface.device.1', `the device was lost (${lostInfo.reason}): ${lostInfo.message.trim()}`)
        : e instanceof StageError
          ? e
          : new StageError('setup', 'harness.internal', `the harness failed: ${describeError(e)}`);
    const message = `[${failure.rule}] implementation '${impl.name}', stage ${failure.stage}: ${failure.message}`;
    return { ok: false, stage: failure.stage, rule: failure.rule, timedOut: failure.timedOut, message, wgsl: wgslOf(program) };
  } finally {
    watchStage('');
    unguard();
    if (program !== undefined) disposeQuietly(program);
    // A compile that settles after its timeout still gets its program freed.
    else void compiling?.then(disposeQuietly, () => undefined);
    for (const io of ios) io.destroy();
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

/**
 * An adapter's loop iteration cap (spec/capabilities.md [harness.loopcap.*]). Mesa llvmpipe stops every
 * loop of a shader invocation once the invocation has made 65535 loop trips in all, without an error
 * (adapters/findings/llvmpipe-loop-cap.md): a case whose kernels need more would be judged on a result the
 * adapter truncated. The harness probes the cap once per device, estimates the trips a case's kernels may
 * need, and sets aside the cases past it: not judged, with the reason.
 */
import { matmulDims, rowsOf } from '../../spec/index.js';
import type { Graph, NodeId } from '../../spec/index.js';
import { adapterLabel, SWIFTSHADER_ICD } from './device.js';
import type { Gpu } from './device.js';
import { withTimeout } from './timeout.js';

/** The probe's loop bound: no cap seen below it means none that a case of the suite reaches. */
export const LOOP_PROBE_BOUND = 2 ** 20;

/**
 * What the probe found ([harness.loopcap.1]). `trips`: the loop trips one invocation makes before the adapter
 * stops its loops; `scope`: 'invocation' when one budget serves all of an invocation's loops (a second loop
 * after the first ran out gets at most one trip), 'loop' when each loop has its own.
 */
export type LoopCap =
  | { readonly kind: 'cap'; readonly trips: number; readonly scope: 'invocation' | 'loop'; readonly testedUpTo: number }
  | { readonly kind: 'none seen'; readonly testedUpTo: number }
  | { readonly kind: 'not probed'; readonly why: string };

// Two loops whose bound is read from a storage buffer, so no compiler can fold or unroll them: the first
// counts the trips the adapter allows one loop, the second whether the first used up a shared budget.
const PROBE_WGSL = `
@group(0) @binding(0) var<storage, read> bound: array<u32, 1>;
@group(0) @binding(1) var<storage, read_write> counted: array<u32, 2>;
@compute @workgroup_size(1) fn main() {
  let n = bound[0];
  var first = 0u;
  for (var i = 0u; i < n; i++) { first += 1u; }
  var second = 0u;
  for (var j = 0u; j < n; j++) { second += 1u; }
  counted[0] = first;
  counted[1] = second;
}`;

/** Reads what the probe kernel counted as a cap: pure, so the decision is testable without a device. */
export function loopCapFromCounts(first: number, second: number, bound = LOOP_PROBE_BOUND): LoopCap {
  if (first >= bound) return { kind: 'none seen', testedUpTo: bound };
  return { kind: 'cap', trips: first, scope: second < first ? 'invocation' : 'loop', testedUpTo: bound };
}

/** Runs the probe kernel once on `device` ([harness.loopcap.1]); errors stay in an error scope of their own. */
export async function probeLoopCap(device: GPUDevice, bound = LOOP_PROBE_BOUND): Promise<LoopCap> {
  device.pushErrorScope('validation');
  const input = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const output = device.createBuffer({ size: 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(input, 0, Uint32Array.of(bound));
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: PROBE_WGSL }), entryPoint: 'main' } });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: input } }, { binding: 1, resource: { buffer: output } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(output, 0, readback, 0, 8);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error !== null) return { kind: 'not probed', why: `the probe kernel was rejected: ${error.message.split('\n')[0] ?? ''}` };
    await withTimeout(readback.mapAsync(GPUMapMode.READ), 20_000, 'the loop-cap probe');
    const [first = 0, second = 0] = new Uint32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return loopCapFromCounts(first, second, bound);
  } catch (e) {
    return { kind: 'not probed', why: `the probe kernel did not run: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    input.destroy();
    output.destroy();
    readback.destroy();
  }
}

const probed = new WeakMap<GPUDevice, Promise<LoopCap>>();

/** The cap of `gpu`'s device, probed the first time it is asked for and kept for the device's life. */
export function loopCapOf(gpu: Pick<Gpu, 'device' | 'tier'>): Promise<LoopCap> {
  if (gpu.tier === 'validation') return Promise.resolve({ kind: 'not probed', why: 'the device executes nothing (validation tier)' });
  let cap = probed.get(gpu.device);
  if (cap === undefined) probed.set(gpu.device, (cap = probeLoopCap(gpu.device)));
  return cap;
}

/** One line for the capability report. */
export function formatLoopCap(cap: LoopCap): string {
  if (cap.kind === 'not probed') return `not probed: ${cap.why}`;
  if (cap.kind === 'none seen') return `none seen up to ${cap.testedUpTo} trips of one loop`;
  const scope = cap.scope === 'invocation' ? 'summed over all loops of an invocation (one budget: a loop after it ran out gets one trip)' : 'per loop';
  return `${cap.trips} trips, ${scope}; loops past it stop without an error, so cases needing more are set aside [harness.loopcap.2]`;
}

/**
 * The most loop trips one invocation of a kernel for a call may make, as the suite estimates it
 * ([harness.loopcap.2]): each loop counts its trips plus the trip that leaves it, and the plainest kernels
 * the spec's templates allow set the count, whatever the implementation under test does.
 */
export interface LoopNeed {
  readonly trips: number;
  readonly node: NodeId;
  readonly semantics: string;
  /** The extent that sets it, as "K = 65536". */
  readonly extent: string;
  /** How the count follows from the extent. */
  readonly how: string;
}

/** Loop trips per step of K of a tiled matmul with one-element tiles: the K loop and two staging loops of one trip and one exit each. */
export const MATMUL_TRIPS_PER_K = 5;
/** Passes over a row of a one-lane kernel: softmax max, sum of exponentials, normalisation; rmsnorm sum of squares, scaling. */
export const ROW_PASSES: Readonly<Record<string, number>> = { softmax: 3, rmsnorm: 2 };

/** The largest LoopNeed over the graph's calls (each call is a kernel of its own, [fusion.materialize.4]); undefined without loops. */
export function loopNeed(graph: Graph): LoopNeed | undefined {
  let worst: LoopNeed | undefined;
  for (const node of graph.nodes) {
    if (node.kind !== 'call') continue;
    const shapes = node.args.map((id) => graph.nodes[id]?.shape ?? []);
    let need: LoopNeed | undefined;
    if (node.semantics === 'matmul') {
      const { k } = matmulDims(shapes);
      need = {
        trips: MATMUL_TRIPS_PER_K * k + 1,
        node: node.id,
        semantics: 'matmul',
        extent: `K = ${k}`,
        how: `${MATMUL_TRIPS_PER_K}·K + 1 (a tiled kernel stepping K by one element, staging one element of A and of B per step in loops of their own)`,
      };
    } else {
      const passes = ROW_PASSES[node.semantics];
      if (passes !== undefined) {
        const cols = rowsOf(shapes[0] ?? []).cols;
        need = { trips: passes * (cols + 1), node: node.id, semantics: node.semantics, extent: `row length C = ${cols}`, how: `${passes}·(C + 1) (one lane per row, ${passes} passes over it)` };
      }
    }
    if (need !== undefined && (worst === undefined || need.trips > worst.trips)) worst = need;
  }
  return worst;
}

/** Why `graph` is not judged on an adapter with `cap`, or undefined when its kernels fit ([harness.loopcap.2]). */
export function setAsideReason(graph: Graph, cap: LoopCap, adapter: string): string | undefined {
  if (cap.kind !== 'cap') return undefined;
  const need = loopNeed(graph);
  if (need === undefined || need.trips <= cap.trips) return undefined;
  const budget = cap.scope === 'invocation' ? 'in one invocation over all its loops' : 'in one loop';
  return (
    `[harness.loopcap.2] not judged on ${adapter}: call %${need.node} (${need.semantics}) has ${need.extent}, so a kernel for it may make ` +
    `${need.trips} loop trips in one invocation, ${need.how}; this adapter stops loops after ${cap.trips} trips ${budget}, silently ` +
    `(probed, [harness.loopcap.1]), so a result would be judged truncated. Judge this case on an adapter without the cap, ` +
    `e.g. WGFUSE_BACKEND=vulkan (npm run conformance -- --backend vulkan) on a machine with a Vulkan driver; SwiftShader's, ` +
    `which Debian's chromium-common ships, has none (VK_ICD_FILENAMES=${SWIFTSHADER_ICD}, with Debian's libvulkan1)`
  );
}

/** "llvmpipe-... (opengl)": the adapter as reasons name it. */
export function adapterName(gpu: Pick<Gpu, 'summary' | 'backend'>): string {
  const s = gpu.summary;
  return `${adapterLabel(s)} (${gpu.backend})`;
}

/**
 * A case the harness did not judge because the adapter cannot run it faithfully ([harness.loopcap.2]).
 * Not a ConformanceFailure: a caller that does not know it fails on it, never counts it as passed.
 */
export class CaseSetAside extends Error {
  constructor(
    readonly reason: string,
    readonly description: string,
    /** What set it aside, for tallies ("matmul"). */
    readonly semantics: string,
    /** The rule that sets it aside: the loop cap's, or [gen.space.2]'s for a case the oracle cannot judge. */
    readonly rule = 'harness.loopcap.2',
  ) {
    super(`${reason}\ncase: ${description}`);
    this.name = 'CaseSetAside';
  }
}

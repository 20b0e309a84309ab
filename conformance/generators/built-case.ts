import { f16Above, f16Below, MIN_NORMAL_F16, roundTo } from '../../spec/f16.js';
import type { DType, Graph, Shape } from '../../spec/ir/index.js';
import { numel } from '../../spec/ir/index.js';
import type { KernelCatalog } from '../../spec/index.js';
import { trace } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { splitSides } from './apply-chain.js';
import type { Guard, SideInput, Value } from './apply-chain.js';
import { ORDINARY } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';

/** A graph input as a generated case declares it: its data is uniform in `range` (rounded to f32). */
export interface InputSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly range: Interval;
  /** Default f32; f16 data is rounded to f16 and kept in range ([gen.f16.1]). */
  readonly dtype?: DType;
}

/** A generated case, ready to run: the graph, its kernels, its data, and how to print it. */
export interface BuiltCase {
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
  /** Data for graph.inputs, in order: x, y, then side tensors s0, s1, … */
  readonly inputs: Float32Array[];
  readonly inputSpecs: readonly InputSpec[];
  /** Elementwise op nodes: an eager executor dispatches one kernel per op plus one per call. */
  readonly opCount: number;
  /** Kernel call nodes. */
  readonly callCount: number;
  /** One line, e.g. `relu(add(mul(x, 2), add(y, 1)))`; guards appear as the ops they are. */
  readonly description: string;
  /** Guards inserted to keep every op in its domain (see apply-chain.ts). */
  readonly guards: readonly Guard[];
  /** The value space the case was drawn from: the bounds its values and op arguments keep ([gen.space.1]). */
  readonly space: ValueSpace;
}

/** mulberry32: a 32-bit PRNG, tiny and the same on every platform, so a case's data replays from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN_NORMAL = 2 ** -126;

/**
 * True for a range that spans orders of magnitude (a one-signed range whose ends differ by more than
 * 1000 times, or a mixed one reaching past ±1e6): its data are drawn log-uniform in magnitude, so tiny,
 * ordinary and huge values all occur. Every range of the ordinary space is uniform.
 */
export function spansMagnitudes([lo, hi]: Interval): boolean {
  if (lo > 0) return hi / lo > 1000;
  if (hi < 0) return lo / hi > 1000;
  return Math.max(-lo, hi) > 1e6;
}

/** |x| log-uniform in [a, b] (0 < a ≤ b). */
function logUniform(a: number, b: number, random: () => number): number {
  return Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * random());
}

/** One value of [lo, hi]: uniform, or log-uniform in magnitude (with a random sign for a mixed range). */
function drawIn([lo, hi]: Interval, random: () => number): number {
  if (!spansMagnitudes([lo, hi])) return lo + (hi - lo) * random();
  if (lo > 0) return logUniform(lo, hi, random);
  if (hi < 0) return -logUniform(-hi, -lo, random);
  const negative = random() < 0.5;
  const top = negative ? -lo : hi;
  return (negative ? -1 : 1) * logUniform(MIN_NORMAL, top, random);
}

/**
 * Data in [lo, hi] (uniform, or log-uniform in magnitude for a range that spans orders of magnitude),
 * rounded to f32 and kept inside the range. One element in 8 is an edge value (lo, hi, or 0 when in
 * range) to hit kinks (relu at 0, ties in maximum). Subnormals are replaced: GPUs may flush them, which
 * would make the inputs differ between reference and device ([gen.inputs.1]).
 */
export function fillRange(total: number, range: Interval, random: () => number, dtype: DType = 'f32'): Float32Array {
  // f16 data: the range's f16 values, subnormals (below 2^-14) replaced like f32's.
  const [lo, hi] = dtype === 'f16' ? [f16Above(range[0]), f16Below(range[1])] : range;
  const round = (v: number): number => roundTo(dtype, v);
  const minNormal = dtype === 'f16' ? MIN_NORMAL_F16 : MIN_NORMAL;
  const edges = lo <= 0 && hi >= 0 ? [lo, hi, 0] : [lo, hi];
  const out = new Float32Array(total);
  for (let i = 0; i < total; i++) {
    const edge = random() < 0.125;
    const pick = edge ? (edges[Math.floor(random() * edges.length)] ?? lo) : drawIn([lo, hi], random);
    let v = round(pick);
    if (v < lo || v > hi) v = round(Math.min(Math.max(v, lo), hi));
    if (v !== 0 && Math.abs(v) < minNormal) v = lo <= 0 && hi >= 0 ? 0 : lo;
    out[i] = v;
  }
  return out;
}

/** Fills every input from one seed, in graph input order, so the same case always gets the same data. */
export function fillInputs(specs: readonly InputSpec[], seed: number): Float32Array[] {
  const random = mulberry32(seed);
  return specs.map((s) => fillRange(numel(s.shape), s.range, random, s.dtype));
}

/** Data for every input of `graph`, uniform in [-2, 2]: what a fixed graph (a named pattern) runs on. */
export function graphInputs(graph: Graph, seed: number): Float32Array[] {
  return fillInputs(graph.inputs.map((id) => ({ name: `%${id}`, shape: graph.nodes[id]?.shape ?? [], range: [-2, 2] as const })), seed);
}

export function countNodes(graph: Graph): { opCount: number; callCount: number } {
  return {
    opCount: graph.nodes.filter((n) => n.kind === 'op').length,
    callCount: graph.nodes.filter((n) => n.kind === 'call').length,
  };
}

/** What a case's body computes: its result, and the kernel's own output when that is returned too. */
export interface CaseOutputs {
  readonly result: Value;
  readonly alsoReturned?: Value | undefined;
}

/**
 * Traces a generated case and fills its data. The graph's inputs are `heads` (the tensors its chains
 * start from), then the side tensors planned for its chains, in order. `body` gets the heads' values and
 * each chain's side values, applies the chains (recording any guard it inserts) and says what is returned.
 */
export function traceCase(
  heads: readonly InputSpec[],
  sides: readonly (readonly SideInput[])[],
  kernels: KernelCatalog,
  dataSeed: number,
  body: (heads: readonly Value[], sides: readonly Value[][], guards: Guard[]) => CaseOutputs,
  space: ValueSpace = ORDINARY,
): BuiltCase {
  const specs: InputSpec[] = [...heads, ...sides.flat()];
  const guards: Guard[] = [];
  let description = '';
  const graph = trace(
    (...tensors: Tensor[]) => {
      const values = tensors.map((t, k): Value => ({ t, range: specs[k]?.range ?? [0, 0], text: specs[k]?.name ?? '?' }));
      const { result, alsoReturned } = body(values.slice(0, heads.length), splitSides(values.slice(heads.length), sides), guards);
      // A chain's value is always a tensor because it starts from one.
      description = alsoReturned === undefined ? result.text : `[${result.text}, ${alsoReturned.text}]`;
      return alsoReturned === undefined ? (result.t as Tensor) : [result.t as Tensor, alsoReturned.t as Tensor];
    },
    specs.map(({ name, shape, dtype }) => ({ name, shape, dtype: dtype ?? 'f32' })),
  );
  return { graph, kernels, inputs: fillInputs(specs, dataSeed), inputSpecs: specs, ...countNodes(graph), description, guards, space };
}

/**
 * Further data sets for a built case, in its inputs' ranges: variant k is the same for the same case, so a
 * failure on it replays ([fuzz.variants.1]). Compiling a graph once and judging it on several data sets is
 * how a campaign judges more cases per second without judging any case less.
 */
export function dataVariants(built: Pick<BuiltCase, 'inputSpecs'>, count: number): Float32Array[][] {
  return Array.from({ length: count }, (_, k) => fillInputs(built.inputSpecs, 0x5eed0000 + k));
}

import { numel, sameShape } from '../../spec/index.js';
import type { Graph, NodeId, OpName, Shape } from '../../spec/index.js';
import type { KernelPlan, Section } from '../fusion/schedule.js';
import type { CodegenLimits } from './limits.js';
import { WGSL_OPS } from './render.js';

/**
 * Elements a vec4 kernel leaves to its scalar tail come after the largest multiple of 64: 64 f32 are 256
 * bytes, the coarsest `minStorageBufferOffsetAlignment` WebGPU allows, so the tail's binding (a view of
 * the same buffer from there) is legal on every device and never overlaps the vec4 binding before it.
 */
export const TAIL_ALIGN_ELEMENTS = 64;

/** How a vec4 kernel splits its n elements ([codegen.vec4.1]): n = 4·quads + tail. */
export interface VectorLayout {
  /** vec4 elements of the main part: elements 0 … 4·quads − 1. */
  readonly quads: number;
  /** Elements after them, each stored by one invocation through the scalar hooks: 0 … 63. */
  readonly tail: number;
  /** Quads per invocation forced by GenerateOptions.quadsPerLane; absent, quadsPerLane chooses ([codegen.vec4.2]). */
  readonly perLane?: 1 | 2 | 4 | 8;
}

/** A binding of a vec4 kernel: a byte range of one of its buffers (index into reads, the store, the second stores). */
export interface BindingView {
  readonly of: number;
  readonly offset: number;
  readonly size: number;
}

/** The ops on vec4f operands: those that take a scalar bound in the scalar table splat it. */
export const WGSL_OPS4: Readonly<Record<OpName, (a: string, b: string) => string>> = {
  ...WGSL_OPS,
  relu: (a) => `max(${a}, vec4f())`,
  tanh: (a) => `tanh(clamp(${a}, vec4f(-10f), vec4f(10f)))`,
};

/**
 * Whether a kernel takes the vec4 path ([codegen.vec4.1]), and its split: static shapes, at least 64
 * elements, every value it loads, computes or stores f32 and of its section's shape (the output's in the
 * body, argument k's in the prologue of k: nothing broadcast, nothing transposed), a template that can take
 * vec4 hooks for the call, and the doubled bindings within the limit. A buffer smaller than the output (a
 * template argument of its own shape, rmsnorm's w) is read a quad at a time too, so it needs a multiple of
 * 4 elements and no scalar tail.
 */
export function vectorLayout(graph: Graph, plan: KernelPlan, dynamic: boolean, templateVectorizes: boolean, limits: CodegenLimits): VectorLayout | undefined {
  const shape: Shape = graph.nodes[plan.root]?.shape ?? [];
  const n = numel(shape);
  if (dynamic || n < TAIL_ALIGN_ELEMENTS || (plan.call !== undefined && !templateVectorizes)) return undefined;
  const call = plan.call === undefined ? undefined : graph.nodes[plan.call];
  const args = call?.kind === 'call' ? call.args : [];
  const shapeOf = (section: Section): Shape => (section.part === 'body' ? shape : (graph.nodes[args[section.arg] ?? -1]?.shape ?? []));
  const inlined = new Set(plan.inlined.map((p) => p.node));
  const fits = (id: NodeId, within: Shape): boolean => {
    const node = graph.nodes[id];
    return node !== undefined && node.dtype === 'f32' && sameShape(node.shape, within);
  };
  // Every value the kernel reads, with the shape of the section that reads it.
  const uses: [NodeId, Shape][] = [plan.root, ...plan.alsoStored].map((id) => [id, shape]);
  args.forEach((a, k) => uses.push([a, shapeOf({ part: 'prologue', arg: k })]));
  for (const { node: id, section } of plan.inlined) {
    const node = graph.nodes[id];
    const within = shapeOf(section);
    if (node?.kind !== 'op' || !fits(id, within)) return undefined;
    for (const a of node.args) uses.push([a, within]);
  }
  const reads = new Set<NodeId>();
  for (const [id, within] of uses) {
    if (graph.nodes[id]?.kind === 'const' || inlined.has(id)) continue;
    if (!fits(id, within)) return undefined;
    if (id !== plan.call && id !== plan.root && !plan.alsoStored.includes(id)) reads.add(id);
  }
  const tail = n % TAIL_ALIGN_ELEMENTS;
  const smaller = [...reads].map((id) => numel(graph.nodes[id]?.shape ?? [])).filter((e) => e !== n);
  if (smaller.some((e) => e % 4 !== 0 || tail > 0)) return undefined;
  const bindings = (reads.size + 1 + plan.alsoStored.length) * (tail > 0 ? 2 : 1);
  if (bindings > limits.maxStorageBuffersPerShaderStage) return undefined;
  return { quads: (n - tail) / 4, tail };
}

/**
 * The bindings of a vec4 kernel over buffers of `elements` each: each buffer's whole quads (the output's
 * first 4·quads elements, a smaller buffer whole), then, where there is a tail, each buffer's tail.
 */
export function vectorViews(elements: readonly number[], layout: VectorLayout): BindingView[] {
  const main = elements.map((e, of) => ({ of, offset: 0, size: 16 * Math.min(layout.quads, Math.floor(e / 4)) }));
  if (layout.tail === 0) return main;
  return [...main, ...elements.map((_, of) => ({ of, offset: 16 * layout.quads, size: 4 * layout.tail }))];
}

/**
 * Quads each invocation of a vec4 kernel takes ([codegen.vec4.2]): the forced GenerateOptions.quadsPerLane,
 * else one. Measured on an H100, 2, 4 and 8 quads a lane (a quarter of the workgroups at 4) were slower
 * than one at 2^24 and 2^26 elements.
 */
export function quadsPerLane(layout: VectorLayout): number {
  return layout.perLane ?? 1;
}

/**
 * The body of a vec4 kernel ([codegen.vec4.1], [codegen.vec4.2]): the invocation's U indices `i`, lanes
 * apart from `first` (so the lanes of one step read consecutive quads), each written out; an index below
 * `quads` runs `quad(i)` on elements 4i … 4i+3, one of the `tail` after them runs `scalar(t)` on the scalar
 * tail's element t, and past both the invocation returns (its later indices are larger still).
 */
export function quadSteps(first: string, u: number, lanes: number, quads: string, tail: string | undefined, quad: (i: string) => string, scalar: (t: string) => string): string[] {
  const steps: string[] = [];
  for (let k = 0; k < u; k++) {
    const i = k === 0 ? first : `${first} + ${k * lanes}u`;
    const lines =
      tail === undefined
        ? [`let i = ${i};`, `if (i >= ${quads}) { return; } // bounds guard: ragged tail`, `${quad('i')} // elements 4i … 4i+3`]
        : [
            `let i = ${i};`,
            `if (i < ${quads}) { ${quad('i')} } // elements 4i … 4i+3`,
            'else {',
            `  if (i - ${quads} >= ${tail}) { return; } // bounds guard: ragged tail`,
            `  ${scalar(`i - ${quads}`)} // scalar tail: element 4·quads + (i − quads)`,
            '}',
          ];
    steps.push(...(u === 1 ? lines : [`{ // quad step ${k + 1} of ${u}`, ...lines.map((l) => `  ${l}`), '}']));
  }
  return steps;
}

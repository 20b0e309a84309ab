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
  /** Values broadcast along the row, read one element a quad and splat, bound as f32 ([codegen.vec4.3]). */
  readonly splat?: readonly NodeId[];
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

/** A shape in quads: its last extent divided by 4 (see quadRead). */
export function quadShape(shape: Shape): Shape {
  return shape.length === 0 ? [] : [...shape.slice(0, -1), (shape[shape.length - 1] ?? 4) / 4];
}

/**
 * How quad i of a vec4 section of shape `within` (its last extent L a multiple of 4, so the quad's four
 * elements are consecutive in one row) reads a value of `shape` ([codegen.vec4.3]): 'quads' when the
 * value has the section's shape, or is broadcast along leading dimensions only with the same last extent
 * L (its quad at broadcastIndexExpr('i', quadShape(shape), quadShape(within))); 'splat' when it is
 * broadcast along the row (its last extent 1, or 0-d), so the four elements share the one value at
 * element 4i's index; undefined otherwise.
 */
export function quadRead(shape: Shape, within: Shape): 'quads' | 'splat' | undefined {
  if (sameShape(shape, within)) return 'quads';
  const last = within[within.length - 1] ?? 1;
  if (last % 4 !== 0 || shape.length > within.length) return undefined;
  const own = shape.length === 0 ? 1 : shape[shape.length - 1];
  return own === last ? 'quads' : own === 1 ? 'splat' : undefined;
}

/**
 * Whether a kernel takes the vec4 path ([codegen.vec4.1]), and its split: static shapes, at least 64
 * elements, every value it loads or computes f32 and readable by quad in its section (the output's shape
 * in the body, argument k's in the prologue of k; quadRead, [codegen.vec4.3]), the stored values of the
 * output's shape, a template that can take vec4 hooks for the call, and the doubled bindings within the
 * limit. A buffer of another shape than the output (a broadcast operand, rmsnorm's w) is bound whole: as
 * quads, or as f32 where it is splat, and as f32 for a scalar tail.
 */
export function vectorLayout(graph: Graph, plan: KernelPlan, dynamic: boolean, templateVectorizes: boolean, limits: CodegenLimits): VectorLayout | undefined {
  const shape: Shape = graph.nodes[plan.root]?.shape ?? [];
  const n = numel(shape);
  if (dynamic || n < TAIL_ALIGN_ELEMENTS || (plan.call !== undefined && !templateVectorizes)) return undefined;
  const call = plan.call === undefined ? undefined : graph.nodes[plan.call];
  const args = call?.kind === 'call' ? call.args : [];
  const shapeOf = (section: Section): Shape => (section.part === 'body' ? shape : (graph.nodes[args[section.arg] ?? -1]?.shape ?? []));
  const inlined = new Set(plan.inlined.map((p) => p.node));
  const readOf = (id: NodeId, within: Shape): 'quads' | 'splat' | undefined => {
    const node = graph.nodes[id];
    return node === undefined || node.dtype !== 'f32' ? undefined : quadRead(node.shape, within);
  };
  // Every value the kernel reads, with the shape of the section that reads it.
  const uses: [NodeId, Shape][] = [plan.root, ...plan.alsoStored].map((id) => [id, shape]);
  args.forEach((a, k) => uses.push([a, shapeOf({ part: 'prologue', arg: k })]));
  for (const { node: id, section } of plan.inlined) {
    const node = graph.nodes[id];
    const within = shapeOf(section);
    // An op is computed a quad at a time, on quads or splat values (then the same in every component).
    if (node?.kind !== 'op' || readOf(id, within) === undefined) return undefined;
    for (const a of node.args) uses.push([a, within]);
  }
  const reads = new Map<NodeId, 'quads' | 'splat'>();
  for (const [id, within] of uses) {
    if (graph.nodes[id]?.kind === 'const' || inlined.has(id)) continue;
    const read = readOf(id, within);
    const before = reads.get(id);
    if (read === undefined || (before !== undefined && before !== read)) return undefined;
    if (id !== plan.call && id !== plan.root && !plan.alsoStored.includes(id)) reads.set(id, read);
  }
  // What is stored has the output's shape.
  if (![plan.root, ...plan.alsoStored].every((id) => sameShape(graph.nodes[id]?.shape ?? [], shape))) return undefined;
  const tail = n % TAIL_ALIGN_ELEMENTS;
  // A template's scalar hooks count from element 4·quads of the output: only its own shape has a tail.
  if (tail > 0 && args.some((a) => !sameShape(graph.nodes[a]?.shape ?? [], shape))) return undefined;
  const bindings = (reads.size + 1 + plan.alsoStored.length) * (tail > 0 ? 2 : 1);
  if (bindings > limits.maxStorageBuffersPerShaderStage) return undefined;
  const splat = [...reads].filter(([, r]) => r === 'splat').map(([id]) => id);
  return { quads: (n - tail) / 4, tail, ...(splat.length > 0 ? { splat } : {}) };
}

/**
 * The bindings of a vec4 kernel, one buffer each of `wholes`: undefined for a buffer of the output's shape,
 * bound as its first 4·quads elements and (where there is a tail) its last `tail`; else the element count
 * of a buffer of another shape (a broadcast operand, rmsnorm's w), bound whole both times, since its
 * elements are found by their own index ([codegen.vec4.3]).
 */
export function vectorViews(wholes: readonly (number | undefined)[], layout: VectorLayout): BindingView[] {
  const main = wholes.map((e, of) => ({ of, offset: 0, size: e === undefined ? 16 * layout.quads : 4 * e }));
  if (layout.tail === 0) return main;
  return [...main, ...wholes.map((e, of) => (e === undefined ? { of, offset: 16 * layout.quads, size: 4 * layout.tail } : { of, offset: 0, size: 4 * e }))];
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

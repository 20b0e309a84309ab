import { argsOf, GraphBuilder, printGraph, sameShape } from '../../spec/index.js';
import { createReferenceImplementation } from '../reference-door.js';
import type { Graph, KernelSettings, Node, NodeId } from '../../spec/index.js';
import type { KernelSource } from '../reference-door.js';
import type { CompiledProgram, Implementation } from '../../spec/implementation.js';

import type { PlantedFault } from './fault.js';

// Planted faults in elementwise fusion, dynamic shapes, the named patterns and at the interface.

/** Replays a graph through a builder, letting `edit` emit something else for chosen nodes. */
function rebuild(graph: Graph, edit: (node: Node, b: GraphBuilder, map: (id: NodeId) => NodeId) => NodeId | undefined): Graph {
  const b = new GraphBuilder();
  const ids = new Map<NodeId, NodeId>();
  const map = (id: NodeId): NodeId => ids.get(id) ?? id;
  for (const node of graph.nodes) {
    let id = edit(node, b, map);
    if (id === undefined) {
      if (node.kind === 'input') id = b.input(node.name, node.shape, node.dtype);
      else if (node.kind === 'const') id = b.constant(node.value, node.dtype);
      else if (node.kind === 'op') id = b.op(node.op, node.args.map(map));
      else if (node.kind === 'transpose') id = b.transpose(map(node.args[0] as NodeId));
      else id = b.call({ ...node, args: node.args.map(map) });
    }
    ids.set(node.id, id);
  }
  return b.build(graph.outputs.map(map));
}

function dependsOnCall(graph: Graph, id: NodeId): boolean {
  const node = graph.nodes[id];
  return node !== undefined && (node.kind === 'call' || argsOf(node).some((a) => dependsOnCall(graph, a)));
}

/** Fault: the last epilogue op is lost, so the kernel stores the value before it. */
function dropLastEpilogueOp(graph: Graph): Graph {
  const outputs = graph.outputs.map((o) => {
    const node = graph.nodes[o];
    if (node?.kind !== 'op') return o;
    const inner = node.args.find((a) => dependsOnCall(graph, a) && sameShape(graph.nodes[a]?.shape ?? [], node.shape));
    return inner ?? o;
  });
  return { ...graph, outputs };
}

/** Fault: two consecutive prologue ops run in the opposite order: A(B(x)) becomes B(A(x)). */
function swapPrologueOps(graph: Graph): Graph {
  const uses = new Map<NodeId, number>();
  for (const n of graph.nodes) for (const a of argsOf(n)) uses.set(a, (uses.get(a) ?? 0) + 1);
  const single = (id: NodeId): boolean => uses.get(id) === 1 && !graph.outputs.includes(id);
  // Find A feeding a call directly, whose operand B is an op of the same shape used only by A.
  let pair: [NodeId, number, NodeId, number] | undefined;
  for (const call of graph.nodes) {
    if (call.kind !== 'call' || pair !== undefined) continue;
    for (const a of call.args) {
      const A = graph.nodes[a];
      if (A?.kind !== 'op' || !single(a)) continue;
      const k = A.args.findIndex((x) => graph.nodes[x]?.kind === 'op' && single(x) && sameShape(graph.nodes[x]?.shape ?? [], A.shape));
      const B = graph.nodes[A.args[k] ?? -1];
      if (B?.kind !== 'op') continue;
      const j = B.args.findIndex((x) => sameShape(graph.nodes[x]?.shape ?? [], B.shape) && graph.nodes[x]?.kind !== 'const');
      if (j >= 0) {
        pair = [a, k, B.id, j];
        break;
      }
    }
  }
  if (pair === undefined) return graph;
  const [aId, k, bId, j] = pair;
  const A = graph.nodes[aId] as Extract<Node, { kind: 'op' }>;
  const B = graph.nodes[bId] as Extract<Node, { kind: 'op' }>;
  return rebuild(graph, (node, b, map) => {
    if (node.id !== aId) return undefined;
    const x = map(B.args[j] as NodeId);
    const inner = b.op(A.op, A.args.map((arg, s) => (s === k ? x : map(arg))));
    return b.op(B.op, B.args.map((arg, s) => (s === j ? inner : map(arg))));
  });
}

/** A reference implementation that rewrites the graph it is given before compiling it. */
function onGraph(name: string, edit: (g: Graph) => Graph): Implementation {
  const inner = createReferenceImplementation({ name, fuse: true });
  return { name, compile: (graph, kernels, device) => inner.compile(edit(graph), kernels, device) };
}

function onSources(name: string, edit: (s: KernelSource) => KernelSource): Implementation {
  return createReferenceImplementation({ name, fuse: true, editSources: (sources) => sources.map(edit) });
}

const withWgsl = (s: KernelSource, wgsl: string): KernelSource => ({ ...s, wgsl });

/** A fold off by one ([codegen.grid.2]): the row one workgroup narrower, in the dispatch and in the WGSL's tile index. */
function shortGrid(s: KernelSource): KernelSource {
  const [gx, gy, gz] = s.grid;
  const wgsl = s.wgsl.replace(/let tile = wg\.x \+ wg\.y \* (\d+)u;/, (_, x: string) => `let tile = wg.x + wg.y * ${Number(x) - 1}u;`);
  return { ...s, wgsl, grid: [gx - 1, gy, gz] };
}

export const ELEMENTWISE_FAULTS: readonly PlantedFault[] = [
  {
    name: 'drop-epilogue-op',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'the last op of the epilogue is not applied (caught by fused ≈ oracle)',
    implementation: onGraph('mutant: drop-epilogue-op', dropLastEpilogueOp),
  },
  {
    name: 'swap-prologue-ops',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'two prologue ops are applied in the wrong order (caught by fused ≈ oracle)',
    implementation: onGraph('mutant: swap-prologue-ops', swapPrologueOps),
  },
  {
    name: 'no-bounds-guard',
    catcher: 'fusion',
    caughtBy: ['interface.buffers.2'],
    fault: 'the ragged-tile bounds guard is missing, so invocations past the end store (caught by the canary check)',
    implementation: onSources('mutant: no-bounds-guard', (s) => withWgsl(s, s.wgsl.replace(/^.*\/\/ bounds guard.*$/m, ''))),
  },
  {
    name: 'broadcast-as-full',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a broadcast side input is read at the output index instead of its broadcast index (caught by fused ≈ oracle)',
    implementation: onSources('mutant: broadcast-as-full', (s) => withWgsl(s, s.wgsl.replace(/(src_\w+)\[(?!i\])[^\]]*\]/g, '$1[i]'))),
  },
  {
    name: 'drop-second-store',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a kernel output that is also returned is not stored when its epilogue is fused (caught by fused ≈ oracle)',
    // The binding stays in use (read, not written), so only the missing value can give the fault away.
    implementation: onSources('mutant: drop-second-store', (s) => withWgsl(s, s.wgsl.replace(/(dst_t\d+)\[i\] = .*second store$/m, '_ = $1[i];'))),
  },
  {
    name: 'vec4-tail-dropped',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a vec4 kernel stores its whole quads but never its scalar tail: the last n mod 64 elements keep the canary (caught by fused ≈ oracle)',
    // The tail's store stays in the text, unreachable, so its bindings stay in use and the bind group valid.
    implementation: onSources('mutant: vec4-tail-dropped', (s) => withWgsl(s, s.wgsl.replace(/^(\s*)(.*?;)\s*(\/\/ scalar tail.*)$/gm, '$1if (false) { $2 } $3 (dropped)'))),
  },
  {
    name: 'quad-broadcast-by-element',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'an operand broadcast along leading dimensions is read in quads at an index computed over its element extents, not its quad extents: quads of other rows, or past its end (caught by fused ≈ oracle)',
    implementation: onSources('mutant: quad-broadcast-by-element', (s) => withWgsl(s, s.wgsl.replace(/^(.*?\[)(.*)(\]; \/\/ .*broadcast in quads)$/gm, (_, pre: string, index: string, post: string) => `${pre}${index.replace(/(\d+)u/g, (_m, v: string) => `${4 * Number(v)}u`)}${post}`))),
  },
  {
    name: 'splat-at-quad-index',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'an operand broadcast along the row is splat from the element at the quad\'s index i, not at its first element 4i (caught by fused ≈ oracle)',
    implementation: onSources('mutant: splat-at-quad-index', (s) => withWgsl(s, s.wgsl.replace(/\(i \* 4u\)(.*splat over the quad)$/gm, 'i$1'))),
  },
  {
    name: 'broadcast-tail-from-its-start',
    catcher: 'pointwise',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a vec4 kernel\'s scalar tail reads a broadcast operand, bound whole, at the tail\'s own index, without the 4·quads elements before it (caught by fused ≈ oracle)',
    implementation: onSources('mutant: broadcast-tail-from-its-start', (s) => withWgsl(s, s.wgsl.replace(/\(i \+ \d+u\)(.*tail element i is element i \+ 4·quads)$/gm, 'i$1'))),
  },
  {
    name: 'folded-grid-short',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'the folded grid is one workgroup short per row, gx = ⌈T/gy⌉ − 1, in the dispatch and the tile index alike, so tiles are skipped and the last never run (caught by fused ≈ oracle)',
    // Folded near-square, so the short row shows in the 2-D tile index as well as in the dispatch.
    implementation: createReferenceImplementation({ name: 'mutant: folded-grid-short', fuse: true, codegen: { squareGrid: true }, editSources: (sources) => sources.map(shortGrid) }),
  },
  {
    name: 'quad-step-skipped',
    catcher: 'fusion',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a vec4 kernel whose invocations take 4 quads runs only 3 of its steps: the second quad of every lane keeps the canary (caught by fused ≈ oracle)',
    // Forced to 4 quads a lane ([codegen.vec4.2]), so the steps run on the tensors the fusion property draws.
    implementation: createReferenceImplementation({
      name: 'mutant: quad-step-skipped',
      fuse: true,
      codegen: { quadsPerLane: 4 },
      editSources: (sources) => sources.map((s) => withWgsl(s, s.wgsl.replace('{ // quad step 2 of 4', 'if (false) { // quad step 2 of 4 (skipped)'))),
    }),
  },
  {
    name: 'not-fused',
    catcher: 'fusion',
    caughtBy: ['fusion.count.1'],
    fault: 'fusion silently does not happen: right numbers, one kernel per op (caught by the kernel count)',
    implementation: createReferenceImplementation({ name: 'mutant: not-fused', fuse: false }),
  },
];

/** The graph with every kernel call's settings overridden. */
function withSettings(graph: Graph, settings: Partial<KernelSettings>): Graph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.kind === 'call' ? { ...n, settings: { ...n.settings, ...settings } } : n)) };
}

/** A graph's structure without its shapes (ranks included): what a careless program cache would key on. */
const structureOf = (graph: Graph): string => printGraph(graph).replace(/f32\[[\d,]*\]/g, 'f32');

/**
 * A reference whose program cache is keyed by `keyOf` and holds the WGSL of the first graph with that
 * key: every later graph with the same key reuses it, sizes and all.
 */
function staleCache(name: string, keyOf: (graph: Graph) => string, prepare: (graph: Graph) => Graph): Implementation {
  const cache = new Map<string, KernelSource[]>();
  return {
    name: `mutant: ${name}`,
    compile: (graph, kernels, device) => {
      const key = keyOf(graph);
      const reuse = createReferenceImplementation({ name, fuse: true, editSources: (fresh) => cache.get(key) ?? (cache.set(key, fresh), fresh) });
      return reuse.compile(prepare(graph), kernels, device);
    },
  };
}

/** Faults of dynamic shapes, caught by the shape-change and rank-change properties. */
export const SHAPE_FAULTS: readonly PlantedFault[] = [
  {
    name: 'stale-baked-sizes',
    catcher: 'shape-change',
    caughtBy: ['numerics.oracle.1', 'interface.buffers.2', 'interface.run.3'],
    fault: 'sizes are baked into the WGSL, and the program is reused for a later shape (caught by fused ≈ oracle, the canary, or a validation error where its vec4 bindings no longer fit the buffers)',
    implementation: staleCache('stale-baked-sizes', structureOf, (g) => withSettings(g, { staticShapes: true })),
  },
  {
    name: 'stale-across-rank',
    catcher: 'rank-change',
    caughtBy: ['numerics.oracle.1', 'interface.buffers.2', 'interface.run.1'],
    fault: 'a program cache keyed without ranks reuses a kernel compiled for another rank (caught by fused ≈ oracle or the canary)',
    // The fault class "stale kernel reused after a guard changed": the key forgets the config too.
    implementation: staleCache('stale-across-rank', (g) => structureOf(g).replace(/call (\w+)\[[^\]]*\]/g, 'call $1'), (g) => g),
  },
  {
    name: 'ignores-dynamic-shapes',
    catcher: 'shape-change',
    caughtBy: ['shapes.dynamic.2'],
    fault: 'staticShapes: false is ignored: right numbers, but every new shape builds a new pipeline (caught by the recompile count)',
    implementation: onGraph('mutant: ignores-dynamic-shapes', (g) => withSettings(g, { staticShapes: true })),
  },
];

/** Faults caught by the named patterns (conformance/generators/patterns.ts) rather than by random cases. */
export const PATTERN_FAULTS: readonly PlantedFault[] = [
  {
    name: 'transpose-as-identity',
    catcher: 'patterns',
    caughtBy: ['numerics.oracle.1'],
    fault: 'a transposed operand is read at the reader\'s own index, `o + o` for `o + o^T` (caught by fused ≈ oracle)',
    implementation: onSources('mutant: transpose-as-identity', (s) => withWgsl(s, s.wgsl.replace(/^(\s*let v\d+ = src_\w+)\[.*\]; (\/\/ %\d+ transpose)$/gm, '$1[i]; $2'))),
  },
];

/** Implementations that misbehave at the interface rather than in their numbers. */
export const INTERFACE_FAULTS: readonly PlantedFault[] = [
  {
    name: 'throws',
    catcher: 'interface',
    caughtBy: ['interface.compile.1'],
    fault: 'compile throws',
    implementation: {
      name: 'mutant: throws',
      compile: () => Promise.reject(new Error('deliberate failure in compile')),
    },
  },
  {
    name: 'hangs',
    catcher: 'interface',
    caughtBy: ['interface.run.2'],
    fault: 'run never resolves',
    implementation: {
      name: 'mutant: hangs',
      compile: (): Promise<CompiledProgram> =>
        Promise.resolve({ wgsl: [], run: () => new Promise<void>(() => undefined), dispose: () => undefined }),
    },
  },
];

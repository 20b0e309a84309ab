import { createRegistry, elementwiseAdd, matmul, rmsnorm, softmax, trace } from '../reference-door.js';
import type { Graph, KernelCatalog, Shape } from '../../spec/index.js';
import type { Tensor } from '../reference-door.js';
import { graphInputs } from './built-case.js';

/**
 * Named fusion patterns with the kernel count spec/fusion.md requires of each. The compile-only tests
 * check the reference's schedule against them; the GPU tests count dispatches of any implementation.
 */
export interface FusionPattern {
  readonly rule: string;
  readonly name: string;
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
  /** Kernels a conforming fused implementation dispatches. */
  readonly fusedKernels: number;
  /** Other kernel counts the spec accepts too. */
  readonly alsoAccepted?: readonly number[];
  /** Ops and calls the graph computes: the eager executor's dispatch count. */
  readonly eagerKernels: number;
}

type Fn = (add: (a: Tensor, b: Tensor) => Tensor, ...inputs: Tensor[]) => Tensor | Tensor[];

function pattern(rule: string, name: string, inputs: Record<string, Shape>, fusedKernels: number, eagerKernels: number, fn: Fn, options: { fusion?: boolean; blockSizes?: number[] } = {}): FusionPattern {
  const registry = createRegistry();
  const add = registry.register('add', {
    template: elementwiseAdd,
    configs: { default: { blockSizes: options.blockSizes ?? [4, 4] } },
    settings: { fusion: options.fusion ?? true },
  });
  const graph = trace((...ts: Tensor[]) => fn(add, ...ts), inputs);
  return { rule, name, graph, kernels: registry.kernels, fusedKernels, eagerKernels };
}

/** Like `pattern`, with the tiled matmul kernel registered as `mm` (blocks [BM, BN, BK]) instead of add. */
function matmulPattern(rule: string, name: string, inputs: Record<string, Shape>, fusedKernels: number, eagerKernels: number, fn: Fn, blockSizes: number[] = [8, 8, 4]): FusionPattern {
  const registry = createRegistry();
  const mm = registry.register('mm', { template: matmul, configs: { default: { blockSizes } } });
  const graph = trace((...ts: Tensor[]) => fn(mm, ...ts), inputs);
  return { rule, name, graph, kernels: registry.kernels, fusedKernels, eagerKernels };
}

type ReductionFn = (k: Readonly<Record<'add' | 'softmax' | 'rmsnorm', (...args: Tensor[]) => Tensor>>, ...inputs: Tensor[]) => Tensor | Tensor[];

/** Like `pattern`, with the row-reduction kernels `softmax` and `rmsnorm` (blocks [B]) registered beside `add`. */
function reductionPattern(rule: string, name: string, inputs: Record<string, Shape>, fusedKernels: number, eagerKernels: number, fn: ReductionFn, lanes = 8): FusionPattern {
  const registry = createRegistry();
  const configs = { default: { blockSizes: [lanes] } };
  const k = {
    add: registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } }),
    softmax: registry.register('softmax', { template: softmax, configs }),
    rmsnorm: registry.register('rmsnorm', { template: rmsnorm, configs }),
  };
  const graph = trace((...ts: Tensor[]) => fn(k, ...ts), inputs);
  return { rule, name, graph, kernels: registry.kernels, fusedKernels, eagerKernels };
}

export const PATTERNS: readonly FusionPattern[] = [
  pattern('fusion.prologue.1', 'the seed: relu(add(x*2, y+1)), 4x4, blocks [4,4]', { x: [4, 4], y: [4, 4] }, 1, 4, (add, x, y) => add(x!.mul(2), y!.add(1)).relu()),
  pattern('codegen.bounds.1', 'the seed on a ragged 37x23 tensor, blocks [3,5]', { x: [37, 23], y: [37, 23] }, 1, 4, (add, x, y) => add(x!.mul(2), y!.add(1)).relu(), { blockSizes: [3, 5] }),
  pattern('codegen.grid.1', 'the seed over 70001 elements in 1x1 blocks: 70001 workgroups fold into a 2-D grid', { x: [70001], y: [70001] }, 1, 4, (add, x, y) => add(x!.mul(2), y!.add(1)).relu(), { blockSizes: [1, 1] }),
  pattern('fusion.prologue.2', 'prologue with a broadcast side input: add(x*s + z, y)', { x: [6, 10], s: [10], z: [6, 1], y: [6, 10] }, 1, 3, (add, x, s, z, y) => add(x!.mul(s!).add(z!), y!)),
  pattern('fusion.epilogue.1', 'epilogue with a bias row and an activation', { x: [5, 7], y: [5, 7], b: [7] }, 1, 3, (add, x, y, b) => add(x!, y!).add(b!).tanh()),
  pattern('fusion.epilogue.2', 'epilogue reading the output twice at the store index: relu(o) + o', { x: [9], y: [9] }, 1, 3, (add, x, y) => {
    const o = add(x!, y!);
    return o.relu().add(o);
  }),
  pattern('fusion.pointwise.1', 'a pure elementwise graph is one kernel', { x: [3, 5], y: [5] }, 1, 6, (_add, x, y) => x!.mul(2).add(y!.add(1)).relu().mul(y!.exp())),
  pattern('fusion.pointwise.1', 'a node read twice inside one kernel is computed once', { x: [17] }, 1, 2, (_add, x) => {
    const t = x!.mul(3);
    return t.mul(t);
  }),
  pattern('fusion.materialize.1', 'a value read by the prologue and the epilogue is materialized', { x: [8], y: [8] }, 2, 3, (add, x, y) => {
    const t = x!.mul(2);
    return add(t, y!).sub(t);
  }),
  pattern('fusion.epilogue.3', 'a kernel output that is also returned: one kernel with two stores', { x: [8], y: [8] }, 1, 2, (add, x, y) => {
    const o = add(x!, y!);
    return [o, o.relu()];
  }),
  pattern('fusion.materialize.3', 'an epilogue that broadcasts the kernel output to a larger shape is not spliced', { x: [6], y: [6], m: [4, 6] }, 2, 2, (add, x, y, m) => add(x!, y!).mul(m!)),
  pattern('fusion.materialize.4', 'one kernel feeding another: each call is its own kernel', { x: [10], y: [10], z: [10] }, 2, 3, (add, x, y, z) => add(add(x!, y!), z!.neg())),
  pattern('fusion.prologue.3', 'a transposed input is a remapped load inside the prologue: add(x^T * 2, y)', { x: [5, 7], y: [7, 5] }, 1, 3, (add, x, y) => add(x!.transpose().mul(2), y!)),
  pattern('fusion.materialize.5', 'an epilogue reading the output at a transposed index is not spliced: o + o^T', { x: [6, 6], y: [6, 6] }, 2, 3, (add, x, y) => {
    const o = add(x!, y!);
    return o.add(o.transpose());
  }),
  pattern('fusion.materialize.5', 'a transposed intermediate is stored first, then read transposed: add((x*2)^T, y)', { x: [4, 9], y: [9, 4] }, 2, 3, (add, x, y) => add(x!.mul(2).transpose(), y!)),
  pattern('fusion.settings.1', 'fusion off: the kernel runs alone, its chains run as kernels of their own', { x: [4, 4], y: [4, 4] }, 4, 4, (add, x, y) => add(x!.mul(2), y!.add(1)).relu(), { fusion: false }),
  pattern('fusion.schedule.1', 'two outputs, the second computed from the first after it is stored', { x: [12], y: [12] }, 2, 2, (add, x, y) => {
    const t = x!.exp();
    return [t, add(t, y!)];
  }),
  pattern('fusion.schedule.2', 'a node no output depends on is never computed', { x: [4] }, 1, 1, (_add, x) => {
    x!.exp();
    return x!.neg();
  }),
  pattern('fusion.schedule.2', 'a dead use does not force its operand to be materialized', { x: [6], y: [6] }, 1, 3, (add, x, y) => {
    const t = x!.mul(2);
    t.exp();
    return add(t, y!).relu();
  }),
  { ...pattern('fusion.schedule.3', 'an input returned unchanged is copied into its output, by one kernel or a buffer copy', { x: [3] }, 1, 1, (_add, x) => x!), alsoAccepted: [0] },
  matmulPattern('fusion.prologue.4', 'matmul → relu → matmul: the relu is the second call\'s prologue', { x: [6, 10], w1: [10, 12], w2: [12, 5] }, 2, 3, (mm, x, w1, w2) => mm(mm(x!, w1!).relu(), w2!)),
  matmulPattern('fusion.epilogue.1', 'matmul with a bias row, a residual and an activation in its epilogue', { x: [9, 14], w: [14, 11], bias: [11], res: [9, 11] }, 1, 4, (mm, x, w, bias, res) => mm(x!, w!).add(bias!).add(res!).relu()),
  matmulPattern('fusion.prologue.2', 'matmul with a dequantize-like prologue a*s + z (per-column scale and zero point)', { q: [7, 12], s: [12], z: [12], w: [12, 9] }, 1, 3, (mm, q, s, z, w) => mm(q!.mul(s!).add(z!), w!)),
  matmulPattern('codegen.bounds.1', 'a batched matmul on ragged 3x13x17 by 3x17x7, blocks [4,8,5]', { a: [3, 13, 17], b: [3, 17, 7] }, 1, 2, (mm, a, b) => mm(a!, b!).tanh(), [4, 8, 5]),
  reductionPattern('fusion.reduction.1', 'softmax with an epilogue: tanh(softmax(x)·10 − b) over ragged [3,37], blocks [8]', { x: [3, 37], b: [37] }, 1, 4, (k, x, b) => k.softmax(x!).mul(10).sub(b!).tanh()),
  reductionPattern('fusion.reduction.1', 'rmsnorm with a prologue and an epilogue: relu(rmsnorm(x·2 + z, exp(w))) + r over [5,129], blocks [32]', { x: [5, 129], z: [5, 1], w: [129], r: [5, 129] }, 1, 6, (k, x, z, w, r) => k.rmsnorm(x!.mul(2).add(z!), w!.exp()).relu().add(r!), 32),
  reductionPattern('fusion.reduction.2', 'a reduction in an epilogue does not fuse: relu(softmax(add(x·2, y))) is the add kernel, then softmax', { x: [4, 33], y: [4, 33] }, 2, 4, (k, x, y) => k.softmax(k.add(x!.mul(2), y!)).relu()),
  reductionPattern('templates.reduction.ragged', 'softmax and rmsnorm of rows of length 1, with 32 lanes', { x: [9, 1], w: [1] }, 2, 2, (k, x, w) => [k.softmax(x!), k.rmsnorm(x!, w!)], 32),
  reductionPattern('templates.reduction.ragged', 'rmsnorm of one 1000-long row with 7 lanes', { x: [1000], w: [1000] }, 1, 1, (k, x, w) => k.rmsnorm(x!, w!), 7),
  reductionPattern('templates.reduction.ragged', 'softmax of rows of a prime length longer than the block: [2,131] with 128 lanes', { x: [2, 131] }, 1, 1, (k, x) => k.softmax(x!), 128),
];

/** A pattern as a case to judge, with data from `seed`. */
export function patternCase(p: FusionPattern, seed: number): FusionPattern & { readonly inputs: Float32Array[]; readonly description: string } {
  return { ...p, inputs: graphInputs(p.graph, seed), description: p.name };
}

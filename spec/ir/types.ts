// The graph IR: plain immutable data. Nodes are stored in topological order and a node's id is its
// index, so every argument id is smaller than the id of the node that uses it (spec/ir.md [ir.graph.1]).

/** Element types ([ir.dtype.1]). f16 is a storage type: arithmetic is f32 (spec/numerics.md [numerics.f16.1]). */
export const DTYPES = ['f32', 'f16'] as const;
export type DType = (typeof DTYPES)[number];

export function isDType(value: unknown): value is DType {
  return DTYPES.some((d) => d === value);
}

/** Bytes per element in a buffer. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

/** Row-major extents; [] is a 0-d scalar. */
export type Shape = readonly number[];

export type NodeId = number;

export type UnaryOp = 'neg' | 'abs' | 'relu' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'cast_f16' | 'cast_f32';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export type OpName = UnaryOp | BinaryOp;

/** A kernel's config: block sizes and nothing else for now. A hint: an implementation may choose its own. */
export interface KernelConfig {
  readonly blockSizes: readonly number[];
}

/** Per-kernel settings fixed at registration (spec/tracing.md [registry.settings.1]). */
export interface KernelSettings {
  /** When false, the kernel's inputs and output are materialized and nothing is spliced into it. */
  readonly fusion: boolean;
  /** When true, sizes may be baked into the WGSL; when false they must not be (issue: dynamic shapes). */
  readonly staticShapes: boolean;
}

export interface InputNode {
  readonly kind: 'input';
  readonly id: NodeId;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface ConstNode {
  readonly kind: 'const';
  readonly id: NodeId;
  readonly value: number;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface OpNode {
  readonly kind: 'op';
  readonly id: NodeId;
  readonly op: OpName;
  readonly args: readonly NodeId[];
  readonly dtype: DType;
  readonly shape: Shape;
}

/** One call of a registered kernel: opaque to tracing, a template to the fusion lowering. */
export interface CallNode {
  readonly kind: 'call';
  readonly id: NodeId;
  /** The name the kernel was registered under. */
  readonly kernel: string;
  /** The stable id of what it computes (spec/kernels/, [ir.call.1]): all an implementation needs to know of it. */
  readonly semantics: string;
  readonly configKey: string;
  readonly config: KernelConfig;
  readonly settings: KernelSettings;
  readonly args: readonly NodeId[];
  readonly dtype: DType;
  readonly shape: Shape;
}

/**
 * Swaps the last two dimensions. It reads its operand at another index, so it is not elementwise: its
 * operand is always materialized ([fusion.materialize.5]), while the transpose itself is a remapped load.
 */
export interface TransposeNode {
  readonly kind: 'transpose';
  readonly id: NodeId;
  readonly args: readonly NodeId[];
  readonly dtype: DType;
  readonly shape: Shape;
}

export type Node = InputNode | ConstNode | OpNode | CallNode | TransposeNode;

export interface Graph {
  readonly nodes: readonly Node[];
  /** Input node ids in the order buffers are passed to a program. */
  readonly inputs: readonly NodeId[];
  /** Output node ids in the order results come back. */
  readonly outputs: readonly NodeId[];
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function argsOf(node: Node): readonly NodeId[] {
  return node.kind === 'op' || node.kind === 'call' || node.kind === 'transpose' ? node.args : [];
}


import type { Graph, NodeId } from '../../spec/index.js';

/** Where an inlined node is evaluated inside a kernel: the store hook, or the load hook of one argument. */
export type Section = { readonly part: 'body' } | { readonly part: 'prologue'; readonly arg: number };

/**
 * One kernel of a schedule. `root` is the node whose value the kernel stores (for a template kernel with no
 * epilogue, the call itself). `inlined` lists the elementwise nodes computed in registers, in topological
 * order, each with the section it belongs to. Everything else the kernel reads is a materialized node.
 */
export interface KernelPlan {
  readonly root: NodeId;
  /** The kernel call spliced into, or undefined for a pointwise kernel. */
  readonly call: NodeId | undefined;
  readonly inlined: readonly { readonly node: NodeId; readonly section: Section }[];
  /** Nodes stored besides the root: the call, when it is also a graph output ([fusion.epilogue.3]). */
  readonly alsoStored: readonly NodeId[];
}

/** An ordered list of kernels that together compute a graph (spec/fusion.md [fusion.schedule.1]). */
export interface Schedule {
  readonly graph: Graph;
  readonly kernels: readonly KernelPlan[];
}

export function sectionKey(s: Section): string {
  return s.part === 'body' ? 'body' : `prologue${s.arg}`;
}

import { argsOf, formatShape, sameShape, verifyGraph, WgfuseError } from '../../spec/index.js';
import type { CallNode, Graph, NodeId } from '../../spec/index.js';
import { TEMPLATES } from '../kernels/index.js';
import type { TemplateTable } from '../kernels/index.js';
import type { KernelPlan, Schedule, Section } from './schedule.js';

export interface LowerOptions {
  /** false: one kernel per op and per call, nothing spliced (the eager executor's schedule). */
  readonly fuse: boolean;
}

interface Draft {
  root: NodeId;
  call: NodeId | undefined;
  inlined: { node: NodeId; section: Section }[];
  alsoStored: NodeId[];
}

/**
 * Splits a graph into kernels (spec/fusion.md). Walking from the outputs back, an elementwise node joins
 * the kernel section that all of its uses lie in; a use by a kernel call lies in that call's prologue for
 * the argument. A node with uses in two sections, or that is an output, is materialized and becomes the
 * root of a kernel of its own. A call whose only uses lie in one pointwise kernel's body, with the same
 * shape as that kernel's output, becomes that kernel's template and the body its epilogue.
 */
export function lowerGraph(graph: Graph, templates: TemplateTable = TEMPLATES, options: LowerOptions = { fuse: true }): Schedule {
  // Calls are checked against the semantics of the templates that will emit them.
  verifyGraph(graph, templates);
  const uses = usesOf(graph);
  const live = liveNodes(graph);
  const outputs = new Set(graph.outputs);
  const drafts: Draft[] = [];
  // For every node computed inside some kernel: which draft, and which section of it.
  const placed = new Map<NodeId, { draft: Draft; section: Section | 'call' }>();

  const sectionOfUse = (user: NodeId, slot: number): Placement | undefined => {
    const p = placed.get(user);
    // A transpose reads its operand at other indices than its own, so the operand is materialized.
    if (p === undefined || !options.fuse || graph.nodes[user]?.kind === 'transpose') return undefined;
    if (p.section !== 'call') return { draft: p.draft, section: p.section };
    const call = graph.nodes[user] as CallNode;
    return call.settings.fusion ? { draft: p.draft, section: { part: 'prologue', arg: slot } } : undefined;
  };

  const newRoot = (id: NodeId, call: NodeId | undefined): void => {
    // A pointwise root is computed in its own store hook; a call root is the template's result.
    const kind = graph.nodes[id]?.kind;
    const computed = kind === 'op' || kind === 'transpose' ? [{ node: id, section: { part: 'body' } as const }] : [];
    const draft: Draft = { root: id, call, inlined: computed, alsoStored: [] };
    drafts.push(draft);
    placed.set(id, { draft, section: call === undefined ? { part: 'body' } : 'call' });
  };

  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.nodes[id];
    if (node === undefined || node.kind === 'const' || !live[id]) continue;
    if (node.kind === 'input') {
      // An input returned as an output is copied by a kernel of its own ([fusion.schedule.3]).
      if (outputs.has(id)) newRoot(id, undefined);
      continue;
    }
    // Uses by dead nodes do not count: nothing computes them ([fusion.schedule.2]).
    const liveUses = (uses[id] ?? []).filter((u) => live[u.user]);
    const common = commonSection(liveUses.map((u) => sectionOfUse(u.user, u.slot)));
    if (node.kind === 'op' || node.kind === 'transpose') {
      const target = outputs.has(id) ? undefined : common;
      if (target === undefined) newRoot(id, undefined);
      else {
        target.draft.inlined.push({ node: id, section: target.section });
        placed.set(id, target);
      }
      continue;
    }
    // A call: splice it under a pointwise kernel whose body holds all its uses, when legal ([fusion.epilogue.1]).
    // A call that is also returned is stored by that same kernel: two stores, one kernel ([fusion.epilogue.3]).
    const target = common;
    const host = target?.draft;
    const root = host === undefined ? undefined : graph.nodes[host.root];
    const canSplice =
      options.fuse &&
      node.settings.fusion &&
      target !== undefined &&
      target.section.part === 'body' &&
      host !== undefined &&
      host.call === undefined &&
      root !== undefined &&
      sameShape(root.shape, node.shape);
    if (canSplice) {
      host.call = id;
      if (outputs.has(id)) host.alsoStored.push(id);
      placed.set(id, { draft: host, section: 'call' });
    } else newRoot(id, id);
  }

  const kernelsOut: KernelPlan[] = drafts
    .map((d) => ({ root: d.root, call: d.call, inlined: [...d.inlined].sort((a, b) => a.node - b.node), alsoStored: d.alsoStored }))
    .sort((a, b) => a.root - b.root);
  return { graph, kernels: kernelsOut };
}

type Placement = { readonly draft: Draft; readonly section: Section };

/** The one section every use lies in, or undefined when there are none or several. */
function commonSection(uses: readonly (Placement | undefined)[]): Placement | undefined {
  const first = uses[0];
  if (first === undefined) return undefined;
  const same = (a: Section, b: Section): boolean => a.part === b.part && (a.part === 'body' || (b.part === 'prologue' && a.arg === b.arg));
  return uses.every((u) => u !== undefined && u.draft === first.draft && same(u.section, first.section)) ? first : undefined;
}

/** Each node's uses as (user, argument slot) pairs, one per slot. */
function usesOf(graph: Graph): { user: NodeId; slot: number }[][] {
  const uses: { user: NodeId; slot: number }[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) argsOf(node).forEach((a, slot) => uses[a]?.push({ user: node.id, slot }));
  return uses;
}

/** Nodes an output depends on; the rest are never computed ([fusion.schedule.2]). */
function liveNodes(graph: Graph): boolean[] {
  const live = graph.nodes.map(() => false);
  for (const o of graph.outputs) live[o] = true;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.nodes[id];
    if (node !== undefined && live[id]) for (const a of argsOf(node)) live[a] = true;
  }
  return live;
}

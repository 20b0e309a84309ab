import { broadcastOffsets, checkInputs } from '../../spec/interpreter.js';
import { numel, transposedIndex, WgfuseError } from '../../spec/ir/index.js';
import type { CallNode, Graph, OpName, OpNode, Shape } from '../../spec/ir/index.js';
import { MAX_F16, MIN_NORMAL_F16 } from '../../spec/f16.js';
import { MIN_NORMAL_F32 } from './f32.js';
import { intervalsOf, pointInterval, refusal, roundedToF16 } from './interval-ops.js';
import { chainAt, widenForReassociation } from './reassociation.js';
import { TEMPLATE_INTERVALS } from './template-intervals.js';
import type { TemplateInterval } from './template-intervals.js';

/**
 * The CPU oracle (spec/numerics.md [numerics.interval.1]): every node's value, element by element, as
 * an interval of f32 values in which a conforming WGSL implementation's result must lie, whatever
 * rounding each earlier op chose within its own bound. Inputs and constants are points; each op's
 * interval covers its operands' whole intervals (interval-ops.ts). Composed per op in f64, as the
 * WebGPU CTS composes acceptance intervals for compound expressions.
 */

/** Interval ends per element: lo[i] ≤ hi[i], both f32 values. One pair of arrays per tensor. */
export interface Intervals {
  readonly lo: readonly Float64Array[];
  readonly hi: readonly Float64Array[];
}

/**
 * What each kernel template computes, as the elementwise op whose interval judges it
 * ([numerics.interval.call]). A template not listed here has no interval semantics yet.
 */
export const TEMPLATE_SEMANTICS: Readonly<Record<string, OpName>> = { elementwise_add: 'add' };

function opOf(node: OpNode | CallNode): OpName {
  if (node.kind === 'op') return node.op;
  const template = node.semantics;
  const op = TEMPLATE_SEMANTICS[template];
  if (op === undefined || node.args.length !== 2) {
    throw new WgfuseError(
      'numerics.interval.call',
      `%${node.id} = call ${node.kernel}: template '${template}' has no interval semantics, so its results cannot be judged. ` +
        'hint: state what it computes as an op in TEMPLATE_SEMANTICS (conformance/oracle/interval.ts)',
    );
  }
  return op;
}

function describe(graph: Graph, node: OpNode | CallNode): string {
  const args = node.args.map((id) => `%${id}`).join(', ');
  const what = node.kind === 'call' ? `call ${node.kernel} (${opOf(node)})` : node.op;
  return `%${node.id} = ${what}(${args})${graph.outputs.includes(node.id) ? ' (an output)' : ''}`;
}

/** An f16 node's intervals, rounded outward to f16 ([numerics.f16.2]); a value that may overflow f16 is refused. */
function roundF16(node: OpNode | CallNode, lo: Float64Array, hi: Float64Array): void {
  if (node.dtype !== 'f16') return;
  const bad = roundedToF16(lo, hi);
  if (bad >= 0) {
    throw new WgfuseError('numerics.interval.domain', `%${node.id} (f16) element ${bad}: [${lo[bad]}, ${hi[bad]}] may overflow f16 (largest ${MAX_F16}); any result would be accepted`);
  }
}

/** The acceptance interval of every node, indexed by node id ([numerics.interval.1], [numerics.interval.reassoc]). */
export function nodeIntervals(graph: Graph, inputs: readonly Float32Array[]): Intervals {
  checkInputs(graph, inputs);
  const intervalOf = (n: Graph['nodes'][number]): TemplateInterval | undefined =>
    n.kind === 'call' ? TEMPLATE_INTERVALS[n.semantics] : undefined;
  const ops = graph.nodes.map((n) => (n.kind === 'op' || (n.kind === 'call' && intervalOf(n) === undefined) ? opOf(n) : undefined));
  const opAt = (id: number): OpName | undefined => ops[id];
  // Broadcast offsets per (operand shape, result shape), computed once per case: chains reuse them.
  const offsetCache = new Map<string, Int32Array>();
  const offsetsOf = (shape: Shape, target: Shape): Int32Array => {
    const key = `${shape.join(',')}>${target.join(',')}`;
    let offsets = offsetCache.get(key);
    if (offsets === undefined) offsetCache.set(key, (offsets = broadcastOffsets(shape, target)));
    return offsets;
  };
  const lo: Float64Array[] = [];
  const hi: Float64Array[] = [];
  let nextInput = 0;
  for (const node of graph.nodes) {
    const total = numel(node.shape);
    const nodeLo = new Float64Array(total);
    const nodeHi = new Float64Array(total);
    lo.push(nodeLo);
    hi.push(nodeHi);
    if (node.kind === 'input' || node.kind === 'const') {
      const data = node.kind === 'input' ? (inputs[nextInput++] as Float32Array) : Float32Array.of(node.value);
      nodeLo.set(data);
      nodeHi.set(data);
      // A subnormal input may be flushed to zero ([numerics.interval.flush]); generated inputs never are one.
      // An f16 subnormal likewise ([numerics.f16.2]).
      const normal = node.dtype === 'f16' ? MIN_NORMAL_F16 : MIN_NORMAL_F32;
      for (let i = 0; i < total; i++) {
        const v = data[i] as number;
        if (v !== 0 && Math.abs(v) < normal) [nodeLo[i], nodeHi[i]] = node.dtype === 'f16' ? [Math.min(0, v), Math.max(0, v)] : pointInterval(v);
      }
      continue;
    }
    if (node.kind === 'transpose') {
      // Exact: the operand's intervals, permuted ([ir.transpose.1]).
      const [aLo, aHi] = [lo[node.args[0] as number], hi[node.args[0] as number]] as Float64Array[];
      for (let i = 0; i < total; i++) {
        const j = transposedIndex(i, node.shape);
        nodeLo[i] = aLo?.[j] as number;
        nodeHi[i] = aHi?.[j] as number;
      }
      continue;
    }
    const templateInterval = intervalOf(node);
    if (node.kind === 'call' && templateInterval !== undefined) {
      const args = { lo: node.args.map((a) => lo[a] as Float64Array), hi: node.args.map((a) => hi[a] as Float64Array), argShapes: node.args.map((a) => graph.nodes[a]?.shape ?? []), outShape: node.shape, config: node.config };
      const bad = templateInterval(args, nodeLo, nodeHi);
      if (bad >= 0) throw new WgfuseError('numerics.interval.domain', `%${node.id} = call ${node.kernel} element ${bad}: its arguments' intervals leave the template's domain; any result would be accepted`);
      roundF16(node, nodeLo, nodeHi);
      continue;
    }
    const op = ops[node.id] as OpName;
    const [ia, ib = ia] = node.args as [number, number?];
    const offA = offsetsOf(graph.nodes[ia]?.shape ?? [], node.shape);
    const offB = offsetsOf(graph.nodes[ib]?.shape ?? [], node.shape);
    const [aLo, aHi, bLo, bHi] = [lo[ia], hi[ia], lo[ib], hi[ib]] as Float64Array[];
    const bad = intervalsOf(op, aLo as Float64Array, aHi as Float64Array, offA, bLo as Float64Array, bHi as Float64Array, offB, nodeLo, nodeHi);
    if (bad >= 0) {
      const [ja, jb] = [offA[bad] as number, offB[bad] as number];
      const operands = node.args.length === 1 ? `[${aLo?.[ja]}, ${aHi?.[ja]}]` : `[${aLo?.[ja]}, ${aHi?.[ja]}] and [${bLo?.[jb]}, ${bHi?.[jb]}]`;
      throw new WgfuseError(
        'numerics.interval.domain',
        `${describe(graph, node)} element ${bad}: operand interval(s) ${operands}: ${refusal()}; any result would be accepted. ` +
          'hint: generated cases keep every op inside its domain by construction ([gen.domain.1]), so the case or its generator is at fault',
      );
    }
    const chain = chainAt(graph, opAt, node.id);
    const past = chain === undefined ? -1 : widenForReassociation(graph, chain, node.id, lo, hi, offsetsOf);
    if (past >= 0) {
      throw new WgfuseError('numerics.interval.domain', `${describe(graph, node)} element ${past}: reassociating its chain may overflow f32; any result would be accepted`);
    }
    roundF16(node, nodeLo, nodeHi);
  }
  return { lo, hi };
}

/** The acceptance interval of every element of every output, in graph.outputs order ([numerics.oracle.1]). */
export function acceptanceIntervals(graph: Graph, inputs: readonly Float32Array[]): Intervals {
  const all = nodeIntervals(graph, inputs);
  return { lo: graph.outputs.map((id) => all.lo[id] as Float64Array), hi: graph.outputs.map((id) => all.hi[id] as Float64Array) };
}

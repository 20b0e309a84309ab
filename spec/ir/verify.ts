import { broadcastShapes, formatShape, sameShape, transposedShape } from './broadcast.js';
import { WgfuseError } from './errors.js';
import { roundTo } from '../f16.js';
import { isOpName, OPS, resultDtype } from './ops.js';
import { DTYPES, isDType } from './types.js';
import type { CallNode, Graph, Node, Shape } from './types.js';
import { SPEC_KERNELS } from '../kernels/index.js';
import type { KernelSemantics, SemanticsTable } from '../kernels/semantics.js';

/**
 * The legal forms of a graph (spec/ir.md). Throws a WgfuseError naming the first broken rule; the
 * lowering calls it on every graph it is given, so hand-built or generated graphs are held to the same
 * rules as traced ones.
 */
export function verifyGraph(graph: Graph, kernels: SemanticsTable = SPEC_KERNELS): void {
  const fail = (rule: string, node: Node | undefined, what: string): never => {
    throw new WgfuseError(rule, `${node === undefined ? 'graph' : `%${node.id}`}: ${what}`);
  };
  graph.nodes.forEach((node, index) => {
    if (node.id !== index) fail('ir.graph.1', node, `id ${node.id} stored at position ${index}`);
    if (!isDType(node.dtype)) fail('ir.dtype.1', node, `dtype ${String(node.dtype)} is not supported. hint: the dtypes are ${DTYPES.join(', ')}`);
    for (const d of node.shape) {
      if (!Number.isInteger(d) || d < 1) fail('ir.shape.1', node, `extent ${d} in ${formatShape(node.shape)} is not a positive integer`);
    }
    switch (node.kind) {
      case 'input':
        break;
      case 'const':
        if (node.shape.length !== 0) fail('ir.const.1', node, `a constant must be 0-d, got ${formatShape(node.shape)}`);
        if (!Number.isFinite(node.value)) fail('ir.const.1', node, `constant ${node.value} is not finite`);
        if (roundTo(node.dtype, node.value) !== node.value) fail('ir.const.1', node, `constant ${node.value} is not an ${node.dtype} value`);
        break;
      case 'op': {
        if (!isOpName(node.op)) fail('ir.op.unknown', node, `unknown op '${String(node.op)}'. hint: known ops are ${Object.keys(OPS).join(', ')}`);
        if (node.args.length !== OPS[node.op].arity) fail('ir.op.arity', node, `${node.op} takes ${OPS[node.op].arity} operand(s), got ${node.args.length}`);
        for (const a of node.args) if (!(a >= 0 && a < index)) fail('ir.graph.1', node, `operand %${a} is not an earlier node`);
        const dtypes = node.args.map((a) => graph.nodes[a]?.dtype);
        if (dtypes.some((d) => d !== dtypes[0])) fail('ir.dtype.2', node, `${node.op} reads operands of dtypes ${dtypes.join(' and ')}; cast one explicitly`);
        const want = resultDtype(node.op, dtypes[0] ?? 'f32');
        if (node.dtype !== want) fail('ir.dtype.2', node, `${node.op} of ${dtypes[0]} operands has dtype ${want}, not ${node.dtype}`);
        const shapes = node.args.map((a) => graph.nodes[a]?.shape ?? []);
        const expected = shapes.reduce((s, t) => broadcastShapes(s, t, `${node.op}(%${node.args.join(', %')})`));
        if (!sameShape(expected, node.shape)) fail('ir.broadcast.1', node, `shape ${formatShape(node.shape)} is not the broadcast ${formatShape(expected)} of its operands`);
        break;
      }
      case 'call':
        for (const a of node.args) if (!(a >= 0 && a < index)) fail('ir.graph.1', node, `operand %${a} is not an earlier node`);
        verifyCall(graph, node, kernels);
        break;
      case 'transpose': {
        const [a] = node.args;
        if (node.args.length !== 1 || a === undefined || !(a >= 0 && a < index)) fail('ir.graph.1', node, 'a transpose reads exactly one earlier node');
        const operand = graph.nodes[a ?? 0]?.shape ?? [];
        if (graph.nodes[a ?? 0]?.dtype !== node.dtype) fail('ir.dtype.2', node, `a transpose has its operand's dtype ${graph.nodes[a ?? 0]?.dtype}, not ${node.dtype}`);
        if (operand.length < 2 || !sameShape(transposedShape(operand), node.shape)) {
          fail('ir.transpose.1', node, `shape ${formatShape(node.shape)} is not the transpose of ${formatShape(operand)}`);
        }
        break;
      }
      default:
        fail('ir.node.kind', node, `unknown node kind '${(node as { kind: string }).kind}'`);
    }
  });
  for (const id of graph.inputs) {
    if (graph.nodes[id]?.kind !== 'input') fail('ir.graph.2', undefined, `inputs lists %${id}, which is not an input node`);
  }
  const listed = new Set(graph.inputs);
  for (const node of graph.nodes) {
    if (node.kind === 'input' && !listed.has(node.id)) fail('ir.graph.2', node, 'input node missing from graph.inputs');
  }
  if (graph.outputs.length === 0) fail('ir.graph.3', undefined, 'a graph needs at least one output');
  for (const id of graph.outputs) {
    const node = graph.nodes[id];
    if (node === undefined) fail('ir.graph.3', undefined, `output %${id} does not exist`);
    if (node?.kind === 'const') fail('ir.graph.3', node, 'an output must be a tensor computed from the inputs, not a constant');
  }
}

/** What the call contract needs of each argument. */
export interface CallArg {
  readonly kind: Node['kind'];
  readonly dtype: string;
  readonly shape: Shape;
}

/**
 * The kernel-call contract, checked in this one place for a traced call and a call node alike
 * ([registry.call.1]–[registry.call.shape]): the number of tensors, each a tensor (not a constant) of
 * one dtype the kernel takes and of a rank it takes, and shapes its contract accepts. Returns the output shape;
 * throws naming `subject` (the call) and `who` (the kernel).
 */
export function checkCall(k: KernelSemantics, args: readonly CallArg[], subject: string, who: string): Shape {
  if (args.length !== k.arity) throw new WgfuseError('registry.call.1', `${subject}: ${who} takes ${k.arity} tensor(s), got ${args.length}`);
  args.forEach((a, i) => {
    if (a.kind === 'const') throw new WgfuseError('registry.call.4', `${subject}: argument ${i} is a constant, not a tensor`);
    if (!k.dtypes.some((d) => d === a.dtype)) throw new WgfuseError('registry.call.2', `${subject}: argument ${i} has dtype ${a.dtype}; ${who} takes ${k.dtypes.join(' or ')}`);
    if (a.dtype !== args[0]?.dtype) throw new WgfuseError('registry.call.2', `${subject}: argument ${i} has dtype ${a.dtype}, argument 0 ${args[0]?.dtype}; ${who} takes tensors of one dtype. hint: cast explicitly`);
    const [lo, hi] = k.ranks;
    if (a.shape.length < lo || a.shape.length > hi) {
      throw new WgfuseError('registry.call.3', `${subject}: argument ${i} has rank ${a.shape.length} ${formatShape(a.shape)}; ${who} takes rank ${lo}..${hi}`);
    }
  });
  return k.outputShape(args.map((a) => a.shape), subject);
}

/** A call node against its kernel's semantics: known id, the call contract, its declared shape, its block count ([ir.call.1]). */
function verifyCall(graph: Graph, node: CallNode, kernels: SemanticsTable): void {
  const subject = `%${node.id} = call ${node.kernel}(${node.args.map((a) => `%${a}`).join(', ')})`;
  const k = kernels.get(node.semantics);
  if (k === undefined) throw new WgfuseError('ir.call.1', `${subject}: no kernel semantics '${node.semantics}'. hint: known: ${[...kernels.keys()].join(', ')}`);
  const args = node.args.map((a): CallArg => graph.nodes[a] ?? { kind: 'input', dtype: 'f32', shape: [] });
  const out = checkCall(k, args, subject, k.id);
  if (node.dtype !== args[0]?.dtype) throw new WgfuseError('registry.call.2', `${subject}: has dtype ${node.dtype}, but ${k.id} of ${args[0]?.dtype} arguments produces ${args[0]?.dtype}`);
  if (!sameShape(out, node.shape)) {
    throw new WgfuseError('registry.call.shape', `${subject}: declared shape ${formatShape(node.shape)}, but ${k.id} produces ${formatShape(out)}`);
  }
  if (node.config.blockSizes.length !== k.blockRank) {
    throw new WgfuseError('registry.config.1', `${subject}: config '${node.configKey}' gives ${node.config.blockSizes.length} block sizes; ${k.id} needs ${k.blockRank}`);
  }
}

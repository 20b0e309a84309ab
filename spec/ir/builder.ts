import { broadcastShapes, formatShape, transposedShape } from './broadcast.js';
import { WgfuseError } from './errors.js';
import { roundTo } from '../f16.js';
import { OPS, resultDtype } from './ops.js';
import type { CallNode, DType, Graph, Node, NodeId, OpName, Shape } from './types.js';
import { verifyGraph } from './verify.js';
import { SPEC_KERNELS } from '../kernels/index.js';
import type { KernelSemantics } from '../kernels/semantics.js';

type Draft<T extends Node> = T extends Node ? Omit<T, 'id'> : never;

/**
 * Appends nodes in topological order and checks each op's operands as it goes, so a bad call is
 * reported where the user made it rather than at lowering time.
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputIds: NodeId[] = [];
  // The semantics calls are checked against: the spec's kernels, plus any user-defined kernel called here.
  private readonly semantics = new Map<string, KernelSemantics>(SPEC_KERNELS);

  node(id: NodeId): Node {
    const node = this.nodes[id];
    if (node === undefined) throw new WgfuseError('ir.graph.1', `node %${id} does not exist`);
    return node;
  }

  input(name: string, shape: Shape, dtype: DType = 'f32'): NodeId {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 1) {
        throw new WgfuseError('ir.shape.1', `input ${name}: extent ${d} in [${shape.join(',')}] is not a positive integer`);
      }
    }
    const id = this.push({ kind: 'input', name, dtype, shape: [...shape] });
    this.inputIds.push(id);
    return id;
  }

  constant(value: number, dtype: DType = 'f32'): NodeId {
    if (!Number.isFinite(value)) throw new WgfuseError('ir.const.1', `constant ${value} is not finite`);
    const rounded = roundTo(dtype, value);
    if (!Number.isFinite(rounded)) throw new WgfuseError('ir.const.1', `constant ${value} overflows ${dtype}`);
    return this.push({ kind: 'const', value: rounded, dtype, shape: [] });
  }

  op(op: OpName, args: readonly NodeId[]): NodeId {
    const info = OPS[op];
    if (args.length !== info.arity) {
      throw new WgfuseError('ir.op.arity', `${op}: expected ${info.arity} operand(s), got ${args.length}`);
    }
    const nodes = args.map((a) => this.node(a));
    const subject = `${op}(${args.map((a) => `%${a}`).join(', ')})`;
    const shape = nodes.map((n) => n.shape).reduce((s, t) => broadcastShapes(s, t, subject));
    const dtype = nodes[0]?.dtype ?? 'f32';
    const other = nodes.find((n) => n.dtype !== dtype);
    if (other !== undefined) {
      throw new WgfuseError('ir.dtype.2', `${subject}: operands have dtypes ${dtype} and ${other.dtype}. hint: cast one explicitly (cast_f16, cast_f32)`);
    }
    return this.push({ kind: 'op', op, args: [...args], dtype: resultDtype(op, dtype), shape });
  }

  transpose(arg: NodeId): NodeId {
    const a = this.node(arg);
    if (a.shape.length < 2) {
      throw new WgfuseError('ir.transpose.1', `transpose(%${arg}): needs rank 2 or more, got ${formatShape(a.shape)}`);
    }
    return this.push({ kind: 'transpose', args: [arg], dtype: a.dtype, shape: transposedShape(a.shape) });
  }

  /** Records a call; `semantics` is the kernel's when it is not one the spec defines (a user template). */
  call(draft: Omit<CallNode, 'id' | 'kind'>, semantics?: KernelSemantics): NodeId {
    for (const a of draft.args) this.node(a);
    if (semantics !== undefined) this.semantics.set(semantics.id, semantics);
    return this.push({ kind: 'call', ...draft });
  }

  build(outputs: readonly NodeId[]): Graph {
    const graph: Graph = { nodes: [...this.nodes], inputs: [...this.inputIds], outputs: [...outputs] };
    verifyGraph(graph, this.semantics);
    return graph;
  }

  private push(draft: Draft<Node>): NodeId {
    const id = this.nodes.length;
    this.nodes.push(Object.freeze({ ...draft, id }) as Node);
    return id;
  }
}

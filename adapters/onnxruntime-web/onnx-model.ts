/**
 * A wgfuse graph as an ONNX model (ModelProto bytes), one ONNX node per IR node, for
 * adapters/onnxruntime-web/adapter.ts. ONNX Runtime Web has no graph builder: a model is all it takes.
 *
 * The protobuf comes from `onnx-proto`, which carries protobufjs classes generated from onnx.proto: the
 * wire format (field numbers, packed repeated fields, int64s) is then the schema's, not a hand-written
 * encoder's to get wrong.
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { RMSNORM_EPS } from '../../spec/kernels/rmsnorm.js';
import { argsOf } from '../../spec/ir/types.js';
import type { Graph, Node, Shape } from '../../spec/ir/types.js';

const { onnx } = onnxProto;

/** Opset 23, the first with RMSNormalization (Softmax is over one axis since 13); IR version 11 is the one that carries it. */
export const OPSET = 23;
const IR_VERSION = 11;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

const UNARY: Readonly<Record<string, string>> = {
  neg: 'Neg', abs: 'Abs', relu: 'Relu', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', tanh: 'Tanh', sigmoid: 'Sigmoid',
};
const BINARY: Readonly<Record<string, string>> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', maximum: 'Max', minimum: 'Min',
};

/** The ONNX model of `graph` and the names its inputs and outputs have in it. */
export interface OnnxModel {
  readonly bytes: Uint8Array;
  /** Graph input k is fed as `inputNames[k]`. */
  readonly inputNames: readonly string[];
  /** The ONNX output named for each graph output, or undefined where ORT computes nothing (an input returned as it is). */
  readonly outputNames: readonly (string | undefined)[];
}

const valueName = (id: number): string => `v${id}`;

function valueInfo(name: string, shape: Shape): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function scalar(name: string, value: number): Onnx.ITensorProto {
  return { name, dataType: FLOAT, dims: [], floatData: [value] };
}

const attrInt = (name: string, i: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const attrFloat = (name: string, f: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
const attrInts = (name: string, ints: number[]): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

/** The ONNX nodes computing `node` into valueName(node.id); constants become initializers. */
function lower(node: Node, args: readonly string[], out: string, initializers: Onnx.ITensorProto[]): Onnx.INodeProto[] {
  const one = (opType: string, input: readonly string[], attribute: Onnx.IAttributeProto[] = []): Onnx.INodeProto[] => [
    { opType, name: out, input: [...input], output: [out], attribute },
  ];
  switch (node.kind) {
    case 'input':
      return [];
    case 'const':
      initializers.push(scalar(out, node.value));
      return [];
    case 'op': {
      const opType = UNARY[node.op] ?? BINARY[node.op];
      if (opType === undefined) throw new Error(`no ONNX op for '${node.op}'`);
      return one(opType, args);
    }
    case 'transpose': {
      // [ir.transpose.1] the last two axes swap (the operand has rank 2 or more).
      const rank = node.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      return one('Transpose', args, [attrInts('perm', perm)]);
    }
    case 'call':
      switch (node.semantics) {
        case 'elementwise_add':
          return one('Add', args);
        case 'matmul':
          return one('MatMul', args);
        case 'softmax':
          return one('Softmax', args, [attrInt('axis', -1)]);
        case 'rmsnorm':
          // [templates.rmsnorm.1] is ONNX's own RMSNormalization over the last axis: x / sqrt(mean(x²) + eps) · w, in f32
          // (stash_type 1), with the spec's eps.
          return one('RMSNormalization', args, [attrInt('axis', -1), attrFloat('epsilon', RMSNORM_EPS), attrInt('stash_type', 1)]);
        default:
          throw new Error(`no ONNX mapping for kernel semantics '${node.semantics}'`);
      }
  }
}

/** Encodes `graph` as an ONNX model of opset OPSET. */
export function onnxModel(graph: Graph): OnnxModel {
  const initializers: Onnx.ITensorProto[] = [];
  const nodes: Onnx.INodeProto[] = [];
  for (const node of graph.nodes) {
    nodes.push(...lower(node, argsOf(node).map(valueName), valueName(node.id), initializers));
  }
  // [ir.graph.3] an output is an input returned as it is, or computed: never a constant.
  const computed = (id: number): boolean => graph.nodes[id]?.kind !== 'input';
  // An ONNX output is named once, however often the graph returns it.
  const outputIds = [...new Set(graph.outputs.filter(computed))];
  const model = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'wgfuse adapters/onnxruntime-web',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'wgfuse',
      input: graph.inputs.map((id) => valueInfo(valueName(id), (graph.nodes[id] as Node).shape)),
      output: outputIds.map((id) => valueInfo(valueName(id), (graph.nodes[id] as Node).shape)),
      initializer: initializers,
      node: nodes,
    },
  }).finish();
  return {
    bytes: model,
    inputNames: graph.inputs.map(valueName),
    outputNames: graph.outputs.map((id) => (computed(id) ? valueName(id) : undefined)),
  };
}

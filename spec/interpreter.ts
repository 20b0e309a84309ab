import { f16round, isF16 } from './f16.js';
import { broadcastStrides, formatShape, transposedIndex } from './ir/broadcast.js';
import { WgfuseError } from './ir/errors.js';
import { OPS } from './ir/ops.js';
import { numel } from './ir/types.js';
import type { Graph, Shape } from './ir/types.js';
import { SPEC_KERNELS } from './kernels/index.js';
import type { SemanticsTable } from './kernels/semantics.js';

/** For each element of `target`, the row-major offset it reads from `shape` broadcast into `target`. */
export function broadcastOffsets(shape: Shape, target: Shape): Int32Array {
  const strides = broadcastStrides(shape, target);
  const total = numel(target);
  const offsets = new Int32Array(total);
  const coord = new Array<number>(target.length).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    offsets[i] = offset;
    for (let d = target.length - 1; d >= 0; d--) {
      coord[d] = (coord[d] ?? 0) + 1;
      offset += strides[d] ?? 0;
      if ((coord[d] ?? 0) < (target[d] ?? 1)) break;
      offset -= (strides[d] ?? 0) * (target[d] ?? 1);
      coord[d] = 0;
    }
  }
  return offsets;
}

export function checkInputs(graph: Graph, inputs: readonly Float32Array[]): void {
  if (inputs.length !== graph.inputs.length) {
    throw new WgfuseError('interface.inputs.1', `the graph takes ${graph.inputs.length} input(s), got ${inputs.length}`);
  }
  graph.inputs.forEach((id, k) => {
    const node = graph.nodes[id];
    const given: unknown = inputs[k];
    if (!(given instanceof Float32Array)) {
      const what = typeof given === 'object' && given !== null ? given.constructor.name : typeof given;
      throw new WgfuseError('interface.inputs.1', `input ${k} (%${id}) is a ${what}; every input is a Float32Array (an f16 input's values are f16 values)`);
    }
    const want = numel(node?.shape ?? []);
    if (inputs[k]?.length !== want) {
      throw new WgfuseError('interface.inputs.1', `input ${k} (%${id} ${formatShape(node?.shape ?? [])}) needs ${want} elements, got ${inputs[k]?.length}`);
    }
    if (node?.dtype === 'f16') {
      const bad = (inputs[k] as Float32Array).findIndex((v) => !isF16(v));
      if (bad >= 0) throw new WgfuseError('interface.inputs.1', `input ${k} (%${id}) is f16, but element ${bad} (${inputs[k]?.[bad]}) is not an f16 value. hint: round with f16round`);
    }
  });
}

/**
 * The normative semantics (spec/ir.md [ir.eval.1]): every op is computed in f64 from its operands and
 * rounded to its dtype (f32, or f16 to nearest even) before any other op reads it; a kernel call computes its semantics' `evaluate`.
 * Returns the value of every node, so callers can inspect intermediates.
 */
export function interpretAll(graph: Graph, inputs: readonly Float32Array[], kernels: SemanticsTable = SPEC_KERNELS): Float32Array[] {
  checkInputs(graph, inputs);
  const values: Float32Array[] = [];
  let nextInput = 0;
  for (const node of graph.nodes) {
    const total = numel(node.shape);
    const out = new Float32Array(total);
    switch (node.kind) {
      case 'input':
        out.set(inputs[nextInput++] as Float32Array);
        break;
      case 'const':
        out[0] = node.value;
        break;
      case 'op': {
        const f = OPS[node.op].eval;
        const [a, b] = node.args.map((id) => values[id] as Float32Array);
        const offA = broadcastOffsets(graph.nodes[node.args[0] as number]?.shape ?? [], node.shape);
        const offB = b === undefined ? offA : broadcastOffsets(graph.nodes[node.args[1] as number]?.shape ?? [], node.shape);
        for (let i = 0; i < total; i++) {
          out[i] = f((a as Float32Array)[offA[i] as number] as number, b === undefined ? 0 : (b[offB[i] as number] as number));
        }
        break;
      }
      case 'transpose': {
        const a = values[node.args[0] as number] as Float32Array;
        for (let i = 0; i < total; i++) out[i] = a[transposedIndex(i, node.shape)] as number;
        break;
      }
      case 'call': {
        const def = kernels.get(node.semantics);
        if (def === undefined) throw new WgfuseError('ir.call.1', `%${node.id}: no kernel semantics '${node.semantics}'. hint: known: ${[...kernels.keys()].join(', ')}`);
        const args = node.args.map((id) => values[id] as Float32Array);
        const shapes = node.args.map((id) => graph.nodes[id]?.shape ?? []);
        for (let i = 0; i < total; i++) out[i] = def.evaluate(args, shapes, node.shape, i);
        break;
      }
    }
    // Every node is materialized in its dtype ([ir.eval.1]): an f16 node's value is rounded to f16.
    if (node.dtype === 'f16') for (let i = 0; i < total; i++) out[i] = f16round(out[i] as number);
    values.push(out);
  }
  return values;
}

/** The graph's outputs under the normative semantics. */
export function interpret(graph: Graph, inputs: readonly Float32Array[], kernels: SemanticsTable = SPEC_KERNELS): Float32Array[] {
  const values = interpretAll(graph, inputs, kernels);
  return graph.outputs.map((id) => values[id] as Float32Array);
}

import { broadcastOffsets } from '../../spec/interpreter.js';
import { numel, OPS, printGraph } from '../../spec/ir/index.js';
import type { OpName } from '../../spec/ir/index.js';
import { formatGuards } from './apply-chain.js';
import type { BuiltCase } from './built-case.js';

// What the generator tests check of a built case, shared by the tests of every case generator.

/** A case as a failing test prints it: its one-line form, its graph, and the guards it needed. */
export function showCase(b: BuiltCase): string {
  return `${b.description}\n${printGraph(b.graph)}\n${formatGuards(b.guards)}`;
}

/** The first op element whose operands break `holds` ([gen.domain.1]), as a message; undefined when none. */
export function firstBadOperand(b: BuiltCase, values: readonly Float32Array[], holds: (op: OpName, a: number, x: number) => boolean): string | undefined {
  for (const node of b.graph.nodes) {
    if (node.kind !== 'op') continue;
    const [ia = 0, ib] = node.args;
    const offA = broadcastOffsets(b.graph.nodes[ia]?.shape ?? [], node.shape);
    const offB = broadcastOffsets(b.graph.nodes[ib ?? ia]?.shape ?? [], node.shape);
    const total = numel(node.shape);
    for (let i = 0; i < total; i++) {
      const a = values[ia]?.[offA[i] ?? 0] ?? NaN;
      const x = ib === undefined ? 0 : (values[ib]?.[offB[i] ?? 0] ?? NaN);
      if (!holds(node.op, a, x)) return `%${node.id} = ${node.op} element ${i}: operands ${a}, ${x} (${OPS[node.op].domain})\n${showCase(b)}`;
    }
  }
  return undefined;
}

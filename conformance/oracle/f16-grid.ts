import { isF16 } from '../../spec/f16.js';
import type { Graph } from '../../spec/ir/index.js';

/**
 * Which nodes hold f16 values whatever conforming device runs the graph ([numerics.f16.3]): f16 inputs
 * and constants, every cast_f16, and a node computed
 * from such values by ops exact on them (cast_f32, neg, abs, relu, maximum, minimum, transpose). An
 * f16 op inside a fused chain is not among them: it may keep its f32 value ([numerics.f16.2]), even
 * where it is also stored (and so rounded in its output buffer).
 * Intervals cannot see a rounding that was skipped, since the unrounded value lies between the f16
 * neighbours they accept; this can.
 */
export function onF16Grid(graph: Graph): boolean[] {
  const grid: boolean[] = [];
  for (const node of graph.nodes) {
    const args = node.kind === 'op' || node.kind === 'transpose' ? node.args.map((a) => grid[a] === true) : [];
    const exact = node.kind === 'transpose' || (node.kind === 'op' && ['cast_f32', 'neg', 'abs', 'relu', 'maximum', 'minimum'].includes(node.op));
    const rounded = node.kind === 'op' && node.op === 'cast_f16';
    const given = (node.kind === 'input' || node.kind === 'const') && node.dtype === 'f16';
    grid.push(rounded || given || (exact && args.length > 0 && args.every(Boolean)));
  }
  return grid;
}

/** Which outputs must hold f16 values: those of dtype f16 (stored in f16), and those onF16Grid finds. */
export function f16Outputs(graph: Graph): boolean[] {
  const grid = onF16Grid(graph);
  return graph.outputs.map((id) => grid[id] === true || graph.nodes[id]?.dtype === 'f16');
}

/** The first output element that should be an f16 value and is not: [output, index, value], or undefined. */
export function offF16Grid(graph: Graph, outputs: readonly Float32Array[], f16: readonly boolean[] = f16Outputs(graph)): readonly [number, number, number] | undefined {
  for (let k = 0; k < graph.outputs.length; k++) {
    if (!f16[k]) continue;
    const values = outputs[k] ?? new Float32Array(0);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      // NaN (an unstored canary included) is judged by the other checks.
      if (!Number.isNaN(v) && !isF16(v)) return [k, i, v];
    }
  }
  return undefined;
}

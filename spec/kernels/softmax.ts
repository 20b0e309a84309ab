import type { Shape } from '../ir/types.js';
import { rowCache, rowShape } from './rows.js';
import type { KernelSemantics } from './semantics.js';

/** Softmax of one row of f32 values, in f64: the normative steps of [templates.softmax.1]. */
export function softmaxRow(x: ArrayLike<number>, start: number, cols: number): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, x[start + j] as number);
  const e = new Float64Array(cols);
  let s = 0;
  for (let j = 0; j < cols; j++) s += e[j] = Math.exp((x[start + j] as number) - m);
  return e.map((v) => v / s);
}

const row = rowCache((x, _w, start, cols) => softmaxRow(x, start, cols));

/**
 * Softmax over the last dimension of x ([templates.softmax.1]): for each row, m = max_j x_j,
 * e_j = exp(x_j − m), s = Σ_j e_j, y_c = e_c / s. Configs give [B], the lanes per row.
 */
export const SOFTMAX: KernelSemantics = {
  id: 'softmax',
  arity: 1,
  argNames: ['x'],
  dtypes: ['f32', 'f16'],
  ranks: [1, 6],
  blockRank: 1,
  outputShape(argShapes: readonly Shape[], subject: string): Shape {
    return rowShape(argShapes[0], 'softmax', subject);
  },
  evaluate(args, argShapes, _outShape, index) {
    return row(args, argShapes[0] ?? [], index);
  },
};

import { formatShape } from '../ir/broadcast.js';
import { WgfuseError } from '../ir/errors.js';
import type { Shape } from '../ir/types.js';

/** The row reductions (softmax, rmsnorm) view a tensor as rows × C, C its last extent ([templates.reduction.*]). */
export function rowsOf(shape: Shape): { readonly rows: number; readonly cols: number } {
  const cols = shape[shape.length - 1] ?? 1;
  return { rows: shape.slice(0, -1).reduce((a, b) => a * b, 1), cols };
}

/** A row-reduction argument must have rank 1..6 and at least one element per row. */
export function rowShape(x: Shape | undefined, kernel: string, subject: string): Shape {
  if (x === undefined || x.length < 1 || x.length > 6) {
    throw new WgfuseError('registry.call.shape', `${subject}: ${kernel} reduces the last dimension of x of rank 1..6, got ${formatShape(x ?? [])}`);
  }
  return x;
}

/**
 * Evaluates a whole row at a time and answers element by element: the interpreter asks for a row's
 * elements one after another, so each row is computed once.
 */
export function rowCache(compute: (x: Float32Array, w: Float32Array | undefined, start: number, cols: number) => Float64Array) {
  let cache: { readonly x: Float32Array; readonly w: Float32Array | undefined; readonly row: number; readonly y: Float64Array } | undefined;
  return (args: readonly Float32Array[], xShape: Shape, index: number): number => {
    const [x, w] = args as [Float32Array, Float32Array | undefined];
    const { cols } = rowsOf(xShape);
    const row = Math.floor(index / cols);
    if (cache?.x !== x || cache.w !== w || cache.row !== row) cache = { x, w, row, y: compute(x, w, row * cols, cols) };
    return cache.y[index - row * cols] as number;
  };
}

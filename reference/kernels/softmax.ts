import type { Shape } from '../ir/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { lanesOf, LOWEST_F32_WGSL, partials, rowLoop, rowShape, rowsOf, treeReduce } from './row-reduction.js';

// The interpreter asks for a row's elements one after another: each row is computed once.
let cache: { readonly x: Float32Array; readonly row: number; readonly y: Float64Array } | undefined;

/** Softmax of one row of f32 values, in f64: the normative steps of [templates.softmax.1]. */
export function softmaxRow(x: ArrayLike<number>, start: number, cols: number): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, x[start + j] as number);
  const e = new Float64Array(cols);
  let s = 0;
  for (let j = 0; j < cols; j++) s += e[j] = Math.exp((x[start + j] as number) - m);
  return e.map((v) => v / s);
}

/**
 * Softmax over the last dimension of x (spec/templates.md [templates.softmax.1]): for each row,
 * m = max_j x_j, e_j = exp(x_j − m), s = Σ_j e_j, y_c = e_c / s. blockSizes [B]: one workgroup of B
 * lanes per row; three passes over the row (max, sum, normalize), each loading x through `load_x`, so a
 * prologue is recomputed on every pass; the result is stored through `store_out`, so an epilogue sees
 * the normalized value.
 */
export const softmax: KernelTemplate = {
  name: 'softmax',
  arity: 1,
  argNames: ['x'],
  ranks: [1, 4],
  blockRank: 1,
  outputShape(argShapes: readonly Shape[], subject: string): Shape {
    return rowShape(argShapes[0], 'softmax', subject);
  },
  evaluate(args, argShapes, _outShape, index) {
    const x = args[0] as Float32Array;
    const { cols } = rowsOf(argShapes[0] ?? []);
    const row = Math.floor(index / cols);
    if (cache?.x !== x || cache.row !== row) cache = { x, row, y: softmaxRow(x, row * cols, cols) };
    return cache.y[index - row * cols] as number;
  },
  emit(ctx: TemplateContext): TemplateCode {
    const lanes = lanesOf(ctx, 'softmax');
    const { rows, cols } = rowsOf(ctx.outShape);
    const [loadX] = ctx.loadHooks;
    const x = (j: string): string => `${loadX}(base + ${j})`;
    const body = [
      `let n = ${ctx.size(cols)}; // row length`,
      'let base = tile * n; // this workgroup\'s row',
      'let lane = lid.x;',
      '// pass 1: the row\'s maximum',
      `var m = ${LOWEST_F32_WGSL};`,
      ...rowLoop(lanes, 'mask: lanes stop at the row\'s end', [`m = max(m, ${x('j')});`]),
      'sm_red[lane] = m;',
      ...treeReduce('sm_red', lanes, (a, b) => `max(${a}, ${b})`),
      'let row_max = sm_red[0];',
      'workgroupBarrier(); // every lane has read the maximum before the sums overwrite it',
      '// pass 2: the sum of exp(x - max)',
      'var s = 0f;',
      ...rowLoop(lanes, 'mask: lanes stop at the row\'s end', [`s += exp(${x('j')} - row_max);`]),
      'sm_red[lane] = s;',
      ...treeReduce('sm_red', lanes, (a, b) => `${a} + ${b}`),
      'let total = sm_red[0]; // the row\'s sum',
      '// pass 3: normalize, then store through the epilogue',
      ...rowLoop(lanes, 'store mask', [`${ctx.storeHook}(base + j, exp(${x('j')} - row_max) / total); // store: normalized`]),
    ];
    return { workgroupSize: [lanes, 1, 1], tiles: rows, body: body.join('\n'), ...partials('sm_red', lanes) };
  },
};

import { rowsOf, SOFTMAX } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { lanesOf, LOWEST_F32_WGSL, partials, rowLoop, treeReduce } from './row-reduction.js';

/**
 * Softmax (spec/kernels/softmax.ts) as a template: one workgroup of B lanes per row; three passes over
 * the row (max, sum, normalize), each loading x through `load_x`, so a prologue is recomputed on every
 * pass; the result is stored through `store_out`, so an epilogue sees the normalized value.
 */
export const softmax: KernelTemplate = {
  ...SOFTMAX,
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

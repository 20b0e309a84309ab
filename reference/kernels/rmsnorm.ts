import { RMSNORM, RMSNORM_EPS, rowsOf } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { lanesOf, partials, rowLoop, treeReduce } from './row-reduction.js';

/**
 * RMS normalization (spec/kernels/rmsnorm.ts) as a template: one workgroup of B lanes per row; two
 * passes over the row (sum of squares, scale and store), loads through `load_x` and `load_w` only, the
 * result stored through `store_out`.
 */
export const rmsnorm: KernelTemplate = {
  ...RMSNORM,
  emit(ctx: TemplateContext): TemplateCode {
    const lanes = lanesOf(ctx, 'rmsnorm');
    const { rows, cols } = rowsOf(ctx.outShape);
    const [loadX, loadW] = ctx.loadHooks;
    const body = [
      `let n = ${ctx.size(cols)}; // row length`,
      'let base = tile * n; // this workgroup\'s row',
      'let lane = lid.x;',
      '// pass 1: the sum of squares',
      'var s = 0f;',
      ...rowLoop(lanes, 'mask: lanes stop at the row\'s end', [`let v = ${loadX}(base + j);`, 's += v * v;']),
      'rms_red[lane] = s;',
      ...treeReduce('rms_red', lanes, (a, b) => `${a} + ${b}`),
      `let scale = inverseSqrt(rms_red[0] / f32(${ctx.size(cols)}) + ${RMSNORM_EPS}f); // the row's scale`,
      '// pass 2: scale, weigh, then store through the epilogue',
      ...rowLoop(lanes, 'store mask', [`${ctx.storeHook}(base + j, ${loadX}(base + j) * scale * ${loadW}(j)); // store: normalized`]),
    ];
    return { workgroupSize: [lanes, 1, 1], tiles: rows, body: body.join('\n'), ...partials('rms_red', lanes) };
  },
};

import { RMSNORM, RMSNORM_EPS } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { cacheLoads, cacheStores, foldLane, partials, reduceRow, ROW_TUNED, rowLayout, rowLoop, sumOf, vectorRows } from './row-reduction.js';

const add = (a: string, b: string): string => `(${a} + ${b})`;

/**
 * RMS normalization (spec/kernels/rmsnorm.ts) as a template: B lanes per row, R rows per workgroup
 * ([templates.reduction.rows]). Under static shapes with C ≤ B·P each lane loads its elements of x once,
 * through `load_x`, into registers, sums their squares, and scales them from there
 * ([templates.reduction.cache]); otherwise two passes over the row (sum of squares, scale and store). Loads
 * go through `load_x` and `load_w` only, the result through `store_out`. Rows of a multiple of 4 cached in
 * registers take the vec4 path: the same kernel over quads of x and of w, through `load_x4`, `load_w4`
 * and `store_out4` ([templates.reduction.vec4]).
 */
export const rmsnorm: KernelTemplate = {
  ...RMSNORM,
  tuned: ROW_TUNED,
  vectorizes: vectorRows,
  emit(ctx: TemplateContext): TemplateCode {
    const row = rowLayout(ctx, 'rmsnorm');
    const [loadX, loadW] = ctx.vector?.loadHooks ?? ctx.loadHooks;
    const body = [...row.header];
    const scale = (): string => `let scale = inverseSqrt(ss / f32(${row.cols()}) + ${RMSNORM_EPS}f); // the row's scale`;
    if (row.cached !== undefined) {
      const quads = row.width === 4;
      const { lines, regs } = cacheLoads(row, loadX ?? 'load_x', quads ? 'vec4f()' : '0f');
      body.push(
        ...lines,
        ...foldLane(row, 's', regs.map((x) => `${x} * ${x}`), sumOf, { byComponent: 'this lane\'s sums of squares, by component', lane: 'this lane\'s sum of squares; past the row\'s end, 0' }),
        ...reduceRow('rms_red', row, 's', 'ss', add),
        scale(),
        // On the vec4 path `offset` counts quads of the row, and quad q of a row weighs by quad q of w.
        ...cacheStores(row, ctx.vector?.storeHook ?? ctx.storeHook, (x, offset) => `${x} * scale * ${loadW}(${offset})`),
      );
    } else {
      body.push(
        '// pass 1: the sum of squares',
        'var s = 0f;',
        ...rowLoop(row.lanes, 'mask: lanes stop at the row\'s end', [`let v = ${loadX}(base + j);`, 's += v * v;']),
        ...reduceRow('rms_red', row, 's', 'ss', add),
        scale(),
        '// pass 2: scale, weigh, then store through the epilogue',
        ...rowLoop(row.lanes, 'store mask', [`${ctx.storeHook}(base + j, ${loadX}(base + j) * scale * ${loadW}(j)); // store: normalized`]),
      );
    }
    return { workgroupSize: [row.lanes * row.packed, 1, 1], tiles: row.tiles, body: body.join('\n'), ...partials(['rms_red'], row) };
  },
};

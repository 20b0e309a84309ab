import { SOFTMAX } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { balanced, cacheLoads, cacheStores, foldLane, LOWEST_F32_WGSL, partials, reduceRow, ROW_TUNED, rowLayout, rowLoop, sumOf, vectorRows } from './row-reduction.js';

const max = (a: string, b: string): string => `max(${a}, ${b})`;
const add = (a: string, b: string): string => `(${a} + ${b})`;

/**
 * Softmax (spec/kernels/softmax.ts) as a template: B lanes per row, R rows per workgroup
 * ([templates.reduction.rows]). Under static shapes with C ≤ B·P each lane loads its elements of the row
 * once, through `load_x`, into registers, and the max, the sum of e = exp(x − max) and the stores all work
 * from them ([templates.reduction.cache]); otherwise three passes over the row (max, sum, normalize), each
 * loading x through `load_x`, so a prologue is recomputed on every pass. The result is stored through
 * `store_out`, so an epilogue sees the normalized value e / total. Rows of a multiple of 4 cached in
 * registers take the vec4 path: the same kernel over quads, through `load_x4` and `store_out4`
 * ([templates.reduction.vec4]).
 */
export const softmax: KernelTemplate = {
  ...SOFTMAX,
  tuned: ROW_TUNED,
  vectorizes: vectorRows,
  emit(ctx: TemplateContext): TemplateCode {
    const row = rowLayout(ctx, 'softmax');
    const [loadX] = ctx.vector?.loadHooks ?? ctx.loadHooks;
    const body = [...row.header];
    if (row.cached !== undefined) {
      const quads = row.width === 4;
      const { lines, regs, ragged } = cacheLoads(row, loadX ?? 'load_x', quads ? `vec4f(${LOWEST_F32_WGSL})` : LOWEST_F32_WGSL);
      body.push(
        ...lines,
        ...foldLane(row, 'm', regs, (t) => balanced(t, max), { byComponent: 'this lane\'s maxima, by component', lane: 'this lane\'s maximum; past the row\'s end, the identity' }),
        ...reduceRow('sm_max', row, 'm', 'row_max', max),
        ...regs.map((x) => {
          const ok = ragged.get(x);
          return ok === undefined ? `${x} = exp(${x} - row_max);` : `${x} = select(${quads ? 'vec4f()' : '0f'}, exp(${x} - row_max), ${ok}); // e, 0 past the row's end`;
        }),
        ...foldLane(row, 's', regs, sumOf, { byComponent: 'this lane\'s sums of e, by component', lane: 'this lane\'s sum of e' }),
        ...reduceRow('sm_sum', row, 's', 'total', add),
        ...cacheStores(row, ctx.vector?.storeHook ?? ctx.storeHook, (x) => `${x} / total`),
      );
    } else {
      const x = (j: string): string => `${loadX}(base + ${j})`;
      body.push(
        '// pass 1: the row\'s maximum',
        `var m = ${LOWEST_F32_WGSL};`,
        ...rowLoop(row.lanes, 'mask: lanes stop at the row\'s end', [`m = max(m, ${x('j')});`]),
        ...reduceRow('sm_max', row, 'm', 'row_max', max),
        '// pass 2: the sum of exp(x - max)',
        'var s = 0f;',
        ...rowLoop(row.lanes, 'mask: lanes stop at the row\'s end', [`s += exp(${x('j')} - row_max);`]),
        ...reduceRow('sm_sum', row, 's', 'total', add),
        '// pass 3: normalize, then store through the epilogue',
        ...rowLoop(row.lanes, 'store mask', [`${ctx.storeHook}(base + j, exp(${x('j')} - row_max) / total); // store: normalized`]),
      );
    }
    return { workgroupSize: [row.lanes * row.packed, 1, 1], tiles: row.tiles, body: body.join('\n'), ...partials(['sm_max', 'sm_sum'], row) };
  },
};

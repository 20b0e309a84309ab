import { formatShape, WgfuseError } from '../ir/index.js';
import type { Shape } from '../ir/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';
import { lanesOf, partials, rowLoop, rowShape, rowsOf, treeReduce } from './row-reduction.js';

/** rmsnorm's epsilon, an f32 constant of the template ([templates.rmsnorm.1]). */
export const RMSNORM_EPS = Math.fround(1e-5);

// The interpreter asks for a row's elements one after another: each row's scale is computed once.
let cache: { readonly x: Float32Array; readonly row: number; readonly scale: number } | undefined;

/** The scale of one row, in f64: 1 / sqrt(Σ_j x_j² / C + eps). */
export function rmsScale(x: ArrayLike<number>, start: number, cols: number): number {
  let ss = 0;
  for (let j = 0; j < cols; j++) ss += (x[start + j] as number) ** 2;
  return 1 / Math.sqrt(ss / cols + RMSNORM_EPS);
}

/**
 * RMS normalization over the last dimension with a weight (spec/templates.md [templates.rmsnorm.1]):
 * x [..., C], w [C]; y_c = x_c · inverseSqrt(Σ_j x_j² / C + eps) · w_c. blockSizes [B]: one workgroup of
 * B lanes per row; two passes over the row (sum of squares, scale and store), loads through `load_x` and
 * `load_w` only, the result stored through `store_out`.
 */
export const rmsnorm: KernelTemplate = {
  name: 'rmsnorm',
  arity: 2,
  argNames: ['x', 'w'],
  ranks: [1, 4],
  blockRank: 1,
  outputShape(argShapes: readonly Shape[], subject: string): Shape {
    const x = rowShape(argShapes[0], 'rmsnorm', subject);
    const w = argShapes[1] ?? [];
    const cols = x[x.length - 1];
    if (w.length !== 1 || w[0] !== cols) {
      throw new WgfuseError(
        'registry.call.shape',
        `${subject}: rmsnorm needs w of shape [${cols}] (the last extent of x ${formatShape(x)}), got ${formatShape(w)}. hint: a weight has one value per column`,
      );
    }
    return x;
  },
  evaluate(args, argShapes, _outShape, index) {
    const [x, w] = args as [Float32Array, Float32Array];
    const { cols } = rowsOf(argShapes[0] ?? []);
    const row = Math.floor(index / cols);
    if (cache?.x !== x || cache.row !== row) cache = { x, row, scale: rmsScale(x, row * cols, cols) };
    return (x[index] as number) * cache.scale * (w[index - row * cols] as number);
  },
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

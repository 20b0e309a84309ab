import { formatShape } from '../ir/broadcast.js';
import { WgfuseError } from '../ir/errors.js';
import type { Shape } from '../ir/types.js';
import { rowCache, rowShape } from './rows.js';
import type { KernelSemantics } from './semantics.js';

/** rmsnorm's epsilon, an f32 constant of the kernel ([templates.rmsnorm.1]). */
export const RMSNORM_EPS = Math.fround(1e-5);

/** The scale of one row, in f64: 1 / sqrt(Σ_j x_j² / C + eps). */
export function rmsScale(x: ArrayLike<number>, start: number, cols: number): number {
  let ss = 0;
  for (let j = 0; j < cols; j++) ss += (x[start + j] as number) ** 2;
  return 1 / Math.sqrt(ss / cols + RMSNORM_EPS);
}

const row = rowCache((x, w, start, cols) => {
  const scale = rmsScale(x, start, cols);
  return Float64Array.from({ length: cols }, (_, c) => (x[start + c] as number) * scale * ((w as Float32Array)[c] as number));
});

/**
 * RMS normalization over the last dimension with a weight ([templates.rmsnorm.1]): x [..., C], w [C];
 * y_c = x_c · inverseSqrt(Σ_j x_j² / C + eps) · w_c. Configs give [B], the lanes per row.
 */
export const RMSNORM: KernelSemantics = {
  id: 'rmsnorm',
  arity: 2,
  argNames: ['x', 'w'],
  dtypes: ['f32', 'f16'],
  ranks: [1, 6],
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
    return row(args, argShapes[0] ?? [], index);
  },
};

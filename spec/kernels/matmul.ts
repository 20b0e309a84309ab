import { formatShape } from '../ir/broadcast.js';
import { WgfuseError } from '../ir/errors.js';
import type { Shape } from '../ir/types.js';
import type { KernelSemantics } from './semantics.js';

/** The extents of one matmul call: A [...batch, m, k] × B [...batch, k, n] → C [...batch, m, n]. */
export interface MatmulDims {
  /** The product of the batch extents; 1 for rank-2 operands. */
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/**
 * The extents of A [M,K] × B [K,N], or of a batch [...Bt,M,K] × [...Bt,K,N] with up to four batch
 * extents, equal in A and B; throws [registry.call.shape] naming both shapes when they do not multiply
 * ([templates.matmul.contract]).
 */
export function matmulDims(argShapes: readonly Shape[], subject = 'matmul'): MatmulDims {
  const [a = [], b = []] = argShapes;
  const fail = (why: string): never => {
    throw new WgfuseError(
      'registry.call.shape',
      `${subject}: matmul takes A [M,K] and B [K,N] (or [...Bt,M,K] and [...Bt,K,N]), got ${formatShape(a)} and ${formatShape(b)}: ${why}. ` +
        'hint: transpose or reshape the operands before the call',
    );
  };
  if (a.length !== b.length || a.length < 2 || a.length > 6) fail('the ranks must be equal, from 2 to 6');
  const [m = 1, k = 1] = a.slice(-2);
  const [kb = 1, n = 1] = b.slice(-2);
  if (k !== kb) fail(`A has ${k} columns but B has ${kb} rows`);
  const lead = a.slice(0, -2);
  if (lead.some((d, i) => b[i] !== d)) fail(`the batch extents differ (${formatShape(lead)} and ${formatShape(b.slice(0, -2))})`);
  return { batch: lead.reduce((x, y) => x * y, 1), m, k, n };
}

/** C = A·B ([templates.matmul.contract], [templates.matmul.eval]). Configs give [BM, BN, BK]. */
export const MATMUL: KernelSemantics = {
  id: 'matmul',
  arity: 2,
  argNames: ['a', 'b'],
  // f16 operands are not in the spec yet: their accumulation rules are unwritten.
  dtypes: ['f32'],
  ranks: [2, 6],
  blockRank: 3,
  outputShape(argShapes: readonly Shape[], subject: string): Shape {
    const { m, n } = matmulDims(argShapes, subject);
    return [...(argShapes[0] ?? []).slice(0, -2), m, n];
  },
  // The exact sum, in f64, of the f32 products (each exact in f64); the interpreter rounds it once.
  evaluate(args, argShapes, _outShape, index) {
    const { m, k, n } = matmulDims(argShapes);
    const [a, b] = args as [Float32Array, Float32Array];
    const batch = Math.floor(index / (m * n));
    const row = Math.floor(index / n) % m;
    const col = index % n;
    const aRow = batch * m * k + row * k;
    const bCol = batch * k * n + col;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += (a[aRow + j] as number) * (b[bCol + j * n] as number);
    return sum;
  },
};

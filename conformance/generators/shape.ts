import fc from 'fast-check';
import type { Shape } from '../../spec/ir/index.js';

export interface ShapeConstraints {
  /** Smallest rank (default 1). */
  readonly minRank?: number;
  /** Largest rank (default 6). */
  readonly maxRank?: number;
  /** Most elements in all (default 4096), so a CPU reference run stays fast. */
  readonly maxElements?: number;
  /** Largest extent drawn before fitting to maxElements (default 300). */
  readonly maxExtent?: number;
}

// Extents that matter: 1 (broadcast-like, a single row), primes and k·2^n ± 1 (ragged against any
// power-of-two block), a few exact multiples of block sizes, so masks are tested both ways.
const NOTABLE = [1, 2, 3, 5, 7, 13, 17, 31, 33, 63, 65, 127, 129, 4, 8, 16, 64] as const;

/**
 * Largest extents shrink first until the product fits: a deterministic map, so a shape drawn as an
 * array of extents still shrinks like that array (no `.chain`, see prior-art "Fuzzing lessons").
 */
export function fitShape(extents: readonly number[], maxElements: number): number[] {
  const shape = [...extents];
  let total = shape.reduce((a, b) => a * b, 1);
  while (total > maxElements) {
    let big = 0;
    shape.forEach((d, i) => {
      if (d > (shape[big] ?? 0)) big = i;
    });
    const d = shape[big] ?? 1;
    // Strictly smaller because maxElements / total < 1, so the loop ends.
    const smaller = Math.max(1, Math.floor((d * maxElements) / total));
    shape[big] = smaller;
    total = (total / d) * smaller;
  }
  return shape;
}

/** The fewest rows of `cols` elements that hold a multiple of 64 elements, 64/gcd(cols, 64): a vec4 kernel without a scalar tail. */
export function rowsPer64(cols: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return 64 / gcd(cols, 64);
}

/** Row lengths of a multiple of 4, below and past 64 and the block sizes, for shapes in quads. */
export const QUAD_ROWS: readonly number[] = [4, 8, 12, 20, 36, 64, 68, 100, 132];

/**
 * Tensor shapes for fusion cases ([gen.shape.1]): rank minRank..maxRank, extents ≥ 1, ragged ones often.
 * One in five is in quads: its last extent a multiple of 4 and at least 64 elements in all, so the
 * reference's vec4 path runs, with its operands broadcast along leading dimensions read in quads and
 * a scalar tail where the total is not a multiple of 64 ([codegen.vec4.1], [codegen.vec4.3]).
 */
export function shapeArbitrary(c: ShapeConstraints = {}): fc.Arbitrary<Shape> {
  const maxExtent = c.maxExtent ?? 300;
  const maxElements = c.maxElements ?? 4096;
  const extent = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NOTABLE.filter((d) => d <= maxExtent)) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxExtent }) },
  );
  const any = fc.array(extent, { minLength: c.minRank ?? 1, maxLength: c.maxRank ?? 6 }).map((extents): Shape => fitShape(extents, maxElements));
  const rows = QUAD_ROWS.filter((l) => l <= maxExtent && 4 * l <= maxElements && (c.maxRank ?? 6) >= 2);
  if (rows.length === 0 || maxElements < 128) return any;
  // Leading extents fitted to what the row leaves, the first raised until the whole has 64 elements.
  const quads = fc
    .tuple(fc.array(extent, { minLength: Math.max(1, (c.minRank ?? 1) - 1), maxLength: (c.maxRank ?? 6) - 1 }), fc.constantFrom(...rows))
    .map(([lead, l]): Shape => {
      const fitted = fitShape(lead, Math.floor(maxElements / l));
      const rest = fitted.slice(1).reduce((a, b) => a * b, 1);
      const first = Math.max(fitted[0] ?? 1, Math.ceil(64 / (l * rest)));
      return [first, ...fitted.slice(1), l];
    });
  return fc.oneof({ weight: 4, arbitrary: any }, { weight: 1, arbitrary: quads });
}

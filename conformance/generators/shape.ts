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

/** Tensor shapes for fusion cases ([gen.shape.1]): rank minRank..maxRank, extents ≥ 1, ragged ones often. */
export function shapeArbitrary(c: ShapeConstraints = {}): fc.Arbitrary<Shape> {
  const maxExtent = c.maxExtent ?? 300;
  const maxElements = c.maxElements ?? 4096;
  const extent = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NOTABLE.filter((d) => d <= maxExtent)) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxExtent }) },
  );
  return fc
    .array(extent, { minLength: c.minRank ?? 1, maxLength: c.maxRank ?? 6 })
    .map((extents): Shape => fitShape(extents, maxElements));
}

import fc from 'fast-check';

export interface BlockSizesConstraints {
  /** Most invocations per workgroup, BY·BX (default 128, the compatibility-mode limit). */
  readonly maxInvocations?: number;
  /** Values to draw each block size from (default: 1, 2, 3, 4, 5, 8, 16, 32, 64, 128). */
  readonly values?: readonly number[];
}

/** Odd sizes (3, 5) are included so tiles are ragged even on power-of-two shapes. */
export const BLOCK_SIZE_VALUES: readonly number[] = [1, 2, 3, 4, 5, 8, 16, 32, 64, 128];

/**
 * `[BY, BX]` for the elementwise add kernel ([gen.config.1]): positive, BY·BX ≤ maxInvocations. BY is
 * lowered to the largest allowed value that fits with BX: a map, not a filter or `.chain`, so it shrinks.
 */
export function blockSizesArbitrary(c: BlockSizesConstraints = {}): fc.Arbitrary<readonly [number, number]> {
  const max = c.maxInvocations ?? 128;
  const values = [...(c.values ?? BLOCK_SIZE_VALUES)].filter((v) => Number.isInteger(v) && v >= 1 && v <= max).sort((a, b) => a - b);
  if (values.length === 0 || values[0] !== 1) values.unshift(1);
  const size = fc.constantFrom(...values);
  return fc.tuple(size, size).map(([by, bx]): readonly [number, number] => {
    if (by * bx <= max) return [by, bx];
    const fitting = values.filter((v) => v * bx <= max);
    return [fitting[fitting.length - 1] ?? 1, bx];
  });
}

import fc from 'fast-check';
import { ORDINARY, WIDE } from './interval.js';
import type { ValueSpace } from './interval.js';

/**
 * Draws from each value space of `spaces` (ordinary three times as often as wide), each case built by
 * `draw` for that space; a case drawn from the wide space is marked `space: 'wide'`.
 */
export function inSpaces<T extends object>(spaces: readonly ValueSpace[] | undefined, draw: (space: ValueSpace) => fc.Arbitrary<T>): fc.Arbitrary<T & { readonly space?: 'wide' }> {
  const list = spaces ?? [ORDINARY, WIDE];
  if (list.length === 0) throw new Error('[gen.space.1] constraints.spaces is empty: name at least one value space');
  const each = list.map((space) => ({
    weight: space === ORDINARY ? 3 : 1,
    arbitrary: space === WIDE ? draw(space).map((c): T & { readonly space?: 'wide' } => ({ ...c, space: 'wide' })) : draw(space),
  }));
  return fc.oneof(...each);
}

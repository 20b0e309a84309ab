/**
 * Where a size goes in WGSL ([shapes.dynamic.1]): a literal when shapes are static, a slot of the
 * kernel's `sizes` uniform when they are not, so that the WGSL text, and so the pipeline, depends on
 * ranks and broadcast patterns but not on extents. Slots are handed out in emission order, one per use,
 * never shared by value: sharing would make the text depend on which extents happen to be equal.
 */
export class SizeTable {
  readonly values: number[] = [];

  constructor(readonly dynamic: boolean) {}

  readonly ref = (value: number): string => {
    if (!this.dynamic) return `${value}u`;
    const k = this.values.push(value) - 1;
    return `sizes[${k >> 2}].${'xyzw'[k & 3]}`;
  };

  /** A shape for comments: under dynamic shapes only its structure (rank, which extents are 1), so the text stays the same. */
  readonly note = (shape: readonly number[]): string => `[${shape.map((d) => (this.dynamic && d !== 1 ? '?' : String(d))).join(',')}]`;

  /** The uniform's declaration, or undefined when no size was dynamic. */
  declaration(binding: number): string | undefined {
    if (this.values.length === 0) return undefined;
    return `@group(0) @binding(${binding}) var<uniform> sizes: array<vec4u, ${Math.ceil(this.values.length / 4)}>; // extents, strides and counts`;
  }

  /** The uniform's contents: the values, padded to whole vec4s. */
  data(): Uint32Array {
    const out = new Uint32Array(Math.ceil(this.values.length / 4) * 4);
    out.set(this.values);
    return out;
  }
}

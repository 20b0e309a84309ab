import { WgfuseError } from './errors.js';
import type { Shape } from './types.js';

/** numpy-style broadcasting: align right, each pair of extents equal or one of them 1 ([ir.broadcast.1]). */
export function broadcastShapes(a: Shape, b: Shape, subject = 'broadcast'): Shape {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new WgfuseError(
        'ir.broadcast.1',
        `${subject}: shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast ` +
          `(dimension ${i - rank} is ${da} against ${db}). hint: extents must match or be 1`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape`, with stride 0 on every dimension that broadcasts into `target`. */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const strides: number[] = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const t = target.length - shape.length + i;
    const extent = shape[i] ?? 1;
    strides[t] = extent === 1 ? 0 : stride;
    stride *= extent;
  }
  return strides;
}

/** `shape` with its last two extents swapped ([ir.transpose.1]). */
export function transposedShape(shape: Shape): Shape {
  const n = shape.length;
  return n < 2 ? [...shape] : [...shape.slice(0, -2), shape[n - 1] ?? 1, shape[n - 2] ?? 1];
}

/** The row-major offset in the operand of element `index` of its transpose, whose shape is `shape`. */
export function transposedIndex(index: number, shape: Shape): number {
  const n = shape.length;
  const [p, q] = [shape[n - 2] ?? 1, shape[n - 1] ?? 1];
  const lead = Math.floor(index / (p * q));
  const row = Math.floor(index / q) % p;
  const col = index % q;
  return lead * p * q + col * p + row;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

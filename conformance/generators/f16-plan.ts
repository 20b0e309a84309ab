import fc from 'fast-check';
import type { DType } from '../../spec/ir/index.js';

/**
 * Where a mixed-precision case changes dtype ([gen.f16.1]). Its inputs (kernel arguments and side
 * tensors) are f16. Each chain (the kernel's argument chains, then the epilogue) runs in the dtype it
 * starts in, f16 for an argument chain, the kernel's for the epilogue, and switches to the other dtype
 * by an explicit cast before step `switchAt` (its length: after the last step; null: never). Each
 * argument is cast to the kernel's dtype where it differs; the result is stored as `output` says:
 * 'f16', 'f32', or 'f16-widened' (cast_f16 then cast_f32: an f32 output holding f16 values,
 * [numerics.f16.3]). A side tensor read in f32 is cast where it is read.
 */
export interface F16Plan {
  readonly switchAt: readonly (number | null)[];
  readonly call: DType;
  readonly output: 'f16' | 'f32' | 'f16-widened';
}

/** A plan for chains of the given lengths (argument chains first, then the epilogue). */
export function f16PlanArbitrary(lengths: readonly number[]): fc.Arbitrary<F16Plan> {
  const switchAt = lengths.map((n) => fc.option(fc.integer({ min: 0, max: n }), { nil: null }));
  return fc.record({
    switchAt: fc.tuple(...switchAt),
    call: fc.constantFrom<DType>('f16', 'f32'),
    output: fc.constantFrom<F16Plan['output']>('f16', 'f32', 'f16-widened'),
  });
}

/** The other dtype. */
export function otherDtype(d: DType): DType {
  return d === 'f16' ? 'f32' : 'f16';
}

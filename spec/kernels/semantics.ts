import type { DType, Shape } from '../ir/types.js';

/**
 * What a kernel computes, independent of how any implementation writes it (spec/templates.md). A call
 * node names its kernel's semantics by a stable id (`elementwise_add`, `matmul`, `softmax`, `rmsnorm`);
 * `evaluate` is the normative result the CPU interpreter computes, and `blockRank` says how many block
 * sizes a config gives — a hint an implementation may ignore.
 */
export interface KernelSemantics {
  /** The stable semantic id a call node carries ([ir.call.1]). */
  readonly id: string;
  readonly arity: number;
  /** Names of the arguments, for messages (and the reference's hook names). */
  readonly argNames: readonly string[];
  /** The dtypes it takes ([registry.call.2]): every argument has one of them, all the same; the output has it too. */
  readonly dtypes: readonly DType[];
  /** Inclusive bounds on the rank of every argument. */
  readonly ranks: readonly [number, number];
  /** Number of block sizes a config gives ([registry.config.1]). */
  readonly blockRank: number;
  /** The output shape for these argument shapes; throws a WgfuseError naming the problem. */
  outputShape(argShapes: readonly Shape[], subject: string): Shape;
  /** Output element `index` in f64, from f32 argument values; the interpreter rounds it to f32. */
  evaluate(args: readonly Float32Array[], argShapes: readonly Shape[], outShape: Shape, index: number): number;
}

/** Semantics by id: the spec's own table, or one extended with user-defined kernels. */
export type SemanticsTable = ReadonlyMap<string, KernelSemantics>;

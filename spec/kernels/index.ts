import { ELEMENTWISE_ADD } from './elementwise-add.js';
import { MATMUL } from './matmul.js';
import { RMSNORM } from './rmsnorm.js';
import { SOFTMAX } from './softmax.js';
import type { KernelSemantics, SemanticsTable } from './semantics.js';

export * from './elementwise-add.js';
export * from './matmul.js';
export * from './rmsnorm.js';
export * from './rows.js';
export * from './semantics.js';
export * from './softmax.js';

/** The kernels the spec defines, by stable semantic id ([ir.call.1]). */
export const SPEC_KERNELS: SemanticsTable = new Map<string, KernelSemantics>([ELEMENTWISE_ADD, MATMUL, SOFTMAX, RMSNORM].map((k) => [k.id, k]));

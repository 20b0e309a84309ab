import type { KernelTemplate } from '../registry/template.js';
import { elementwiseAdd } from './elementwise-add.js';
import { matmul } from './matmul.js';
import { rmsnorm } from './rmsnorm.js';
import { softmax } from './softmax.js';

/** Templates by semantic id: what the lowering emits for a call node ([registry.template.1]). */
export type TemplateTable = ReadonlyMap<string, KernelTemplate>;

/** The reference's template for each kernel the spec defines. */
export const TEMPLATES: TemplateTable = new Map<string, KernelTemplate>([elementwiseAdd, matmul, softmax, rmsnorm].map((t) => [t.id, t]));

export { elementwiseAdd, matmul, rmsnorm, softmax };
export { matmulWorkgroupBytes, registerTile } from './matmul.js';
export type { RegisterTile } from './matmul.js';

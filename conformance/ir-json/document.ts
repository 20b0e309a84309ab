/**
 * The wgfuse IR interchange document (spec/ir.md, "Interchange format"; spec/ir.schema.json) as
 * TypeScript types. A node in JSON is the in-memory Node as it stands — same fields, same names — so
 * a graph crosses the boundary without a translation table to keep in step with spec/ir/types.ts.
 */
import type { KernelConfig, KernelSettings, Node } from '../../spec/ir/types.js';

/** The value of `format`: refuses a file of another kind before anything else is read. */
export const IR_FORMAT = 'wgfuse-ir';
/** The value of `version`: bumped when an old reader would misread a new document. */
export const IR_VERSION = 1;

/** A catalog entry; its registered name is its key in `kernels`, so it is not repeated here. */
export interface KernelEntryJson {
  readonly semantics: string;
  readonly configs: Readonly<Record<string, KernelConfig>>;
  readonly settings: KernelSettings;
}

/** A case's data and verdict inputs, as conformance/properties/check.ts CaseUnderTest carries them. */
export interface CaseJson {
  readonly description: string;
  readonly fusedKernels: number;
  readonly eagerKernels: number;
  /** One array per graph input, in graph.inputs order: f32 values as JSON numbers (exact in a double). */
  readonly inputs: readonly (readonly number[])[];
}

export interface IrDocument {
  readonly format: typeof IR_FORMAT;
  readonly version: typeof IR_VERSION;
  readonly graph: {
    readonly nodes: readonly Node[];
    readonly inputs: readonly number[];
    readonly outputs: readonly number[];
  };
  readonly kernels: Readonly<Record<string, KernelEntryJson>>;
  readonly case?: CaseJson;
}

/**
 * The case part of a document once read: CaseUnderTest less its graph and kernels, so that
 * `{ graph, kernels, ...case }` is a case the suite can judge.
 */
export interface CaseData {
  readonly description: string;
  readonly fusedKernels: number;
  readonly eagerKernels: number;
  readonly inputs: readonly Float32Array[];
}

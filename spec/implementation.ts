/**
 * The implementation interface (spec/implementation.md). The conformance suite reaches the
 * implementation under test only through these types; `WGFUSE_IMPL=<module>` names a module whose
 * `implementation` export satisfies `Implementation`.
 */
import type { Graph, KernelConfig, KernelSettings } from './ir/types.js';

export type { Graph };

/**
 * One registered kernel as an implementation sees it: plain data. `semantics` is what every call of it
 * computes (spec/kernels/); `configs` are the registration's hints, which an implementation may ignore.
 */
export interface RegisteredKernel {
  readonly name: string;
  readonly semantics: string;
  readonly configs: Readonly<Record<string, KernelConfig>>;
  readonly settings: KernelSettings;
}

/** The registered kernels a graph's call nodes name, by registered name. */
export type KernelCatalog = ReadonlyMap<string, RegisteredKernel>;

/**
 * Buffers owned by the harness, one per graph input and output, in graph order. Each holds the
 * tensor's elements (f32, row-major) from byte 0; a buffer may be longer than the tensor, and the
 * bytes past the tensor MUST NOT be written ([interface.buffers.2]).
 */
export interface ProgramIO {
  readonly inputs: readonly GPUBuffer[];
  readonly outputs: readonly GPUBuffer[];
}

export interface CompiledProgram {
  /**
   * Encodes and submits the program's work on the device it was compiled for. The promise resolves
   * once everything is submitted; the harness waits for the queue itself ([interface.run.1]).
   */
  run(io: ProgramIO): Promise<void>;
  /** The WGSL of every shader module the program may dispatch, for reports. Not trusted for counts. */
  readonly wgsl: readonly string[];
  /** Frees the program's own buffers. */
  dispose(): void;
}

/**
 * What an implementation needs of the device ([interface.needs.1]). The harness requests these from the
 * adapter when it has them, and otherwise skips what would run on a device without them, with the reason.
 * Without needs the device has the adapter's default limits and no optional features.
 */
export interface DeviceNeeds {
  /** Limits it needs: at least these values (max* limits) or at most (min* alignments). */
  readonly limits?: Readonly<Record<string, number>>;
  /** Features it cannot run without. */
  readonly features?: readonly string[];
  /** Features it uses when the adapter has them. */
  readonly optionalFeatures?: readonly string[];
}

/**
 * Parts of the spec an implementation declares it does not take part in ([interface.needs.2]): the rules
 * that need them are reported as not applicable, never as passes.
 * - `registry-configs`: it ignores the configs calls carry (config pickers are not judged);
 * - `fusion-off`: it does not honour `fusion: false` settings;
 * - `dynamic-shapes`: it does not keep one pipeline for every shape of a structure.
 */
export type SpecPart = 'registry-configs' | 'fusion-off' | 'dynamic-shapes';

export interface Implementation {
  readonly name: string;
  readonly needs?: DeviceNeeds;
  readonly doesNotTakePartIn?: readonly SpecPart[];
  /** Compiles a verified graph for a device. Rejects with an Error naming the problem ([interface.compile.1]). */
  compile(graph: Graph, kernels: KernelCatalog, device: GPUDevice): Promise<CompiledProgram>;
}

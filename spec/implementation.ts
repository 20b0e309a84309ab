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

export interface Implementation {
  readonly name: string;
  /** Compiles a verified graph for a device. Rejects with an Error naming the problem ([interface.compile.1]). */
  compile(graph: Graph, kernels: KernelCatalog, device: GPUDevice): Promise<CompiledProgram>;
}

import type { KernelConfig, KernelSemantics, Shape } from '../../spec/index.js';

/** What a template is told when it emits its WGSL (spec/tracing.md [registry.template.*]). */
export interface TemplateContext {
  readonly argShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly config: KernelConfig;
  /** `load_<name>(i: u32) -> f32`: element i (row-major) of argument k, prologue applied. */
  readonly loadHooks: readonly string[];
  /** `store_<name>(i: u32, v: f32)`: element i (row-major) of the output, epilogue applied. */
  readonly storeHook: string;
  /**
   * The WGSL for a size derived from the shapes (an extent, a product, a tile count): a literal under
   * static shapes, a uniform read under dynamic ones. Every shape-derived number in the body goes
   * through it; block sizes from the config are compile-time constants and do not ([shapes.dynamic.1]).
   */
  readonly size: (value: number) => string;
  /**
   * The invocations a workgroup of this device takes for streaming work: min(256, its limits). A template
   * may pack several of its config's blocks into one workgroup up to it ([templates.add.config]).
   */
  readonly lanes: number;
  /**
   * Present when the kernel takes the vec4 path ([codegen.vec4.1]; only for a template that `vectorizes`):
   * `loadHooks`/`storeHook` here take and give vec4f for quad q (elements 4q … 4q+3, q < quads); the
   * context's own hooks then serve the scalar tail, their `i` counting from element 4·quads (i < tail).
   */
  readonly vector?: { readonly quads: number; readonly tail: number; readonly loadHooks: readonly string[]; readonly storeHook: string };
}

/** A template's WGSL: the body of a compute entry point that already has `tile` and `lid` in scope. */
export interface TemplateCode {
  readonly workgroupSize: readonly [number, number, number];
  /** Workgroups needed; the code generator folds them into a grid within device limits. */
  readonly tiles: number;
  /**
   * Statements; `tile: u32` is the linear workgroup index, `lid: vec3u` the local invocation id. `tile`
   * is uniform across the workgroup, so a template may call workgroupBarrier() (and must then mask
   * out-of-range elements instead of returning early).
   */
  readonly body: string;
  /** Module-scope WGSL the body needs, such as `var<workgroup>` tiles, with names prefixed by the template. */
  readonly declarations?: string;
  /** Bytes of workgroup memory the declarations take, checked against the device ([codegen.limits.5]). */
  readonly workgroupBytes?: number;
}

/**
 * A hand-written kernel with named load/store hooks: the thing the fusion lowering splices prologue and
 * epilogue chains into. What it computes is its spec semantics (spec/kernels/), whose fields it carries;
 * `emit` is the reference's WGSL for it ([registry.template.1]).
 */
/**
 * A template's own configs and picker, taken by a registration that gives no configs ([registry.config.4]):
 * configs measured fast on real GPUs, each valid on every device the suite runs on (compatibility-level
 * limits included), and a picker that chooses among them by the call's shapes.
 */
export interface TunedConfigs {
  readonly configs: Readonly<Record<string, KernelConfig>>;
  readonly picker: (args: readonly { readonly shape: Shape }[]) => string;
}

export interface KernelTemplate extends KernelSemantics {
  /** Configs and a picker for registrations that name none ([registry.config.4]). */
  readonly tuned?: TunedConfigs;
  /**
   * The template handles `ctx.vector` ([codegen.vec4.1]): always (the add kernel), or for the calls this
   * says yes to, by the output's shape, the config, the arguments' shapes and the lanes the context will
   * give (softmax, rmsnorm: [templates.reduction.vec4]; matmul: [templates.matmul.vec4]).
   */
  readonly vectorizes?: boolean | ((outShape: Shape, config: KernelConfig, call: { readonly argShapes: readonly Shape[]; readonly lanes: number }) => boolean);
  emit(ctx: TemplateContext): TemplateCode;
}

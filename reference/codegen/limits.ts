/** The device limits code generation must respect; GPUSupportedLimits satisfies it. */
export interface CodegenLimits {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupSizeY: number;
  readonly maxComputeWorkgroupSizeZ: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

/** WebGPU compatibility-mode defaults: what every device grants without asking ([codegen.limits.1]). */
export const COMPAT_DEFAULT_LIMITS: CodegenLimits = {
  maxComputeInvocationsPerWorkgroup: 128,
  maxComputeWorkgroupSizeX: 128,
  maxComputeWorkgroupSizeY: 128,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxComputeWorkgroupStorageSize: 16 * 1024,
};

/** WebGPU core defaults: what a core-level device grants without asking ([codegen.limits.core]). */
export const CORE_DEFAULT_LIMITS: CodegenLimits = {
  ...COMPAT_DEFAULT_LIMITS,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
};

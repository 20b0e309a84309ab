/**
 * What the harness counts of a program's work (spec/implementation.md [harness.count.*]), and how it
 * reads a WGSL module's entry points. The counting itself is per program: program-device.ts.
 */

export interface KernelCounts {
  /** dispatchWorkgroups and dispatchWorkgroupsIndirect calls in command buffers submitted in the window. */
  readonly dispatches: number;
  /** Distinct pipeline objects among those dispatches. */
  readonly distinctPipelines: number;
  /** Sum over the distinct dispatched pipelines of the `@compute` entry points in their module's WGSL. */
  readonly computeEntryPoints: number;
  /** Compute pipelines created in the window (sync or async). */
  readonly pipelinesCreated: number;
  readonly modulesCreated: number;
  /** queue.submit calls in the window. */
  readonly submits: number;
}

/** Removes WGSL comments: `//` to end of line, and `/* *\/` blocks, which nest in WGSL. */
export function stripWgslComments(wgsl: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < wgsl.length; i++) {
    const two = wgsl.slice(i, i + 2);
    if (two === '/*') {
      depth++;
      i++;
    } else if (depth > 0 && two === '*/') {
      depth--;
      i++;
      out += ' ';
    } else if (depth === 0 && two === '//') {
      while (i < wgsl.length && wgsl[i] !== '\n' && wgsl[i] !== '\r') i++;
      out += '\n';
    } else if (depth === 0) {
      out += wgsl[i];
    }
  }
  return out;
}

/** The number of `@compute` attributes outside comments ([harness.count.3]). WGSL has no string literals to skip. */
export function countComputeEntryPoints(wgsl: string): number {
  return stripWgslComments(wgsl).match(/@\s*compute\b/g)?.length ?? 0;
}

import type { KernelCounts } from '../harness/counter.js';

/** What a conformance test reports to `npm run conformance` through vitest's task meta. */
export interface CaseStats {
  cases: number;
  /** kernel count dispatched by the implementation under test → number of cases */
  fusedKernels: Record<string, number>;
  eagerDispatches: number;
  ms: number;
}

declare module 'vitest' {
  interface TaskMeta {
    wgfuse?: CaseStats;
  }
}

export function newStats(): CaseStats {
  return { cases: 0, fusedKernels: {}, eagerDispatches: 0, ms: 0 };
}

export function countCase(stats: CaseStats, fused: KernelCounts, eager: KernelCounts): void {
  stats.cases += 1;
  stats.fusedKernels[String(fused.dispatches)] = (stats.fusedKernels[String(fused.dispatches)] ?? 0) + 1;
  stats.eagerDispatches += eager.dispatches;
}

import type { KernelCounts } from '../harness/counter.js';
import { ConformanceFailure } from './check.js';
import type { CaseReport } from './check.js';

/** What a conformance test reports to `npm run conformance` through vitest's task meta. */
export interface CaseStats {
  cases: number;
  /** kernel count dispatched by the implementation under test → number of cases */
  fusedKernels: Record<string, number>;
  eagerDispatches: number;
  ms: number;
  /** Cases not judged because the adapter cannot run them faithfully ([harness.loopcap.3]); not in `cases`. */
  setAside?: number;
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

/**
 * Awaits a case's check and counts it, failing or not: a report shows the kernels a failing case
 * dispatched too. Rethrows the failure.
 */
export async function countedCase(stats: CaseStats, check: Promise<CaseReport>): Promise<CaseReport> {
  try {
    const report = await check;
    countCase(stats, report.fused, report.eager);
    return report;
  } catch (e) {
    if (e instanceof ConformanceFailure && e.counts !== undefined) countCase(stats, e.counts.fused, e.counts.eager);
    throw e;
  }
}

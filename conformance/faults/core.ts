import { createReferenceImplementation } from '../reference-door.js';
import type { PlantedFault } from './fault.js';

/**
 * A planted fault of kernels past the compatibility level's limits (spec/suite.md
 * [meta.mutant.partials-sized-for-128]): workgroup arrays sized for 128 lanes, the compatibility
 * maximum, whatever the workgroup, so lanes past 128 write and read outside them.
 */
const cappedPartials = (w: string): string => w.replace(/var<workgroup> (\w+): array<f32, (\d+)>; \/\/ one partial per lane/g, (_, name: string, n: string) => `var<workgroup> ${name}: array<f32, ${Math.min(Number(n), 128)}>; // one partial per lane, at most 128`);

export const CORE_FAULTS: readonly PlantedFault[] = [
  {
    name: 'partials-sized-for-128',
    catcher: 'core-limits',
    fault: 'a row reduction\'s workgroup array of partials holds at most 128, so lanes past 128 land outside it (caught by the oracle on a core-level device)',
    caughtBy: ['numerics.oracle.1', 'numerics.nan.1'],
    implementation: createReferenceImplementation({ name: 'mutant: partials-sized-for-128', fuse: true, editSources: (sources) => sources.map((s) => ({ ...s, wgsl: cappedPartials(s.wgsl) })) }),
  },
];

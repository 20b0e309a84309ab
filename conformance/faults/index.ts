// Every planted fault, in one list of one shape (fault.ts); conformance/selftest/faults.test.ts runs them.
import { ELEMENTWISE_FAULTS, INTERFACE_FAULTS, PATTERN_FAULTS, SHAPE_FAULTS } from './elementwise.js';
import type { PlantedFault } from './fault.js';
import { CORE_FAULTS } from './core.js';
import { F16_FAULTS } from './f16.js';
import { MATMUL_FAULTS } from './matmul.js';
import { REDUCTION_FAULTS } from './reductions.js';

export type { Catcher, PlantedFault } from './fault.js';

export const PLANTED_FAULTS: readonly PlantedFault[] = [...ELEMENTWISE_FAULTS, ...PATTERN_FAULTS, ...SHAPE_FAULTS, ...MATMUL_FAULTS, ...REDUCTION_FAULTS, ...INTERFACE_FAULTS];

/**
 * Faults whose catching property needs a capability (shader-f16, 256 invocations): judged where the device
 * has it, by conformance/selftest/gated-faults.test.ts.
 */
export const GATED_FAULTS: readonly PlantedFault[] = [...F16_FAULTS, ...CORE_FAULTS];

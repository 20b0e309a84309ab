import { describe, expect, test } from 'vitest';
import { fusedReference } from '../reference-door.js';
import { GATED_FAULTS } from '../faults/index.js';
import { declareNeeds } from '../harness/device.js';
import { gate } from '../harness/gates.js';
import type { Needs } from '../harness/gates.js';
import { passesOnSameCases, randomCheck, ruleThatCatches } from '../properties/meta.js';
import type { CatchingCheck } from '../properties/meta.js';
import type { BuiltCase } from '../generators/built-case.js';
import { checkDtypeChange, retypedPair } from '../properties/shape-change.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';

// Meta-tests of faults whose catching property needs a capability (spec/suite.md [meta.mutant.f16-*],
// [meta.mutant.partials-sized-for-128]), as conformance/selftest/faults.test.ts runs the others: each
// fault through the property it names, with the meta seed, caught within a budget by a rule it names; the
// same check passes the unmodified reference. Each gates on its property's needs (shader-f16: wgpu;
// 256 invocations: a core-level device) and skips, naming the capability, elsewhere.

// The mutants are the reference's, so the device is opened with what the reference declares (shader-f16 where the adapter has it).
declareNeeds(fusedReference.needs);

type GatedCatcher = 'f16' | 'f16-reduction' | 'dtype-change' | 'core-limits';
const CHECKS: Readonly<Record<GatedCatcher, CatchingCheck & { readonly needs: Needs }>> = {
  f16: { ...randomCheck('f16', 60), needs: RANDOM_PROPERTIES.f16.needs },
  'f16-reduction': { ...randomCheck('f16-reduction', 60), needs: RANDOM_PROPERTIES['f16-reduction'].needs },
  'dtype-change': { runs: 10, arbitrary: retypedPair, judge: (impl, v, gpu) => checkDtypeChange(impl, ...(v as [BuiltCase, BuiltCase]), gpu), needs: RANDOM_PROPERTIES.f16.needs },
  'core-limits': { ...randomCheck('core-limits', 60), needs: RANDOM_PROPERTIES['core-limits'].needs },
};
const isGated = (c: string): c is GatedCatcher => Object.hasOwn(CHECKS, c);

describe('meta: planted faults that need a capability are caught where the device has it', () => {
  for (const f of GATED_FAULTS) {
    test(`[meta.mutant.${f.name}] the ${f.catcher} check catches ${f.name}: ${f.fault}`, async (ctx) => {
      if (!isGated(f.catcher)) throw new Error(`${f.name}: its catcher ${f.catcher} needs no capability; it belongs in faults.test.ts`);
      const check = CHECKS[f.catcher];
      const gpu = await gate(ctx, check.needs);
      expect(f.caughtBy).toContain(await ruleThatCatches(f.name, check.arbitrary, (v) => check.judge(f.implementation, v, gpu), check.runs));
    });
  }

  for (const [name, check] of Object.entries(CHECKS)) {
    test(`[meta.mutant.unmodified] the ${name} check passes the unmodified reference on the same cases`, async (ctx) => {
      const gpu = await gate(ctx, check.needs);
      await passesOnSameCases(check.arbitrary, (v) => check.judge(fusedReference, v, gpu), Math.ceil(check.runs / 4));
    });
  }
});

import { describe, expect, test } from 'vitest';
import { fusedReference } from '../reference-door.js';
import { F16_FAULTS } from '../faults/index.js';
import { declareNeeds } from '../harness/device.js';
import { gate } from '../harness/gates.js';
import { passesOnSameCases, randomCheck, ruleThatCatches } from '../properties/meta.js';
import type { CatchingCheck } from '../properties/meta.js';
import type { BuiltCase } from '../generators/built-case.js';
import { checkDtypeChange, retypedPair } from '../properties/shape-change.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';

// Meta-tests of mixed precision (spec/suite.md [meta.mutant.f16-*]), as conformance/selftest/faults.test.ts
// runs the others: each f16 fault through the f16 property it names, with the meta seed, caught within a
// budget by a rule it names; the same check passes the unmodified reference. They need shader-f16, so
// they run where the device has it (wgpu) and skip, saying so, where it does not.

// The mutants are the reference's, so the device is opened with what the reference declares (shader-f16 where the adapter has it).
declareNeeds(fusedReference.needs);

const CHECKS: Readonly<Record<'f16' | 'f16-reduction' | 'dtype-change', CatchingCheck>> = {
  f16: randomCheck('f16', 60),
  'f16-reduction': randomCheck('f16-reduction', 60),
  'dtype-change': { runs: 10, arbitrary: retypedPair, judge: (impl, v, gpu) => checkDtypeChange(impl, ...(v as [BuiltCase, BuiltCase]), gpu) },
};

describe('meta: planted f16 faults are caught', () => {
  for (const f of F16_FAULTS) {
    test(`[meta.mutant.${f.name}] the ${f.catcher} check catches ${f.name}: ${f.fault}`, async (ctx) => {
      if (f.catcher !== 'f16' && f.catcher !== 'f16-reduction' && f.catcher !== 'dtype-change') throw new Error(`${f.name}: not an f16 fault (catcher ${f.catcher})`);
      const gpu = await gate(ctx, RANDOM_PROPERTIES.f16.needs);
      const check = CHECKS[f.catcher];
      expect(f.caughtBy).toContain(await ruleThatCatches(f.name, check.arbitrary, (v) => check.judge(f.implementation, v, gpu), check.runs));
    });
  }

  for (const [name, check] of Object.entries(CHECKS)) {
    test(`[meta.mutant.unmodified] the ${name} check passes the unmodified reference on the same cases`, async (ctx) => {
      const gpu = await gate(ctx, RANDOM_PROPERTIES.f16.needs);
      await passesOnSameCases(check.arbitrary, (v) => check.judge(fusedReference, v, gpu), Math.ceil(check.runs / 4));
    });
  }
});
